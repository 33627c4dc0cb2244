/**
 * Times ESAPN's projection chain on one device: the precomposed forward (one GEMM per size class
 * with M_k = W_{n−2}⋯W_k) against the step-by-step forward (one GEMM per link), for rows all at
 * the smallest size (the headline: 256 multiply-adds per row instead of 9,384 for
 * {2,4,8,16,64,128}) and for rows spread evenly over the sizes; plus precomposing and the backward.
 *
 * Inputs and the forward's output are placed on the device once; every timed run reuses them. The
 * backward's outputs are fresh tensors, disposed outside the timed region.
 */
import type { Device } from "../backend.js";
import { Tensor } from "../tensor.js";
import {
  chainBackward, chainForward, chainForwardStepwise, chainLayout, type ChainParameters, precomposeChain,
} from "../ops/projection_chain.js";
import { defaultTiming, timeMedian, type TimingOptions } from "./timing.js";

export interface ChainBenchOptions {
  /** Candidate sizes; default ESAPN's {2, 4, 8, 16, 64, 128}. */
  dims?: number[];
  /** Rows per call; default 16384. */
  batch?: number;
  timing?: TimingOptions;
}

export interface ChainPathTiming {
  medianMs: number;
  runs: number;
  /** Multiply-adds per row this path performs (by the formula, not measured). */
  macsPerRow: number;
  /** Multiply-adds per second over the batch, in 10^9. */
  gmacPerSecond: number;
}

export interface ChainComparison {
  /** "smallest size" or "sizes spread evenly". */
  rows: string;
  precomposed: ChainPathTiming;
  stepwise: ChainPathTiming;
  /** stepwise time / precomposed time. */
  speedup: number;
}

export interface ChainBenchFigures {
  device: Device;
  dims: number[];
  batch: number;
  smallest: ChainComparison;
  spread: ChainComparison;
  /** precomposeChain, once per optimizer step. */
  precomposeMs: number;
  /** chainBackward on the spread rows. */
  backwardMs: number;
  target: { minSpeedup: number; met: boolean; reference: string };
}

function seededFloats(n: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

function rowsAt(sizes: Int32Array, width: number, seed: number): Float32Array {
  const rows = seededFloats(sizes.length * width, seed, 1);
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
  const precomposeTiming = timeMedian(() => precomposeChain(chain), (p) => { p.matrices.dispose(); p.offsets.dispose(); },
                                      timing);
  const precomposed = precomposeChain(chain);

  const compare = (label: string, sizes: Int32Array, seed: number): ChainComparison => {
    const rows = Tensor.from(rowsAt(sizes, full, seed), { shape: [batch, full], device });
    const perRow = macs(dims, sizes);
    // One preallocated output for both paths, so neither run times an allocation or first-touch page faults.
    const out = Tensor.zeros("float32", [batch, full], device);
    const fast = timeMedian(() => chainForward(precomposed, rows, sizes, { out }), () => {}, timing);
    const slow = timeMedian(() => chainForwardStepwise(chain, rows, sizes, { out }), () => {}, timing);
    rows.dispose();
    out.dispose();
    const path = (t: { medianMs: number; runs: number }, macsPerRow: number): ChainPathTiming =>
      ({ medianMs: t.medianMs, runs: t.runs, macsPerRow, gmacPerSecond: (macsPerRow * batch) / (t.medianMs * 1e6) });
    return { rows: label, precomposed: path(fast, perRow.precomposed), stepwise: path(slow, perRow.stepwise),
             speedup: slow.medianMs / fast.medianMs };
  };

  const smallest = compare("smallest size", new Int32Array(batch).fill(dims[0]!), 3);
  const spreadSizes = Int32Array.from({ length: batch }, (_, b) => dims[b % dims.length]!);
  const spread = compare("sizes spread evenly", spreadSizes, 4);

  const rows = Tensor.from(rowsAt(spreadSizes, full, 5), { shape: [batch, full], device });
  const dout = Tensor.from(seededFloats(batch * full, 6, 1), { shape: [batch, full], device });
  const backward = timeMedian(() => chainBackward(chain, precomposed, rows, spreadSizes, dout), (g) => {
    g.drows.dispose();
    g.dweights.dispose();
    g.dbiases.dispose();
  }, timing);
  for (const t of [rows, dout, chain.weights, chain.biases, precomposed.matrices, precomposed.offsets]) t.dispose();

  const minSpeedup = 10;
  return {
    device, dims, batch, smallest, spread,
    precomposeMs: precomposeTiming.medianMs,
    backwardMs: backward.medianMs,
    target: { minSpeedup, met: smallest.speedup >= minSpeedup,
              reference: "methods.md A3.3: 256 vs 9,384 multiply-adds per row at size 2" },
  };
}
