/**
 * The Gumbel-softmax mixture of AutoDim and DARTS, per field f over M candidate sizes d_m:
 *
 *   p_f = softmax((log α_f + g_f)/τ),  w_f = p_f, or onehot(argmax p_f) in "hard" mode,
 *   out[b, f, :] = Σ_m w_fm · h[b, f, m, :],  h[b, f, m, :] = W_fm e_fm[b] + b_fm (optionally batch-normalised).
 *
 * Two paths: with batch norm between projection and mix, `projectCandidates` → (BN op) → `weightedSum`;
 * without it, `projectAndMix` does the whole thing as one GEMM per field over W̃_f = [w_f1 W_f1 | … ].
 * The noise g = −log(−log u) comes from Philox keyed by (seed, step, field, candidate), so the CPU and
 * CUDA draw the same noise whatever the thread layout.
 *
 * Layouts: e [B, F, K] holds the candidates' inputs side by side (K = Σ d_m, candidate m in columns
 * [o_m, o_m + d_m)) or, when the candidates share one table, one row of the widest (K = d_{M−1},
 * candidate m is the prefix of d_m). weights [F, D, Σ d_m] holds W_fm (D × d_m) as column block m;
 * biases [F, M, D].
 */
import { native } from "../native.js";
import type { Device } from "../backend.js";
import { resolveDevice } from "../backend.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectShape, expectTensor, kernelArgument, outputTensor } from "./op_tensors.js";



/** "gumbel": soft weights with noise (AutoDim); "softmax": no noise (DARTS); "hard": one-hot forward, soft backward. */
export type MixtureMode = "gumbel" | "softmax" | "hard";

const modeCodes: Record<MixtureMode, number> = { softmax: 0, gumbel: 1, hard: 2 };

export interface MixtureWeightsOptions {
  /** Temperature τ > 0 (AutoDim anneals max(0.01, 1 − 5e-5·t); DARTS uses 1). */
  tau: number;
  /** Default "gumbel". */
  mode?: MixtureMode;
  /** Noise seed, an integer in [0, 2^53). Default 0. */
  seed?: number;
  /** Training step, an integer in [0, 2^32): one noise draw per (step, field, candidate). Default 0. */
  step?: number;
}

export interface MixtureWeights {
  /** The soft weights p [F, M], which the backward needs. */
  p: Tensor<"float32">;
  /** The weights the forward mixes with [F, M]: p, or onehot(argmax p) in hard mode. */
  w: Tensor<"float32">;
}

/** The candidates' projections to the common size D. */
export interface CandidateProjections {
  /** Candidate sizes d_m (strictly increasing when shared). */
  dims: readonly number[];
  /** Whether candidate m is the prefix of one d_{M−1}-wide row (weight sharing) or a table of its own. */
  shared: boolean;
  /** [F, D, Σ d_m]: W_fm (D × d_m) is column block m. */
  weights: Tensor<"float32">;
  /** [F, M, D]. */
  biases: Tensor<"float32">;
}

export interface ProjectionGradients {
  de: Tensor<"float32">;
  dweights: Tensor<"float32">;
  dbiases: Tensor<"float32">;
}

export interface MixGradients extends ProjectionGradients {
  /** dL/dw [F, M]; feed it to mixtureWeightsBackward for dL/dlog α. */
  dw: Tensor<"float32">;
}

function checkTau(tau: unknown): number {
  if (typeof tau !== "number") throw new TypeError(`tau must be a number, got ${typeof tau}`);
  if (!(tau > 0) || !Number.isFinite(tau)) throw new RangeError(`tau must be > 0 and finite, got ${tau}`);
  return tau;
}

function checkInteger(value: unknown, name: string, limit: number): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 0 || value >= limit) {
    throw new RangeError(`${name} must be an integer in [0, ${limit}), got ${value}`);
  }
  return value;
}

