// CUDA's execution model on one CPU thread: blocks one after another, a block's threads as
// cooperative fibers, real block and warp barriers, per-block shared memory on the heap.
//
// Fibers switch with a small x86-64 context switch of our own rather than swapcontext, which
// makes a system call (the signal mask) on every switch: a launch here runs hundreds of thousands
// of threads. Every switch is announced to AddressSanitizer (__sanitizer_start_switch_fiber), so
// it follows the stacks and reports no false stack errors.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mixdim_emu/execution.h"
#include "runtime_state.h"
#include "thread_order.h"

#if !defined(__x86_64__)
#error "the emulated CUDA build switches fibers with x86-64 code (test/cuda_emulation/execution.cc)"
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define MIXDIM_EMU_ASAN 1
#else
#define MIXDIM_EMU_ASAN 0
#endif

// Saves the callee-saved registers on the current stack, stores its pointer in *save, and resumes
// the context whose stack pointer is `next` (one saved the same way, or a fresh fiber's first frame).
extern "C" void mixdim_emu_switch_context(void** save, void* next);
asm(R"(
  .text
  .globl mixdim_emu_switch_context
  .type mixdim_emu_switch_context, @function
mixdim_emu_switch_context:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size mixdim_emu_switch_context, .-mixdim_emu_switch_context
  .section .note.GNU-stack,"",@progbits
  .text
)");

