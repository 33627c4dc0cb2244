/**
 * The shape of the core training kernels' results, as written to bench/results/training_kernels.json
 * and read back from it (a later run without a GPU keeps the GPU figures of an earlier one).
 */
import type { Device } from "../index.js";
import type { CopyBandwidth, CopyLimitKind } from "./bandwidth_limit.js";
import type { ChainBenchFigures } from "./chain_bench.js";
import type { GemmBenchResult } from "./gemm_bench.js";
import type { GumbelBenchFigures } from "./gumbel_bench.js";
import type { PropagationFigure } from "./propagation_bench.js";

/** A bandwidth-bound kernel read against the copy limit of the same run. */
export interface LimitRatio {
  gbPerSecond: number;
  limitGbPerSecond: number;
  ratio: number;
}

/** One target and whether this run met it; `met` is absent where it could not be checked. */
export interface TargetOutcome {
  /** e.g. "chain, rows at 2". */
  name: string;
  device: Device;
  /** What is required, e.g. "≥ 10× step-by-step". */
  required: string;
  /** What was reached, e.g. "12.3×". */
  reached: string;
  met?: boolean;
  note?: string;
}

export interface GemmFigures {
  /** The builtin micro-kernel measured. */
  kernel: string;
  openblas: boolean;
  openblasCore?: string;
  /** Why OpenBLAS was not compared, when it was not. */
  note?: string;
  products: GemmBenchResult[];
  /** Σ flops / Σ time over all products, builtin over OpenBLAS: the MLP step as a whole. */
  aggregateRatio?: number;
}

export interface TrainingDeviceFigures {
  device: Device;
  /** CPU model or GPU name. */
  name: string;
  /** When these figures were taken (ISO 8601). */
  date: string;
  /** The host they were taken on (a kept GPU section may come from another machine). */
  host: string;
  limit: CopyBandwidth & { kind: CopyLimitKind; bufferBytes: number };
  chain: ChainBenchFigures;
  gumbel: GumbelBenchFigures & { weightedSumLimit: LimitRatio; weightedSumBackwardLimit: LimitRatio };
  propagation: PropagationFigure & { limit: LimitRatio };
  /** CPU only: the GEMM against OpenBLAS. */
  gemm?: GemmFigures;
  targets: TargetOutcome[];
}

export interface TrainingBenchResults {
  date: string;
  machine: Record<string, unknown>;
  timing: Record<string, unknown>;
  cpu: TrainingDeviceFigures;
  /** Absent when no GPU run was ever recorded. */
  cuda?: TrainingDeviceFigures;
  /** Set when the cuda section comes from an earlier run than this file's date. */
  cudaFromEarlierRun?: boolean;
}