function modeCode(mode: unknown): number {
  const code = typeof mode === "string" ? modeCodes[mode as MixtureMode] : undefined;
  if (code === undefined) throw new TypeError(`mode must be "gumbel", "softmax" or "hard", got ${JSON.stringify(mode)}`);
  return code;
}

/** The Gumbel noise −log(−log u) that mixtureWeights adds for (seed, step), shape [fields, candidates]. */
export function gumbelNoise(fields: number, candidates: number,
                            options: { seed?: number; step?: number; device?: Device } = {}): Tensor<"float32"> {
  checkInteger(fields, "fields", 2 ** 31);
  checkInteger(candidates, "candidates", 2 ** 31);
  const seed = checkInteger(options.seed ?? 0, "seed", 2 ** 53);
  const step = checkInteger(options.step ?? 0, "step", 2 ** 32);
  const noise = outputTensor("float32", [fields, candidates], resolveDevice(options.device ?? "cpu"));
  native.gumbelNoise(fields, candidates, seed, step, kernelArgument(noise, "noise"));
  return noise;
}

/** p = softmax((log α + g)/τ) per field (row) of logAlpha [F, M], and the weights the forward mixes with. */
export function mixtureWeights(logAlpha: Tensor<"float32">, options: MixtureWeightsOptions): MixtureWeights {
  expectTensor(logAlpha, "float32", "logAlpha");
  expectRank(logAlpha, 2, "logAlpha");
  if (typeof options !== "object" || options === null) throw new TypeError("options must be { tau, mode, seed, step }");
  const tau = checkTau(options.tau);
  const mode = modeCode(options.mode ?? "gumbel");
  const seed = checkInteger(options.seed ?? 0, "seed", 2 ** 53);
  const step = checkInteger(options.step ?? 0, "step", 2 ** 32);
  const [fields, candidates] = logAlpha.shape as [number, number];
  if (candidates < 1) throw new RangeError("logAlpha must have at least one candidate per field");
  const p = outputTensor("float32", logAlpha.shape, logAlpha.device);
  const w = outputTensor("float32", logAlpha.shape, logAlpha.device);
  native.mixtureWeights(fields, candidates, kernelArgument(logAlpha, "logAlpha"), tau, mode, seed, step,
                         kernelArgument(p, "p"), kernelArgument(w, "w"));
  return { p, w };
}

/** dL/dlog α = (1/τ)·p ⊙ (dw − Σ_m p_m dw_m); in hard mode the straight-through estimate. */
export function mixtureWeightsBackward(p: Tensor<"float32">, dw: Tensor<"float32">, tau: number): Tensor<"float32"> {
  expectTensor(p, "float32", "p");
  expectTensor(dw, "float32", "dw");
  expectRank(p, 2, "p");
  expectShape(dw, p.shape, "dw");
  const t = checkTau(tau);
  const device = commonDevice({ p, dw });
  const [fields, candidates] = p.shape as [number, number];
  if (candidates < 1) throw new RangeError("p must have at least one candidate per field");
  const dlogAlpha = outputTensor("float32", p.shape, device);
  native.mixtureWeightsBackward(fields, candidates, kernelArgument(p, "p"), kernelArgument(dw, "dw"), t,
                                 kernelArgument(dlogAlpha, "dlogAlpha"));
  return dlogAlpha;
}

function checkMix(h: Tensor<"float32">, w: Tensor<"float32">): [number, number, number, number] {
  expectTensor(h, "float32", "h");
  expectTensor(w, "float32", "w");
  expectRank(h, 4, "h");
  const [batch, fields, candidates, dim] = h.shape as [number, number, number, number];
  if (fields < 1 || candidates < 1 || dim < 1) {
    throw new RangeError(`h must have at least one field, candidate and column, got shape [${h.shape.join(", ")}]`);
  }
  expectShape(w, [fields, candidates], "w");
  return [batch, fields, candidates, dim];
}