namespace mixdim_emu {

const Coordinates* current = nullptr;

namespace {

// ASan's frames are several times larger than plain ones; 256 KiB leaves room for both.
constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kGuardBytes = 4096;
constexpr int kWarpSize = 32;

enum class State { ready, at_barrier, at_shuffle, exited };

struct ShuffleRequest {
  ShuffleMode mode;
  unsigned int mask;
  uint64_t bits;
  int b;
  int width;
  const char* file;
  int line;
};

struct Fiber {
  char* stack = nullptr;  // mmap'd, lowest page a guard
  void* stack_pointer = nullptr;
  void* asan_fake_stack = nullptr;
  Coordinates coordinates{};
  State state = State::ready;
  const char* barrier_file = nullptr;
  int barrier_line = 0;
  ShuffleRequest shuffle{};
  uint64_t shuffle_result = 0;
};

struct SharedSlot {
  const char* site;
  void* data;
};

struct Block {
  const KernelCall* call = nullptr;
  std::vector<Fiber> fibers;  // grown to the largest block launched, stacks kept between launches
  int threads = 0;
  int live = 0;
  int running = -1;  // the fiber running now, -1 for the scheduler
  std::vector<SharedSlot> shared;
  void* dynamic_shared = nullptr;
  size_t dynamic_shared_bytes = 0;
  bool failed = false;          // a fault ended the launch; its suspended fibers are abandoned
  bool stacks_abandoned = false;  // their stacks still hold ASan's poisoning of live frames
  void* scheduler_stack_pointer = nullptr;
  void* scheduler_fake_stack = nullptr;
  const void* scheduler_stack_bottom = nullptr;
  size_t scheduler_stack_size = 0;
};

Block block;
std::mutex launch_mutex;  // one launch at a time: the block, `current` and the atomics assume it

// Probing a kernel for its __launch_bounds__: kernel_entry() throws this before the body runs.
struct LaunchBoundsProbe {
  int max_threads;
  const void* kernel;
  const char* name;
};
bool probing = false;

void* fill_pattern(void* data, size_t bytes) { return memset(data, 0xff, bytes); }

std::string describe(const uint3& v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

// --- fiber switching -------------------------------------------------------------------------

void switch_to_fiber(int index) {
  Fiber& fiber = block.fibers[index];
  block.running = index;
  current = &fiber.coordinates;
#if MIXDIM_EMU_ASAN
  __sanitizer_start_switch_fiber(&block.scheduler_fake_stack, fiber.stack + kGuardBytes, kStackBytes - kGuardBytes);
#endif
  mixdim_emu_switch_context(&block.scheduler_stack_pointer, fiber.stack_pointer);
#if MIXDIM_EMU_ASAN
  __sanitizer_finish_switch_fiber(block.scheduler_fake_stack, nullptr, nullptr);
#endif
  block.running = -1;
}

// From the running fiber back to the scheduler; returns when the scheduler resumes this fiber.
void switch_to_scheduler() {
  Fiber& fiber = block.fibers[block.running];
#if MIXDIM_EMU_ASAN
  // An exited fiber never comes back: a null save slot lets ASan free its fake stack.
  __sanitizer_start_switch_fiber(fiber.state == State::exited ? nullptr : &fiber.asan_fake_stack,
                                 block.scheduler_stack_bottom, block.scheduler_stack_size);
#endif
  mixdim_emu_switch_context(&fiber.stack_pointer, block.scheduler_stack_pointer);
#if MIXDIM_EMU_ASAN
  __sanitizer_finish_switch_fiber(fiber.asan_fake_stack, nullptr, nullptr);
#endif
}

// The first frame of every fiber: run the kernel for this thread, then leave for good.
void fiber_main() {
#if MIXDIM_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &block.scheduler_stack_bottom, &block.scheduler_stack_size);
#endif
  block.call->invoke(block.call->context);
  block.fibers[block.running].state = State::exited;
  --block.live;
  switch_to_scheduler();
  __builtin_trap();  // an exited fiber is never resumed
}

void prepare_fiber(Fiber& fiber) {
  if (fiber.stack == nullptr) {
    void* memory = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) {
      fprintf(stderr, "mixdim CUDA emulation: cannot map a %zu-byte fiber stack\n", kStackBytes);
      abort();
    }
    fiber.stack = static_cast<char*>(memory);
    mprotect(fiber.stack, kGuardBytes, PROT_NONE);  // a stack overflow faults instead of corrupting a neighbour
  }
  // The first switch "returns" into fiber_main with the stack aligned as at a call: the return
  // address sits at a 16-byte boundary, under a null return address for fiber_main itself.
  uintptr_t top = reinterpret_cast<uintptr_t>(fiber.stack + kStackBytes) & ~uintptr_t(15);
  void** frame = reinterpret_cast<void**>(top - 16);
  frame[0] = reinterpret_cast<void*>(&fiber_main);
  frame[1] = nullptr;
  frame -= 6;  // r15, r14, r13, r12, rbx, rbp
  for (int i = 0; i < 6; ++i) frame[i] = nullptr;
  fiber.stack_pointer = frame;
  fiber.asan_fake_stack = nullptr;
  fiber.state = State::ready;
}

// --- faults ----------------------------------------------------------------------------------

// Ends the launch: reports `what`, and if a fiber is running, leaves it suspended for good.
[[noreturn]] void fail_in_fiber(const std::string& what) {
  set_fault(std::string("kernel ") + block.call->name + ", block " + describe(current->block) + ": " + what);
  block.failed = true;
  Fiber& fiber = block.fibers[block.running];
  fiber.state = State::exited;
  switch_to_scheduler();
  __builtin_trap();
}

std::string thread_name(int index) { return "thread " + describe(block.fibers[index].coordinates.thread); }

// Called when no thread can run but some are alive: either all wait at one __syncthreads (release
// them), or the block is stuck: a divergent barrier, which the hardware would hang or misrun on.
bool release_barrier_or_fail() {
  const Fiber* first_waiter = nullptr;
  bool one_site = true;
  for (int i = 0; i < block.threads; ++i) {
    const Fiber& fiber = block.fibers[i];
    if (fiber.state == State::exited) continue;
    if (fiber.state != State::at_barrier) {
      one_site = false;
      break;
    }
    if (first_waiter == nullptr) {
      first_waiter = &fiber;
    } else if (fiber.barrier_line != first_waiter->barrier_line || strcmp(fiber.barrier_file, first_waiter->barrier_file) != 0) {
      one_site = false;
    }
  }
  if (one_site && first_waiter != nullptr) {
    for (int i = 0; i < block.threads; ++i) {
      if (block.fibers[i].state == State::at_barrier) block.fibers[i].state = State::ready;
    }
    return true;
  }
  // Name where each group of threads stands, in thread order.
  std::string where;
  int listed = 0;
  for (int i = 0; i < block.threads && listed < 8; ++i) {
    const Fiber& fiber = block.fibers[i];
    if (fiber.state == State::exited) continue;
    std::string at = fiber.state == State::at_barrier
                         ? std::string("__syncthreads at ") + fiber.barrier_file + ":" + std::to_string(fiber.barrier_line)
                         : std::string("a warp shuffle at ") + fiber.shuffle.file + ":" + std::to_string(fiber.shuffle.line);
    if (where.find(at) != std::string::npos) continue;
    where += (listed++ > 0 ? "; " : "") + thread_name(i) + " waits at " + at;
  }
  set_fault(std::string("divergent barrier in kernel ") + block.call->name + ", block " +
            describe(block.fibers[0].coordinates.block) + ": " + where);
  block.failed = true;
  return false;
}

void run_block(ThreadOrder& order) {
  while (block.live > 0) {
    bool ran = false;
    for (int index : order.next_pass(block.threads)) {
      if (block.fibers[index].state != State::ready) continue;
      switch_to_fiber(index);
      ran = true;
      if (block.failed) return;
    }
    if (!ran && block.live > 0 && !release_barrier_or_fail()) return;
  }
}

}  // namespace

// --- what device code calls ------------------------------------------------------------------

void kernel_entry(int max_threads_per_block, const void* kernel, const char* name) {
  if (probing) throw LaunchBoundsProbe{max_threads_per_block, kernel, name};
}

void syncthreads(const char* file, int line) {
  Fiber& fiber = block.fibers[block.running];
  fiber.state = State::at_barrier;
  fiber.barrier_file = file;
  fiber.barrier_line = line;
  switch_to_scheduler();
}

uint64_t shuffle(ShuffleMode mode, unsigned int mask, uint64_t bits, int b, int width, const char* file, int line) {
  const int index = block.running;
  const int lane = index % kWarpSize;
  const int warp_base = index - lane;
  const std::string at = std::string(" (") + file + ":" + std::to_string(line) + ")";
  if (width < 1 || width > kWarpSize || (width & (width - 1)) != 0) {
    fail_in_fiber("a warp shuffle's width " + std::to_string(width) + " is not a power of two up to 32" + at);
  }
  if ((mask >> lane & 1u) == 0) fail_in_fiber(thread_name(index) + " calls a warp shuffle with a mask that leaves out its own lane" + at);
  Fiber& fiber = block.fibers[index];
  fiber.shuffle = ShuffleRequest{mode, mask, bits, b, width, file, line};
  fiber.state = State::at_shuffle;
  // The last lane of the mask to arrive completes the exchange for all of them.
  bool complete = true;
  for (int l = 0; l < kWarpSize && complete; ++l) {
    if ((mask >> l & 1u) == 0) continue;
    if (warp_base + l >= block.threads) {
      fail_in_fiber("a warp shuffle's mask names lane " + std::to_string(l) + ", which this block does not have" + at);
    }
    const Fiber& other = block.fibers[warp_base + l];
    if (other.state == State::exited) {
      fail_in_fiber("a warp shuffle's mask names lane " + std::to_string(l) + ", which has exited" + at);
    }
    if (other.state != State::at_shuffle) complete = false;
    else if (other.shuffle.mask != mask) fail_in_fiber("the lanes of a warp shuffle disagree on its mask" + at);
  }
  if (complete) {
    for (int l = 0; l < kWarpSize; ++l) {
      if ((mask >> l & 1u) == 0) continue;
      Fiber& reader = block.fibers[warp_base + l];
      const ShuffleRequest& request = reader.shuffle;
      // PTX shfl.sync: lanes form segments of `width`; a source outside the segment reads its own value.
      const int segment_first = l & ~(request.width - 1);
      const int segment_last = segment_first + request.width - 1;
      int source = l;
      switch (request.mode) {
        case ShuffleMode::index: source = segment_first + (request.b & (request.width - 1)); break;
        case ShuffleMode::up: source = l - request.b >= segment_first ? l - request.b : l; break;
        case ShuffleMode::down: source = l + request.b <= segment_last ? l + request.b : l; break;
        case ShuffleMode::xor_: source = (l ^ request.b) <= segment_last ? (l ^ request.b) : l; break;
      }
      if ((mask >> source & 1u) == 0) {
        fail_in_fiber("lane " + std::to_string(l) + " reads lane " + std::to_string(source) + ", which is not in the mask" + at);
      }
      reader.shuffle_result = block.fibers[warp_base + source].shuffle.bits;
      reader.state = State::ready;
    }
  } else {
    switch_to_scheduler();
  }
  return fiber.shuffle_result;
}

void* shared_array(const char* site, size_t bytes, size_t alignment) {
  for (const SharedSlot& slot : block.shared) {
    if (strcmp(slot.site, site) == 0) return slot.data;
  }
  // Exactly `bytes` long, so that AddressSanitizer reports a read or write one past the end.
  void* data = alignment > alignof(max_align_t) ? aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment)
                                                : malloc(bytes > 0 ? bytes : 1);
  fill_pattern(data, bytes);
  block.shared.push_back(SharedSlot{site, data});
  return data;
}

