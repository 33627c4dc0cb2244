/**
 * How big and how long each benchmark runs: "full" (`npm run bench:kernels`, at most about ten
 * minutes on two cores) and "quick" (`npm run bench:kernels -- --quick`, well under a minute:
 * smaller stores and graphs and a few runs per kernel, for development; its figures are noisy).
 *
 * The kernel table's dense training kernels keep ESAPN's batch of 500 in every profile, the size
 * they run at in training; only the store, the graph, the copy buffer and the repeats shrink.
 */
import { copyBufferBytes } from "./bandwidth_limit.js";
import type { GemmBenchOptions } from "./gemm_bench.js";
import type { PropagationWorkload } from "./propagation_bench.js";
import { defaultWorkload, type WorkloadOptions } from "./store_workload.js";
import { defaultTiming, type TimingOptions } from "./timing.js";

export type ProfileName = "full" | "quick";

/** The kernel table's inputs and repeats (all_kernels.json). */
export interface KernelTableProfile {
  timing: TimingOptions;
  /** Rows of the dense training kernels: ESAPN's batch. */
  batch: number;
  /** Bytes of each of the two buffers of the copy that bandwidth figures are read against. */
  copyBytes: number;
  /** n of the n×n×n OpenBLAS sgemm whose GFLOP/s compute-bound kernels are read against. */
  sgemmPeakSize: number;
  /** The embedding store's table and id batches. */
  store: WorkloadOptions;
  /** Rows one resize call moves. */
  resizedRows: number;
  gumbel: { batch: number; fields: number };
  propagation: Partial<PropagationWorkload>;
}

export interface BenchProfile {
  name: ProfileName;
  /** Bytes of each of the two buffers of the copy that bandwidth figures are read against. */
  copyBytes: number;
  /** The embedding store's table and id batches (kernels.json and the table's store rows). */
  store: WorkloadOptions;
  /** Repeats of the store kernels in kernels.json. */
  storeTiming: TimingOptions;
  /** The core training kernels (training_kernels.json). */
  training: {
    timing: TimingOptions;
    chainBatch: number;
    gumbelBatch: number;
    gemm: GemmBenchOptions;
    propagation: Partial<PropagationWorkload>;
  };
  /** Every kernel at 1 and 2 threads (all_kernels.json). */
  table: KernelTableProfile;
}

const esapnBatch = 500;

export const fullProfile: BenchProfile = {
  name: "full",
  copyBytes: copyBufferBytes,
  store: defaultWorkload,
  storeTiming: defaultTiming,
  training: {
    // Per timed path: 0.4 s (at least 5 runs), interleaved where two paths are compared.
    timing: { warmupRuns: 2, minRuns: 5, minSeconds: 0.4, maxRuns: 1000 },
    chainBatch: 16384,
    gumbelBatch: 4096,
    gemm: {},
    propagation: {},
  },
  table: {
    // Per kernel and thread count: 0.5 s (at least 10 runs); about 80 rows at 2 thread counts.
    timing: { warmupRuns: 3, minRuns: 10, minSeconds: 0.5, maxRuns: 2000 },
    batch: esapnBatch,
    copyBytes: copyBufferBytes,
    // 2.1 GFLOP: tens of milliseconds on one core, long enough for OpenBLAS to reach its peak.
    sgemmPeakSize: 1024,
    store: defaultWorkload,
    resizedRows: 4096,
    // An AutoDim batch over Criteo's 26 categorical fields.
    gumbel: { batch: 2000, fields: 26 },
    propagation: {},
  },
};

const quickTiming: TimingOptions = { warmupRuns: 1, minRuns: 3, minSeconds: 0.03, maxRuns: 200 };
const quickStore: WorkloadOptions = { ...defaultWorkload, rows: 1 << 18, batch: 16_384, batches: 2 };
const quickCopyBytes = 64 * 2 ** 20;

export const quickProfile: BenchProfile = {
  name: "quick",
  copyBytes: quickCopyBytes,
  store: quickStore,
  storeTiming: quickTiming,
  training: {
    timing: quickTiming,
    chainBatch: 4096,
    gumbelBatch: 1024,
    gemm: { minSamples: 4, minSeconds: 0, rounds: 1 },
    propagation: { numUsers: 20_000, numItems: 10_000, interactions: 400_000 },
  },
  table: {
    timing: quickTiming,
    batch: esapnBatch,
    copyBytes: quickCopyBytes,
    sgemmPeakSize: 512,
    store: quickStore,
    resizedRows: 1024,
    gumbel: { batch: 500, fields: 26 },
    propagation: { numUsers: 20_000, numItems: 10_000, interactions: 400_000 },
  },
};
