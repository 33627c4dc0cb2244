/**
 * Every kernel, forward and backward (kernel_catalogue.ts), on one device, each read against a
 * limit measured in the same run at the same thread count: bandwidth-bound kernels in effective
 * GB/s over a large copy (memcpy over the thread pool on the CPU, device-to-device on a GPU),
 * compute-bound ones in GFLOP/s over OpenBLAS's sgemm on a large square product (CPU only).
 *
 * On the CPU every case is timed at 1 and at 2 threads, one right after the other, and the
 * limits are measured at both before any kernel; the thread scaling is the 2-thread figure over
 * the 1-thread one. The projection chain's two forward paths are paired row by row.
 */
import type { Device } from "../backend.js";
import { cpuGemm } from "../ops/gemm.js";
import { copyLimitKind, measureCopyBandwidth } from "./bandwidth_limit.js";
import type { KernelTableProfile } from "./bench_profile.js";
import type { KernelCase } from "./kernel_case.js";
import { kernelFamilies } from "./kernel_catalogue.js";
import type {
  ChainSpeedup, KernelLimits, KernelMeasurement, KernelRow, KernelTableDevice,
} from "./kernel_table_figures.js";
import { deviceName, hostDescription } from "./machine.js";
import { measureSgemmPeak } from "./sgemm_peak.js";
import { scalingThreads, withThreads } from "./thread_scaling.js";
import { gigabytesPerSecond, timeMedian, type TimingOptions } from "./timing.js";

// CPU: each scaling thread count; a GPU: one measurement, `undefined` threads.
function threadCounts(device: Device): (number | undefined)[] {
  return device === "cpu" ? [...scalingThreads] : [undefined];
}

function atThreads<T>(threads: number | undefined, measure: () => T): T {
  return threads === undefined ? measure() : withThreads(threads, measure);
}

function measureLimits(device: Device, profile: KernelTableProfile, threads: number | undefined): KernelLimits {
  return atThreads(threads, () => ({
    ...(threads === undefined ? {} : { threads }),
    copy: measureCopyBandwidth(device, profile.copyBytes, profile.timing),
    ...(device === "cpu" ? { sgemm: measureSgemmPeak(profile.sgemmPeakSize, profile.timing) } : {}),
  }));
}

function measureCase(kernel: KernelCase, limits: KernelLimits, timing: TimingOptions): KernelMeasurement {
  const timed = timeMedian(kernel.run, kernel.release, timing);
  const gbPerSecond = gigabytesPerSecond(kernel.effectiveBytes, timed.medianMs);
  const measurement: KernelMeasurement = {
    ...(limits.threads === undefined ? {} : { threads: limits.threads }),
    medianMs: timed.medianMs, minMs: timed.minMs, runs: timed.runs, gbPerSecond,
  };
  if (kernel.bound === "bandwidth") {
    measurement.limit = limits.copy.gbPerSecond;
    measurement.ratio = gbPerSecond / limits.copy.gbPerSecond;
  } else {
    const gflopPerSecond = kernel.flops! / (timed.medianMs * 1e6);
    measurement.gflopPerSecond = gflopPerSecond;
    if (limits.sgemm?.available === true) {
      measurement.limit = limits.sgemm.gflopPerSecond;
      measurement.ratio = gflopPerSecond / limits.sgemm.gflopPerSecond;
    }
  }
  return measurement;
}

function chainSpeedups(rows: readonly KernelRow[]): ChainSpeedup[] {
  const precomposed = rows.filter((row) => row.chainPath?.path === "precomposed");
  return precomposed.map((fast) => {
    const slow = rows.find((row) =>
      row.chainPath?.path === "step-by-step" && row.chainPath.rows === fast.chainPath!.rows)!;
    return {
      rows: fast.chainPath!.rows,
      byThreads: fast.measurements.map((m, t) => ({
        ...(m.threads === undefined ? {} : { threads: m.threads }),
        precomposedMs: m.medianMs, stepwiseMs: slow.measurements[t]!.medianMs,
        speedup: slow.measurements[t]!.medianMs / m.medianMs,
      })),
    };
  });
}