void* dynamic_shared() { return block.dynamic_shared; }

// --- the launch ------------------------------------------------------------------------------

namespace {

// Appends "kernel threads-per-block" to MIXDIM_EMULATED_LAUNCH_LOG, once per pair and process.
void log_launch(const char* kernel, uint64_t threads) {
  static const char* path = getenv("MIXDIM_EMULATED_LAUNCH_LOG");
  static std::set<std::pair<std::string, uint64_t>> logged;
  if (path == nullptr || !logged.insert({kernel, threads}).second) return;
  if (FILE* log = fopen(path, "a")) {
    fprintf(log, "%s %llu\n", kernel, static_cast<unsigned long long>(threads));
    fclose(log);
  }
}

// The checks the hardware makes before a launch starts, in CUDA's terms.
bool geometry_fits(const KernelCall& call, dim3 grid, dim3 block_dim, size_t dynamic_shared_bytes) {
  const std::string kernel = std::string("kernel ") + call.name + ": ";
  const uint64_t threads = uint64_t(block_dim.x) * block_dim.y * block_dim.z;
  if (block_dim.x == 0 || block_dim.y == 0 || block_dim.z == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
    set_launch_error(cudaErrorInvalidConfiguration, kernel + "a launch dimension is 0");
    return false;
  }
  if (threads > kMaxThreadsPerBlock || block_dim.x > 1024 || block_dim.y > 1024 || block_dim.z > kMaxBlockDimZ) {
    set_launch_error(cudaErrorInvalidConfiguration,
                     kernel + "block " + describe(uint3{block_dim.x, block_dim.y, block_dim.z}) + " exceeds 1024 threads or z 64");
    return false;
  }
  if (grid.x > kMaxGridDimX || grid.y > kMaxGridDimYZ || grid.z > kMaxGridDimYZ) {
    set_launch_error(cudaErrorInvalidConfiguration, kernel + "grid " + describe(uint3{grid.x, grid.y, grid.z}) + " exceeds the grid limits");
    return false;
  }
  // The kernel's __launch_bounds__ and address, read by calling it once: kernel_entry() throws
  // before its body runs.
  LaunchBoundsProbe probe{0, nullptr, nullptr};
  probing = true;
  try {
    call.invoke(call.context);
    probing = false;
    set_launch_error(cudaErrorLaunchFailure, kernel + "has no kernel_entry(): was it compiled without the launch rewriter?");
    return false;
  } catch (const LaunchBoundsProbe& thrown) {
    probe = thrown;
  }
  probing = false;
  const int bound = probe.max_threads;
  if (dynamic_shared_bytes > dynamic_shared_limit(probe.kernel)) {
    set_launch_error(cudaErrorInvalidValue, kernel + std::to_string(dynamic_shared_bytes) +
                                                " bytes of dynamic shared memory exceed the kernel's limit of " +
                                                std::to_string(dynamic_shared_limit(probe.kernel)));
    return false;
  }
  if (bound > 0 && threads > static_cast<uint64_t>(bound)) {
    set_launch_error(cudaErrorLaunchOutOfResources, kernel + std::to_string(threads) +
                                                        " threads per block exceed its __launch_bounds__ of " + std::to_string(bound));
    return false;
  }
  log_launch(probe.name, threads);
  return true;
}

void begin_block(const KernelCall& call, dim3 grid, dim3 block_dim, uint3 block_index) {
  for (int i = 0; i < block.threads; ++i) {
    Fiber& fiber = block.fibers[i];
    prepare_fiber(fiber);
    const unsigned int t = static_cast<unsigned int>(i);
    fiber.coordinates = Coordinates{uint3{t % block_dim.x, t / block_dim.x % block_dim.y, t / (block_dim.x * block_dim.y)},
                                    block_index, block_dim, grid};
  }
  block.call = &call;
  block.live = block.threads;
  if (block.dynamic_shared != nullptr) fill_pattern(block.dynamic_shared, block.dynamic_shared_bytes);
}

void end_block() {
  for (const SharedSlot& slot : block.shared) free(slot.data);
  block.shared.clear();
}

}  // namespace

