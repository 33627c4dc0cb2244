// State the emulated runtime (runtime.cc) shares with the execution model (execution.cc).
#pragma once

#include <string>

#include "mixdim_emu/types.h"

namespace mixdim_emu {

// The emulated H100's limits that launches are checked against.
constexpr int kMaxThreadsPerBlock = 1024;
constexpr int kMaxBlockDimZ = 64;
constexpr unsigned int kMaxGridDimX = 2147483647u;
constexpr unsigned int kMaxGridDimYZ = 65535u;
constexpr size_t kDefaultDynamicSharedBytes = 48 * 1024;
constexpr size_t kOptInSharedBytesPerBlock = 227 * 1024;

// A launch that breaks a rule: cudaGetLastError returns it, and the launch runs nothing.
void set_launch_error(cudaError_t error, const std::string& detail);
// A fault while the kernel ran (divergent barrier, misused warp operation): reported on stderr,
// and returned by cudaGetLastError or the next synchronising call, as CUDA reports a kernel fault.
void set_fault(const std::string& detail);

// The dynamic shared memory cudaFuncSetAttribute allowed this kernel (48 KiB unless raised).
size_t dynamic_shared_limit(const void* kernel);

// Under AddressSanitizer, makes every allocation of devices other than the current one
// unaddressable while a kernel runs (`poisoned` true) or addressable again (false): a kernel that
// touches another device's memory, which a GPU without peer access faults on, is reported.
void poison_other_devices(bool poisoned);

}  // namespace mixdim_emu
