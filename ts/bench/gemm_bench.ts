/**
 * mixdim's CPU GEMM against OpenBLAS's cblas_sgemm on the products of an MLP's Linear layers
 * (batch 500; 256→512, 512→256, 512→1), forward and backward:
 *
 *   forward          y [B, out]  = x [B, in] · W [in, out]         m = B,  n = out, k = in,  N N
 *   input gradient   dx [B, in]  = dy [B, out] · Wᵀ               m = B,  n = in,  k = out, N T
 *   weight gradient  dW [in, out] = xᵀ · dy                        m = in, n = out, k = B,   T N
 *
 * which covers 500×256×512, 500×512×256, 500×512×1 and 256×512×500 (m×n×k). The two run in
 * alternating blocks (see `rounds`), with a pause after each OpenBLAS block while its spinning
 * threads give the cores back; each figure is the median over all samples of a backend.
 * Target: builtin ≥ 0.8× OpenBLAS.
 */
import { backend } from "../backend.js";
import { cpuGemm, matmul, setCpuGemm } from "../ops/gemm.js";
import { Tensor } from "../tensor.js";
import { seededFloats } from "./seeded_floats.js";
import { median } from "./timing.js";

export interface GemmBenchResult {
  /** e.g. "Linear 256→512, batch 500". */
  layer: string;
  pass: "forward" | "input gradient" | "weight gradient";
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  threads: number;
  /** The builtin micro-kernel measured ("avx512f", "avx2" or "portable"). */
  kernel: string;
  builtinMs: number;
  builtinGflops: number;
  /** Absent where libopenblas.so.0 is not installed. */
  openblasMs?: number;
  openblasGflops?: number;
  /** builtinGflops / openblasGflops (≥ 0.8 is the target). */
  ratio?: number;
}

export interface GemmBenchOptions {
  batch?: number;
  /** [in, out] of each Linear layer. */
  layers?: [number, number][];
  /** Samples per product and backend, at least. */
  minSamples?: number;
  minSeconds?: number;
  /** Alternating blocks per backend, at least (default 4); each OpenBLAS block is followed by a pause. */
  rounds?: number;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Samples come in rounds, each a block of builtin calls then a block of OpenBLAS calls, so that
// load from other processes on a shared machine falls on both alike.
const blockMs = 100;
const openblasSpinMs = 300;

/**
 * OpenBLAS's threads spin for a while after each call (OPENBLAS_THREAD_TIMEOUT), holding the cores
 * mixdim's pool would use: waits until they have gone to sleep, so the next kernel timed runs alone.
 */
export function waitForOpenblasThreads(): void {
  sleepMs(openblasSpinMs);
}

function elapsedMs(run: () => void): number {
  const before = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - before) / 1e6;
}

/** Times each Linear-layer product on the builtin kernel and, when present, on OpenBLAS. */
export function benchGemm(options: GemmBenchOptions = {}): GemmBenchResult[] {
  const batch = options.batch ?? 500;
  const layers = options.layers ?? [[256, 512], [512, 256], [512, 1]];
  const minSamples = options.minSamples ?? 30;
  const minSeconds = options.minSeconds ?? 1;
  const rounds = options.rounds ?? 4;
  const initial = cpuGemm();
  const threads = backend().threads;
  const results: GemmBenchResult[] = [];
  try {
    for (const [inputs, outputs] of layers) {
      const x = Tensor.from(seededFloats(batch * inputs, 1), { shape: [batch, inputs] });
      const w = Tensor.from(seededFloats(inputs * outputs, 2), { shape: [inputs, outputs] });
      const dy = Tensor.from(seededFloats(batch * outputs, 3), { shape: [batch, outputs] });
      const passes = [
        { pass: "forward", a: x, b: w, transA: false, transB: false, m: batch, n: outputs, k: inputs },
        { pass: "input gradient", a: dy, b: w, transA: false, transB: true, m: batch, n: inputs, k: outputs },
        { pass: "weight gradient", a: x, b: dy, transA: true, transB: false, m: inputs, n: outputs, k: batch },
      ] as const;
      for (const { pass, a, b, transA, transB, m, n, k } of passes) {
        const out = Tensor.zeros("float32", [m, n]);
        const run = () => { matmul(a, b, { transA, transB, out }); };
        const backends = initial.openblas ? (["builtin", "openblas"] as const) : (["builtin"] as const);
        const samples: Record<string, number[]> = { builtin: [], openblas: [] };
        const start = process.hrtime.bigint();
        for (let round = 0; round < rounds || Number(process.hrtime.bigint() - start) / 1e9 < minSeconds; ++round) {
          for (const name of backends) {
            setCpuGemm({ backend: name });
            for (let i = 0; i < 2; ++i) run();  // warm-up: page faults, packing buffers, waking threads
            const blockStart = process.hrtime.bigint();
            let count = 0;
            while (count < minSamples / rounds || Number(process.hrtime.bigint() - blockStart) / 1e6 < blockMs) {
              samples[name]!.push(elapsedMs(run));
              if (++count >= 2000) break;
            }
            if (name === "openblas") waitForOpenblasThreads();
          }
          if (round >= 50) break;
        }
        const gflops = (ms: number) => (2 * m * n * k) / (ms * 1e6);
        const builtinMs = median(samples.builtin!);
        const result: GemmBenchResult = {
          layer: `Linear ${inputs}→${outputs}, batch ${batch}`, pass, m, n, k, transA, transB, threads,
          kernel: initial.kernel, builtinMs, builtinGflops: gflops(builtinMs),
        };
        if (initial.openblas) {
          const openblasMs = median(samples.openblas!);
          result.openblasMs = openblasMs;
          result.openblasGflops = gflops(openblasMs);
          result.ratio = result.builtinGflops / result.openblasGflops;
        }
        results.push(result);
      }
    }
  } finally {
    setCpuGemm({ backend: initial.backend });
  }
  return results;
}
