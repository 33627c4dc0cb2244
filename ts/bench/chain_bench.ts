/**
 * Times ESAPN's projection chain on one device: the precomposed forward (M_k = W_{n−2}⋯W_k applied
 * in one product per size class) against the step-by-step forward (one GEMM per link), for rows
 * all at each size class in turn (at the smallest, 256 multiply-adds per row instead of 9,384 for
 * {2,4,8,16,64,128}: the headline) and for rows spread evenly over the sizes; plus precomposing and
 * the backward. Both paths run on the device's default thread count.
 *
 * Inputs and the forward's output are placed on the device once; every timed run reuses them. The
 * backward's outputs are fresh tensors, disposed outside the timed region.
 */
import type { Device } from "../backend.js";
import { Tensor } from "../tensor.js";
import {
  chainBackward, chainForward, chainForwardStepwise, chainLayout, type ChainParameters, precomposeChain,
} from "../ops/projection_chain.js";
import { seededFloats } from "./seeded_floats.js";
import { trainingTargets } from "./targets.js";
import {
  defaultTiming, gigabytesPerSecond, timeInterleaved, timeMedian, type Timing, type TimingOptions,
} from "./timing.js";

export interface ChainBenchOptions {
  /** Candidate sizes; default ESAPN's {2, 4, 8, 16, 64, 128}. */
  dims?: number[];
  /** Rows per call; default 16384. */
  batch?: number;
  timing?: TimingOptions;
}

export interface ChainPathTiming {
  medianMs: number;
  minMs: number;
  runs: number;
  /** Multiply-adds per row this path performs (by the formula, not measured). */
  macsPerRow: number;
  /** Multiply-adds per second over the batch, in 10^9. */
  gmacPerSecond: number;
  /** What either path must move at the least: 4·Σ_b d(b) of rows read + 4·B·d_{n−1} of output written. */
  effectiveBytes: number;
  gbPerSecond: number;
}

export interface ChainComparison {
  /** "all at 2", …, or "sizes spread evenly". */
  rows: string;
  /** The size every row is at; absent for the spread rows. */
  size?: number;
  precomposed: ChainPathTiming;
  stepwise: ChainPathTiming;
  /** stepwise time / precomposed time, of the medians: what the target is held to. */
  speedup: number;
  /** The same of the fastest runs: less moved by other processes on a shared machine. */
  speedupOfFastest: number;
}

export interface ChainBenchFigures {
  device: Device;
  dims: number[];
  batch: number;
  /** One per size class, smallest first: every row at that size. */
  classes: ChainComparison[];
  spread: ChainComparison;
  /** precomposeChain, once per optimizer step. */
  precomposeMs: number;
  /** chainBackward on the spread rows. */
  backwardMs: number;
  /** Held by the smallest class (classes[0]). */
  target: { minSpeedup: number; met: boolean; reference: string };
}

/** Seeded rows [B, width], each zero beyond its size: what the store's padded lookup returns. */
export function rowsAt(sizes: Int32Array, width: number, seed: number): Float32Array {
  const rows = seededFloats(sizes.length * width, seed);
  sizes.forEach((size, b) => rows.fill(0, b * width + size, (b + 1) * width));
  return rows;
}

/** Multiply-adds per row of size dims[k]: precomposed d_{n−1}·d_k; step-by-step Σ_{j≥k} d_j·d_{j+1}. */
function macs(dims: number[], sizes: Int32Array): { precomposed: number; stepwise: number } {
  const full = dims[dims.length - 1]!;
  let precomposed = 0;
  let stepwise = 0;
  for (const size of sizes) {
    const k = dims.indexOf(size);
    if (k + 1 < dims.length) precomposed += full * size;
    for (let j = k; j + 1 < dims.length; ++j) stepwise += dims[j]! * dims[j + 1]!;
  }
  return { precomposed: precomposed / sizes.length, stepwise: stepwise / sizes.length };
}

/** Times the chain's forward paths, precomposing and the backward on `device`. */
export function benchChain(device: Device, options: ChainBenchOptions = {}): ChainBenchFigures {
  const dims = options.dims ?? [2, 4, 8, 16, 64, 128];
  const batch = options.batch ?? 16384;
  const timing = options.timing ?? defaultTiming;
  const layout = chainLayout(dims);
  const full = dims[dims.length - 1]!;
  const chain: ChainParameters = {
    dims,
    weights: Tensor.from(seededFloats(layout.weightCount, 1, 0.3), { device }),
    biases: Tensor.from(seededFloats(layout.biasCount, 2, 0.1), { device }),
  };
  const precomposeTiming = timeMedian(() => precomposeChain(chain), (p) => {
    p.matrices.dispose();
    p.offsets.dispose();
  }, timing);
  const precomposed = precomposeChain(chain);

  const compare = (label: string, sizes: Int32Array, seed: number): ChainComparison => {
    const rows = Tensor.from(rowsAt(sizes, full, seed), { shape: [batch, full], device });
    const perRow = macs(dims, sizes);
    // One preallocated output for both paths, so neither run times an allocation or first-touch page faults.
    const out = Tensor.zeros("float32", [batch, full], device);
    const [fast, slow] = timeInterleaved([() => chainForward(precomposed, rows, sizes, { out }),
                                          () => chainForwardStepwise(chain, rows, sizes, { out })], timing);
    rows.dispose();
    out.dispose();
    const effectiveBytes = 4 * (sizes.reduce((total, size) => total + size, 0) + batch * full);
    const path = (t: Timing, macsPerRow: number): ChainPathTiming =>
      ({ medianMs: t.medianMs, minMs: t.minMs, runs: t.runs, macsPerRow, gmacPerSecond: (macsPerRow * batch) / (t.medianMs * 1e6),
         effectiveBytes, gbPerSecond: gigabytesPerSecond(effectiveBytes, t.medianMs) });
    return { rows: label, precomposed: path(fast!, perRow.precomposed), stepwise: path(slow!, perRow.stepwise),
             speedup: slow!.medianMs / fast!.medianMs, speedupOfFastest: slow!.minMs / fast!.minMs };
  };

  const classes = dims.map((size, k) =>
    ({ ...compare(`all at ${size}`, new Int32Array(batch).fill(size), 3 + k), size }));
  const spreadSizes = Int32Array.from({ length: batch }, (_, b) => dims[b % dims.length]!);
  const spread = compare("sizes spread evenly", spreadSizes, 3 + dims.length);

  const rows = Tensor.from(rowsAt(spreadSizes, full, 4 + dims.length), { shape: [batch, full], device });
  const dout = Tensor.from(seededFloats(batch * full, 5 + dims.length), { shape: [batch, full], device });
  const backward = timeMedian(() => chainBackward(chain, precomposed, rows, spreadSizes, dout), (g) => {
    g.drows.dispose();
    g.dweights.dispose();
    g.dbiases.dispose();
  }, timing);
  for (const t of [rows, dout, chain.weights, chain.biases, precomposed.matrices, precomposed.offsets]) t.dispose();

  const smallest = classes[0]!;
  const minSpeedup = trainingTargets.chain.minSpeedup;
  return {
    device, dims, batch, classes, spread,
    precomposeMs: precomposeTiming.medianMs,
    backwardMs: backward.medianMs,
    target: { minSpeedup, met: smallest.speedup >= minSpeedup,
              reference: `${trainingTargets.chain.reference} (${dims[0]!}: ${smallest.precomposed.macsPerRow} vs ` +
                `${smallest.stepwise.macsPerRow} multiply-adds per row, methods.md A3.3)` },
  };
}