/** out[b, f, :] = Σ_m w[f, m]·h[b, f, m, :]: h [B, F, M, D], w [F, M] → [B, F, D]. */
export function weightedSum(h: Tensor<"float32">, w: Tensor<"float32">): Tensor<"float32"> {
  const [batch, fields, candidates, dim] = checkMix(h, w);
  const device = commonDevice({ h, w });
  const out = outputTensor("float32", [batch, fields, dim], device);
  native.weightedSum(batch, fields, candidates, dim, kernelArgument(h, "h"), kernelArgument(w, "w"),
                      kernelArgument(out, "out"));
  return out;
}

/** dh = w ⊗ dout and dw[f, m] = Σ_b ⟨dout[b, f, :], h[b, f, m, :]⟩, summed in a fixed order. */
export function weightedSumBackward(h: Tensor<"float32">, w: Tensor<"float32">, dout: Tensor<"float32">):
    { dh: Tensor<"float32">; dw: Tensor<"float32"> } {
  const [batch, fields, candidates, dim] = checkMix(h, w);
  expectTensor(dout, "float32", "dout");
  expectShape(dout, [batch, fields, dim], "dout");
  const device = commonDevice({ h, w, dout });
  const dh = outputTensor("float32", h.shape, device);
  const dw = outputTensor("float32", w.shape, device);
  native.weightedSumBackward(batch, fields, candidates, dim, kernelArgument(h, "h"), kernelArgument(w, "w"),
                              kernelArgument(dout, "dout"), kernelArgument(dh, "dh"), kernelArgument(dw, "dw"));
  return { dh, dw };
}

/** The width K of a row of e: Σ d_m for separate tables, d_{M−1} when the candidates share one. */
export function mixtureInputWidth(dims: readonly number[], shared: boolean): number {
  checkDims(dims, shared);
  return shared ? dims[dims.length - 1]! : dims.reduce((total, d) => total + d, 0);
}

function checkDims(dims: readonly number[], shared: boolean): void {
  if (!Array.isArray(dims)) throw new TypeError(`dims must be an array of candidate sizes, got ${typeof dims}`);
  if (typeof shared !== "boolean") throw new TypeError(`shared must be a boolean, got ${typeof shared}`);
  if (dims.length < 1 || dims.length > 128) throw new RangeError(`dims must hold 1 to 128 sizes, got ${dims.length}`);
  dims.forEach((d, m) => {
    if (!Number.isInteger(d) || d < 1 || d > 2 ** 20) throw new RangeError(`dims[${m}] = ${d} must be a positive integer`);
    if (shared && m > 0 && d <= dims[m - 1]!) {
      throw new RangeError(`dims must be strictly increasing when shared, got [${dims.join(", ")}]`);
    }
  });
}

interface ProjectionShape {
  batch: number;
  fields: number;
  dim: number;
  dims: Int32Array;
  candidates: number;
}

function checkProjection(projections: CandidateProjections, e: Tensor<"float32">): ProjectionShape {
  if (typeof projections !== "object" || projections === null) {
    throw new TypeError("projections must be { dims, shared, weights, biases }");
  }
  const { dims, shared, weights, biases } = projections;
  const width = mixtureInputWidth(dims, shared);
  expectTensor(weights, "float32", "weights");
  expectTensor(biases, "float32", "biases");
  expectTensor(e, "float32", "e");
  expectRank(weights, 3, "weights");
  const [fields, dim, total] = weights.shape as [number, number, number];
  const sum = dims.reduce((s, d) => s + d, 0);
  if (fields < 1 || dim < 1) throw new RangeError(`weights must have at least one field and one output column`);
  if (total !== sum) {
    throw new RangeError(`weights has ${total} columns per output but the candidates [${dims.join(", ")}] need ${sum}`);
  }
  expectShape(biases, [fields, dims.length, dim], "biases");
  expectRank(e, 3, "e");
  const batch = e.shape[0]!;
  expectShape(e, [batch, fields, width], "e");
  commonDevice({ e, weights, biases });
  return { batch, fields, dim, dims: Int32Array.from(dims), candidates: dims.length };
}

