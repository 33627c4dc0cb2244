/**
 * Times the Gumbel-softmax mixture on one device, on an AutoDim-shaped problem (F fields, the
 * candidate sizes, a common size D): the weights (F·M values, launch-bound), the weighted sum and
 * its backward in GB/s (bandwidth-bound: effective bytes are every float read plus every float
 * written once), and the fused projection-and-mix forward and backward in GFLOP/s (GEMM-bound).
 *
 * Inputs are placed on the device once; outputs are fresh tensors, disposed outside the timed region.
 */
import type { Device } from "../backend.js";
import { Tensor } from "../tensor.js";
import {
  type CandidateProjections, mixtureInputWidth, mixtureWeights, projectAndMix, projectAndMixBackward, weightedSum,
  weightedSumBackward,
} from "../ops/gumbel_mixture.js";
import { seededFloats } from "./seeded_floats.js";
import { defaultTiming, gigabytesPerSecond, timeMedian, type TimingOptions } from "./timing.js";

export interface GumbelBenchOptions {
  /** Default 4096 (an AutoDim batch of 2000 rounded up). */
  batch?: number;
  /** Default 26 (Criteo's categorical fields). */
  fields?: number;
  /** Default {2, 4, 8, 16, 32} with a shared table. */
  dims?: number[];
  shared?: boolean;
  /** The common size D; default the largest candidate. */
  dim?: number;
  timing?: TimingOptions;
}

export interface BandwidthFigure {
  medianMs: number;
  runs: number;
  effectiveBytes: number;
  gbPerSecond: number;
}

export interface FlopFigure {
  medianMs: number;
  runs: number;
  flops: number;
  gflopPerSecond: number;
}

export interface GumbelBenchFigures {
  device: Device;
  shape: { batch: number; fields: number; dims: number[]; shared: boolean; dim: number };
  /** mixtureWeights in gumbel mode: F·M values. */
  weightsMs: number;
  weightedSum: BandwidthFigure;
  weightedSumBackward: BandwidthFigure;
  projectAndMix: FlopFigure;
  projectAndMixBackward: FlopFigure;
}

/** Times every op of the mixture on `device`. */
export function benchGumbelMix(device: Device, options: GumbelBenchOptions = {}): GumbelBenchFigures {
  const batch = options.batch ?? 4096;
  const fields = options.fields ?? 26;
  const dims = options.dims ?? [2, 4, 8, 16, 32];
  const shared = options.shared ?? true;
  const dim = options.dim ?? dims[dims.length - 1]!;
  const timing = options.timing ?? defaultTiming;
  const M = dims.length;
  const K = mixtureInputWidth(dims, shared);
  const S = dims.reduce((s, d) => s + d, 0);
  const release = (t: Tensor) => t.dispose();

  const logAlpha = Tensor.from(seededFloats(fields * M, 1), { shape: [fields, M], device });
  let step = 0;
  const weights = timeMedian(() => mixtureWeights(logAlpha, { tau: 0.5, seed: 7, step: step++ }),
                             ({ p, w }) => { p.dispose(); w.dispose(); }, timing);
  const { p, w } = mixtureWeights(logAlpha, { tau: 0.5, seed: 7, step: 0 });
  p.dispose();

  const h = Tensor.from(seededFloats(batch * fields * M * dim, 2), { shape: [batch, fields, M, dim], device });
  const dout = Tensor.from(seededFloats(batch * fields * dim, 3), { shape: [batch, fields, dim], device });
  const hFloats = batch * fields * M * dim;
  const outFloats = batch * fields * dim;
  const sum = timeMedian(() => weightedSum(h, w), release, timing);
  const sumBackward = timeMedian(() => weightedSumBackward(h, w, dout), ({ dh, dw }) => { dh.dispose(); dw.dispose(); },
                                 timing);
  h.dispose();
  const bandwidth = (t: { medianMs: number; runs: number }, floats: number): BandwidthFigure =>
    ({ medianMs: t.medianMs, runs: t.runs, effectiveBytes: floats * 4,
       gbPerSecond: gigabytesPerSecond(floats * 4, t.medianMs) });

  const projections: CandidateProjections = {
    dims, shared,
    weights: Tensor.from(seededFloats(fields * dim * S, 4), { shape: [fields, dim, S], device }),
    biases: Tensor.from(seededFloats(fields * M * dim, 5), { shape: [fields, M, dim], device }),
  };
  const e = Tensor.from(seededFloats(batch * fields * K, 6), { shape: [batch, fields, K], device });
  const mix = timeMedian(() => projectAndMix(projections, e, w), release, timing);
  const mixBackward = timeMedian(() => projectAndMixBackward(projections, e, w, dout), (g) => {
    g.de.dispose();
    g.dweights.dispose();
    g.dbiases.dispose();
    g.dw.dispose();
  }, timing);
  for (const t of [e, dout, w, logAlpha, projections.weights, projections.biases]) t.dispose();
  // Forward: one B×D×K GEMM per field. Backward: two (G_f and de_f) plus the column sums.
  const gemmFlops = 2 * batch * fields * dim * K;
  const flop = (t: { medianMs: number; runs: number }, flops: number): FlopFigure =>
    ({ medianMs: t.medianMs, runs: t.runs, flops, gflopPerSecond: flops / (t.medianMs * 1e6) });

  return {
    device,
    shape: { batch, fields, dims, shared, dim },
    weightsMs: weights.medianMs,
    // Forward reads h and writes out; backward reads h and dout and writes dh.
    weightedSum: bandwidth(sum, hFloats + outFloats),
    weightedSumBackward: bandwidth(sumBackward, 2 * hFloats + outFloats),
    projectAndMix: flop(mix, gemmFlops),
    projectAndMixBackward: flop(mixBackward, 2 * gemmFlops + 2 * batch * fields * dim),
  };
}