void launch(const KernelCall& call, dim3 grid, dim3 block_dim, size_t dynamic_shared_bytes, cudaStream_t) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  if (!geometry_fits(call, grid, block_dim, dynamic_shared_bytes)) return;
  static ThreadOrder order;
  static std::string order_error;
  static const bool order_valid = ThreadOrder::parse(getenv("MIXDIM_EMULATED_THREAD_ORDER"), &order, &order_error);
  if (!order_valid) {
    set_launch_error(cudaErrorInvalidValue, order_error);
    return;
  }
  block.threads = static_cast<int>(block_dim.x * block_dim.y * block_dim.z);
  if (static_cast<int>(block.fibers.size()) < block.threads) block.fibers.resize(block.threads);
#if MIXDIM_EMU_ASAN
  // Fibers a fault abandoned left their frames' poisoning on these stacks.
  if (block.stacks_abandoned) {
    for (Fiber& fiber : block.fibers) {
      if (fiber.stack != nullptr) ASAN_UNPOISON_MEMORY_REGION(fiber.stack + kGuardBytes, kStackBytes - kGuardBytes);
    }
    block.stacks_abandoned = false;
  }
#endif
  block.dynamic_shared_bytes = dynamic_shared_bytes;
  block.dynamic_shared = malloc(dynamic_shared_bytes > 0 ? dynamic_shared_bytes : 1);
  block.failed = false;
  poison_other_devices(true);
  for (unsigned int z = 0; z < grid.z && !block.failed; ++z) {
    for (unsigned int y = 0; y < grid.y && !block.failed; ++y) {
      for (unsigned int x = 0; x < grid.x && !block.failed; ++x) {
        begin_block(call, grid, block_dim, uint3{x, y, z});
        run_block(order);
        end_block();
      }
    }
  }
  poison_other_devices(false);
  if (block.failed) block.stacks_abandoned = true;
  free(block.dynamic_shared);
  block.dynamic_shared = nullptr;
  current = nullptr;
}

}  // namespace mixdim_emu
