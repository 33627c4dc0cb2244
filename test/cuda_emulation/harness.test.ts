/**
 * The CUDA emulation's own checks: build-emulated/build/emulation_checks (harness_checks.cu, CUDA
 * source run on the emulated runtime) prints "ok NAME" or "FAIL NAME: why" per check. Runs where
 * CI runs the emulated build (MIXDIM_EXPECT_CUDA_EMULATION=1), once per thread order.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const program = fileURLToPath(new URL("../../build-emulated/build/emulation_checks", import.meta.url));

const checks = [
  "threadIdx, blockIdx, blockDim and gridDim",
  "__syncthreads orders a block reduction",
  "threads that return drop out of __syncthreads",
  "a divergent __syncthreads is reported, naming the kernel",
  "a barrier some threads never reach is reported",
  "the fault is reported once",
  "__shfl_sync reads lane b of its width-8 segment",
  "__shfl_sync with the default width reads lane b of the warp",
  "__shfl_up_sync keeps its own value below the segment's first lane",
  "__shfl_down_sync keeps its own value past the segment's end",
  "__shfl_xor_sync exchanges across the whole warp",
  "__shfl_xor_sync keeps its own value outside a width-4 segment",
  "a shuffle whose mask leaves out the calling lane is a fault",
  "a block of 1,025 threads is an invalid configuration",
  "a block z of 65 is an invalid configuration",
  "a grid y of 65,536 is an invalid configuration",
  "more threads than __launch_bounds__ is too many resources",
  "a launch within __launch_bounds__ runs",
  "dynamic shared memory over 48 KiB is refused unless raised",
  "cudaFuncSetAttribute raises the dynamic shared memory limit",
  "shared memory nobody wrote reads as NaN",
  "threads run in the order MIXDIM_EMULATED_THREAD_ORDER names",
  "CUB refuses temporary storage smaller than its size query said",
  "cub::DeviceRadixSort::SortPairs sorts stably by the bits asked for",
  "MIXDIM_EMULATED_DEVICES=2 gives two devices, and allocations remember theirs",
  "the device has an H100's properties",
  "a copy to the device whose destination is host memory is refused",
];

describe.runIf(process.env.MIXDIM_EXPECT_CUDA_EMULATION === "1")("the CUDA emulation harness", () => {
  // Run once, on first use (a skipped describe is still collected). The deliberate faults' reports
  // go to the captured stderr, not to the log CI scans for faults; its kernels stay out of the launch log.
  let run: ReturnType<typeof spawnSync<string>> | undefined;
  const env = { ...process.env, MIXDIM_EMULATED_LAUNCH_LOG: undefined };
  const output = () => (run ??= spawnSync(program, { encoding: "utf8", env }));

  it("runs its checks to the end, with no sanitizer report", () => {
    expect(existsSync(program), `${program} is built by npm run build:cuda-emulated`).toBe(true);
    expect(output().stderr).not.toMatch(/AddressSanitizer|runtime error:/);
    expect(output().stdout.split("\n")).toContain("0 failed");
  });

  for (const check of checks) {
    it(check, () => {
      const line = output().stdout.split("\n").find((l) => l === `ok ${check}` || l.startsWith(`FAIL ${check}:`));
      expect(line).toBe(`ok ${check}`);
    });
  }

  it("reports no check this file does not know", () => {
    const reported = output().stdout.split("\n").filter((l) => l.startsWith("ok ") || l.startsWith("FAIL "))
      .map((l) => (l.startsWith("ok ") ? l.slice(3) : l.slice(5).replace(/: .*$/, "")));
    expect(reported.filter((name) => !checks.includes(name))).toEqual([]);
  });
});
