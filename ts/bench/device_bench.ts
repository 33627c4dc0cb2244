/**
 * One device's figures: its copy bandwidth and every kernel read against it.
 *
 * On the CPU, lookup is also timed at 1 and 2 threads, each beside a copy at the same thread
 * count, so thread scaling shows both in GB/s and in the ratio; the default thread count
 * (MIXDIM_THREADS or all hardware threads) is restored afterwards, whatever happens.
 */
import { backend, type Device } from "../index.js";
import { type CopyBandwidth, copyLimitKind, measureCopyBandwidth } from "./bandwidth_limit.js";
import type { BenchProfile } from "./bench_profile.js";
import type { OptimizerType } from "./effective_bytes.js";
import type { DeviceFigures, KernelFigure, KernelName } from "./figures.js";
import { deviceName, hostDescription } from "./machine.js";
import { type KernelTiming, StoreKernels, type StoreKernelRun, timeStoreKernel } from "./store_kernels.js";
import type { StoreWorkload } from "./store_workload.js";
import { checkTarget } from "./targets.js";
import { scalingThreads, withThreads } from "./thread_scaling.js";

const optimizers: readonly OptimizerType[] = ["sgd", "adam", "adagrad"];

export function benchDevice(device: Device, workload: StoreWorkload, profile: BenchProfile,
                            log: (line: string) => void): DeviceFigures {
  const defaultThreads = backend().threads;
  const copyBytes = profile.copyBytes;
  const time = (kernel: StoreKernelRun) => timeStoreKernel(kernel, profile.storeTiming);
  const figures: KernelFigure[] = [];
  const limits: CopyBandwidth[] = [];

  const figure = (kernel: KernelName, label: string, timing: KernelTiming, limit: CopyBandwidth,
                  extra: Pick<KernelFigure, "optimizer" | "checkFinite"> = {}): void => {
    const threads = device === "cpu" ? limit.threads : undefined;
    const partial = { kernel, label, ...extra, ...(threads === undefined ? {} : { threads }), ...timing,
                      limitGbPerSecond: limit.gbPerSecond, ratio: timing.gbPerSecond / limit.gbPerSecond };
    const target = checkTarget(device, partial, defaultThreads);
    figures.push(target === undefined ? partial : { ...partial, target });
    log(`  ${label.padEnd(24)} ${timing.medianMs.toFixed(3).padStart(9)} ms ${timing.gbPerSecond.toFixed(1).padStart(7)} GB/s`);
  };

  const kernels = new StoreKernels(device, workload);
  try {
    const limit = measureCopyBandwidth(device, copyBytes, profile.storeTiming);
    limits.push(limit);
    log(`  ${"copy (limit)".padEnd(24)} ${limit.medianMs.toFixed(3).padStart(9)} ms ${limit.gbPerSecond.toFixed(1).padStart(7)} GB/s`);
    figure("lookup", "lookup", time(kernels.lookup()), limit);
    figure("sparseGradient", "sparseGradient", time(kernels.sparseGradient()), limit);
    for (const optimizer of optimizers) {
      figure("step", `step ${optimizer}`, time(kernels.step(optimizer, false)), limit,
             { optimizer, checkFinite: false });
    }
    figure("step", "step adam (checkFinite)", time(kernels.step("adam", true)), limit,
           { optimizer: "adam", checkFinite: true });

    if (device === "cpu") {
      for (const threads of scalingThreads.filter((count) => count !== defaultThreads)) {
        withThreads(threads, () => {
          const scaledLimit = measureCopyBandwidth(device, copyBytes, profile.storeTiming);
          limits.push(scaledLimit);
          figure("lookup", `lookup @${threads} thread${threads === 1 ? "" : "s"}`, time(kernels.lookup()), scaledLimit);
        });
      }
    }
  } finally {
    kernels.dispose();
  }

  return {
    device,
    name: deviceName(device),
    date: new Date().toISOString(),
    host: hostDescription(),
    limit: {
      kind: copyLimitKind(device),
      bufferBytes: copyBytes,
      measurements: limits,
    },
    kernels: figures,
  };
}