function limitLine(limits: KernelLimits): string {
  const at = limits.threads === undefined ? "" : ` at ${limits.threads} thread${limits.threads === 1 ? "" : "s"}`;
  const copy = `copy ${limits.copy.gbPerSecond.toFixed(1)} GB/s`;
  if (limits.sgemm === undefined) return `  limits${at}: ${copy}`;
  const sgemm = limits.sgemm.available
    ? `OpenBLAS sgemm ${limits.sgemm.size}³ ${limits.sgemm.gflopPerSecond.toFixed(1)} GFLOP/s`
    : `no sgemm limit: ${limits.sgemm.reason}`;
  return `  limits${at}: ${copy}, ${sgemm}`;
}

/** "12.3 GB/s 0.45×" or "80.1 GFLOP/s 0.62×" */
function figureText(row: Pick<KernelRow, "bound">, m: KernelMeasurement): string {
  const figure = row.bound === "compute"
    ? `${m.gflopPerSecond!.toFixed(1)} GFLOP/s`
    : `${m.gbPerSecond.toFixed(1)} GB/s`;
  return m.ratio === undefined ? figure : `${figure} ${m.ratio.toFixed(2)}×`;
}

function rowLine(row: KernelRow): string {
  const measured = row.measurements.map((m) =>
    `${m.threads === undefined ? "" : `${m.threads}t `}${m.medianMs.toFixed(3)} ms ${figureText(row, m)}`);
  const scaling = row.threadScaling === undefined ? "" : `, scaling ${row.threadScaling.toFixed(2)}×`;
  return `  ${`${row.op}: ${row.label}`.slice(0, 64).padEnd(64)} ${measured.join(" | ")}${scaling}`;
}

/** Times every kernel of the catalogue on `device`, logging each row as it comes. */
export function benchKernelTable(device: Device, profile: KernelTableProfile,
                                 log: (line: string) => void): KernelTableDevice {
  const counts = threadCounts(device);
  const limits = counts.map((threads) => measureLimits(device, profile, threads));
  for (const measured of limits) log(limitLine(measured));

  const rows: KernelRow[] = [];
  for (const buildFamily of kernelFamilies) {
    const family = buildFamily(device, profile);
    try {
      for (const kernel of family.cases) {
        const measurements = counts.map((threads, t) =>
          atThreads(threads, () => measureCase(kernel, limits[t]!, profile.timing)));
        const row: KernelRow = {
          family: family.family, op: kernel.op, label: kernel.label, shape: kernel.shape, pass: kernel.pass,
          bound: kernel.bound, effectiveBytes: kernel.effectiveBytes,
          ...(kernel.flops === undefined ? {} : { flops: kernel.flops }),
          ...(kernel.chainPath === undefined ? {} : { chainPath: kernel.chainPath }),
          measurements,
          // scalingThreads is [1, 2]: the 1-thread time over the 2-thread one.
          ...(device === "cpu" ? { threadScaling: measurements[0]!.medianMs / measurements[1]!.medianMs } : {}),
        };
        rows.push(row);
        log(rowLine(row));
      }
    } finally {
      family.dispose();
    }
  }

  const chain = chainSpeedups(rows);
  for (const pair of chain) {
    const speedups = pair.byThreads.map((t) =>
      `${t.speedup.toFixed(1)}×${t.threads === undefined ? "" : ` at ${t.threads} thread${t.threads === 1 ? "" : "s"}`}`);
    log(`  chain, ${pair.rows}: precomposed over step by step ${speedups.join(", ")}`);
  }

  const gemm = cpuGemm();
  return {
    device,
    name: deviceName(device),
    date: new Date().toISOString(),
    host: hostDescription(),
    ...(device === "cpu" ? { gemm: `${gemm.backend}${gemm.backend === "builtin" ? ` (${gemm.kernel})` : ""}` } : {}),
    copyLimit: { kind: copyLimitKind(device), bufferBytes: profile.copyBytes },
    limits,
    rows,
    chain,
  };
}
