/**
 * The shape of the kernel table's results, as written to bench/results/all_kernels.json and read
 * back from it (a later run without a GPU keeps the GPU figures of an earlier one).
 */
import type { Device } from "../backend.js";
import type { CopyBandwidth, CopyLimitKind } from "./bandwidth_limit.js";
import type { ProfileName } from "./bench_profile.js";
import type { KernelCase } from "./kernel_case.js";
import type { UntimedKernels } from "./kernel_catalogue.js";
import type { SgemmPeak } from "./sgemm_peak.js";
import type { TargetOutcome } from "./training_figures.js";

/** The limits of one thread count, measured before the kernels. */
export interface KernelLimits {
  /** CPU threads; absent on a GPU. */
  threads?: number;
  copy: CopyBandwidth;
  /** CPU only: what compute-bound kernels are read against. */
  sgemm?: SgemmPeak;
}

export interface KernelMeasurement {
  threads?: number;
  medianMs: number;
  minMs: number;
  runs: number;
  gbPerSecond: number;
  /** Compute-bound kernels only. */
  gflopPerSecond?: number;
  /** The limit at the same thread count: copy GB/s (bandwidth-bound) or sgemm GFLOP/s (compute-bound). */
  limit?: number;
  /** GB/s over the copy's, or GFLOP/s over sgemm's; absent where no limit was measured. */
  ratio?: number;
}

/** A case's description (what KernelCase says of it) with its family and measurements. */
export interface KernelRow extends Pick<KernelCase, "op" | "label" | "shape" | "pass" | "bound" | "effectiveBytes" | "flops" | "chainPath"> {
  family: string;
  /** One per thread count, in the order of the device's limits. */
  measurements: KernelMeasurement[];
  /** CPU only: the 2-thread figure over the 1-thread one (= 1-thread time / 2-thread time). */
  threadScaling?: number;
}

/** The projection chain's two forward paths on the same rows. */
export interface ChainSpeedup {
  rows: string;
  byThreads: { threads?: number; precomposedMs: number; stepwiseMs: number; speedup: number }[];
}

export interface KernelTableDevice {
  device: Device;
  /** CPU model or GPU name. */
  name: string;
  /** When these figures were taken (ISO 8601). */
  date: string;
  /** The host they were taken on (a kept GPU section may come from another machine). */
  host: string;
  /** The CPU GEMM the products ran on, e.g. "builtin (avx512f)"; absent on a GPU. */
  gemm?: string;
  copyLimit: { kind: CopyLimitKind; bufferBytes: number };
  limits: KernelLimits[];
  rows: KernelRow[];
  chain: ChainSpeedup[];
}

export interface KernelTableResults {
  date: string;
  profile: ProfileName;
  machine: Record<string, unknown>;
  timing: Record<string, unknown>;
  cpu: KernelTableDevice;
  /** Absent when no GPU run was ever recorded. */
  cuda?: KernelTableDevice;
  /** Set when the cuda section comes from an earlier run than this file's date. */
  cudaFromEarlierRun?: boolean;
  /** Why this run has no GPU figures, when it has none. */
  cudaSkipped?: string;
  /** What is not timed, and why. */
  untimed: UntimedKernels;
  /** The benchmark's targets (kernels.json and training_kernels.json), from this run. */
  targets: TargetOutcome[];
}
