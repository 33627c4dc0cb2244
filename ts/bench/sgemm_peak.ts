/**
 * The compute limit compute-bound CPU kernels are read against, measured in the same run:
 * OpenBLAS's cblas_sgemm on one large square product (n×n·n×n, 2n³ FLOPs), at the current thread
 * count (mixdim tells OpenBLAS its pool's thread count before each call).
 *
 * OpenBLAS is loaded with dlopen (ts/ops/gemm.ts, docs/gemm.md); where libopenblas.so.0 is
 * missing there is no limit to read against, and the reason is returned instead.
 */
import { backend } from "../backend.js";
import { cpuGemm, matmul, setCpuGemm } from "../ops/gemm.js";
import { Tensor } from "../tensor.js";
import { waitForOpenblasThreads } from "./gemm_bench.js";
import { seededFloats } from "./seeded_floats.js";
import { timeMedian, type TimingOptions } from "./timing.js";

export type SgemmPeak =
  | { available: true; threads: number; size: number; core: string; medianMs: number; runs: number;
      gflopPerSecond: number }
  | { available: false; threads: number; reason: string };

/** Times OpenBLAS's sgemm on an n×n×n product; the builtin GEMM is chosen again afterwards. */
export function measureSgemmPeak(size: number, timing: TimingOptions): SgemmPeak {
  const info = cpuGemm();
  const threads = backend().threads;
  if (!info.openblas) {
    return { available: false, threads,
             reason: `${info.openblasReason ?? "libopenblas.so.0 did not load"} (install it, e.g. apt libopenblas0)` };
  }
  const a = Tensor.from(seededFloats(size * size, 21), { shape: [size, size] });
  const b = Tensor.from(seededFloats(size * size, 22), { shape: [size, size] });
  const out = Tensor.zeros("float32", [size, size]);
  setCpuGemm({ backend: "openblas" });
  try {
    const timed = timeMedian(() => matmul(a, b, { out }), () => {}, timing);
    return { available: true, threads, size, core: info.openblasCore ?? "unknown", medianMs: timed.medianMs,
             runs: timed.runs, gflopPerSecond: (2 * size ** 3) / (timed.medianMs * 1e6) };
  } finally {
    setCpuGemm({ backend: info.backend });
    waitForOpenblasThreads();
  }
}