/** h[b, f, m, :] = W_fm e_fm[b] + b_fm → [B, F, M, D]: the path with batch norm between projection and mix. */
export function projectCandidates(projections: CandidateProjections, e: Tensor<"float32">): Tensor<"float32"> {
  const s = checkProjection(projections, e);
  const h = outputTensor("float32", [s.batch, s.fields, s.candidates, s.dim], e.device);
  native.candidateProjection(s.batch, s.fields, s.dim, s.dims, projections.shared, kernelArgument(e, "e"),
                              kernelArgument(projections.weights, "weights"),
                              kernelArgument(projections.biases, "biases"), kernelArgument(h, "h"));
  return h;
}

/** Gradients of projectCandidates: de (summed over candidates on a shared row), dW, db. */
export function projectCandidatesBackward(projections: CandidateProjections, e: Tensor<"float32">,
                                          dh: Tensor<"float32">): ProjectionGradients {
  const s = checkProjection(projections, e);
  expectTensor(dh, "float32", "dh");
  expectShape(dh, [s.batch, s.fields, s.candidates, s.dim], "dh");
  const device = commonDevice({ e, dh });
  const de = outputTensor("float32", e.shape, device);
  const dweights = outputTensor("float32", projections.weights.shape, device);
  const dbiases = outputTensor("float32", projections.biases.shape, device);
  native.candidateProjectionBackward(s.batch, s.fields, s.dim, s.dims, projections.shared, kernelArgument(e, "e"),
                                      kernelArgument(projections.weights, "weights"), kernelArgument(dh, "dh"),
                                      kernelArgument(de, "de"), kernelArgument(dweights, "dweights"),
                                      kernelArgument(dbiases, "dbiases"));
  return { de, dweights, dbiases };
}

/** out[b, f, :] = Σ_m w_fm (W_fm e_fm[b] + b_fm) → [B, F, D], fused: one GEMM per field. */
export function projectAndMix(projections: CandidateProjections, e: Tensor<"float32">, w: Tensor<"float32">):
    Tensor<"float32"> {
  const s = checkProjection(projections, e);
  expectTensor(w, "float32", "w");
  expectShape(w, [s.fields, s.candidates], "w");
  const device = commonDevice({ e, w });
  const out = outputTensor("float32", [s.batch, s.fields, s.dim], device);
  native.projectAndMix(s.batch, s.fields, s.dim, s.dims, projections.shared, kernelArgument(e, "e"),
                        kernelArgument(projections.weights, "weights"), kernelArgument(projections.biases, "biases"),
                        kernelArgument(w, "w"), kernelArgument(out, "out"));
  return out;
}

/** Gradients of projectAndMix for e, W, b and the mixture weights w, by GEMMs (no per-sample loops). */
export function projectAndMixBackward(projections: CandidateProjections, e: Tensor<"float32">, w: Tensor<"float32">,
                                      dout: Tensor<"float32">): MixGradients {
  const s = checkProjection(projections, e);
  expectTensor(w, "float32", "w");
  expectShape(w, [s.fields, s.candidates], "w");
  expectTensor(dout, "float32", "dout");
  expectShape(dout, [s.batch, s.fields, s.dim], "dout");
  const device = commonDevice({ e, w, dout });
  const de = outputTensor("float32", e.shape, device);
  const dweights = outputTensor("float32", projections.weights.shape, device);
  const dbiases = outputTensor("float32", projections.biases.shape, device);
  const dw = outputTensor("float32", w.shape, device);
  native.projectAndMixBackward(s.batch, s.fields, s.dim, s.dims, projections.shared, kernelArgument(e, "e"),
                                kernelArgument(projections.weights, "weights"),
                                kernelArgument(projections.biases, "biases"), kernelArgument(w, "w"),
                                kernelArgument(dout, "dout"), kernelArgument(de, "de"),
                                kernelArgument(dweights, "dweights"), kernelArgument(dbiases, "dbiases"),
                                kernelArgument(dw, "dw"));
  return { de, dweights, dbiases, dw };
}
