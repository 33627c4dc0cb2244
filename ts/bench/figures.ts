/**
 * The shape of the benchmark's results, as written to bench/results/kernels.json and read
 * back from it (a later run without a GPU keeps the GPU figures of an earlier one).
 */
import type { Device } from "../index.js";
import type { CopyBandwidth, CopyLimitKind } from "./bandwidth_limit.js";
import type { OptimizerType } from "./effective_bytes.js";

export type KernelName = "lookup" | "sparseGradient" | "step";

export interface TargetCheck {
  /** The kernel's GB/s must be at least this fraction of the limit. */
  minRatio: number;
  met: boolean;
  /** Where the target comes from. */
  reference: string;
}

export interface KernelFigure {
  kernel: KernelName;
  /** What the row shows, e.g. "step adam (checkFinite)" or "lookup @1 thread". */
  label: string;
  optimizer?: OptimizerType;
  checkFinite?: boolean;
  /** CPU threads; absent on a GPU. */
  threads?: number;
  medianMs: number;
  runs: number;
  /** Mean over the batches cycled through; see effective_bytes.ts. */
  effectiveBytes: number;
  gbPerSecond: number;
  /** The copy bandwidth at the same thread count, from the same run. */
  limitGbPerSecond: number;
  ratio: number;
  target?: TargetCheck;
}

export interface DeviceFigures {
  device: Device;
  /** CPU model or GPU name. */
  name: string;
  /** When these figures were taken (ISO 8601). */
  date: string;
  /** The host they were taken on: CPU model, cores, Node (a kept GPU section may come from another machine). */
  host: string;
  limit: {
    kind: CopyLimitKind;
    bufferBytes: number;
    measurements: CopyBandwidth[];
  };
  kernels: KernelFigure[];
}

export interface BenchResults {
  date: string;
  machine: Record<string, unknown>;
  input: Record<string, unknown>;
  timing: Record<string, unknown>;
  cpu: DeviceFigures;
  /** Absent when no GPU run was ever recorded. */
  cuda?: DeviceFigures;
  /** Set when the cuda section comes from an earlier run than this file's date. */
  cudaFromEarlierRun?: boolean;
}
