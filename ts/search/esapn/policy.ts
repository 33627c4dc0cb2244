/**
 * ESAPN's policy network, one per side (methods.md B §2, Policy_Type 1):
 *
 *   s = [BN(Emb_freq(f)), onehot(k)]   (a learned 32-d row per frequency value f, and the id's size index k)
 *   π(· | s) = softmax(Linear(512, 2)(tanh(BN(Linear(32 + n, 512)(s)))))   over {0: keep, 1: enlarge}
 *
 * Under a memory budget the state also holds β, the fraction of the budget left, so that the
 * policy can learn where to spend it. β enters at the output layer, Linear(512 + 1, 2), not with
 * s: β is the same for every sample acted on in a batch, and the hidden batch norm subtracts the
 * batch's mean, which would erase it.
 *
 * Batch norm always uses the batch's statistics, as in the reference (which never calls eval()).
 * It is trained by one-step REINFORCE, L = −Σ_b r_b · log π(a_b | s_b), whose gradient with
 * respect to the logits is r_b · (π(· | s_b) − onehot(a_b)) (reinforceGradient).
 */
import { concat } from "../../autograd/ops/concat_op.js";
import { noGrad } from "../../autograd/tape.js";
import { Variable } from "../../autograd/variable.js";
import { integerInRange } from "../../arguments.js";
import type { DeviceOption } from "../../backend.js";
import { BatchNorm } from "../../modules/batch_norm.js";
import { Linear } from "../../modules/linear.js";
import { Embedding } from "../../modules/mixed_dim_embedding.js";
import { Module } from "../../modules/module.js";
import { batchNorm } from "../../ops/batch_norm.js";
import { concatFeatures } from "../../ops/feature_concat.js";
import { matmul } from "../../ops/gemm.js";
import { takeMatrixRows } from "../../data/take_rows.js";
import { Tensor } from "../../tensor.js";

/** The policy's two actions. */
export const keep = 0;
export const enlarge = 1;

export interface SizePolicyOptions {
  /** n, the number of candidate sizes (the one-hot's width). */
  numSizes: number;
  /** Default 512. */
  hidden?: number;
  /** Width of the frequency embedding. Default 32. */
  frequencyDim?: number;
  /** Frequency values the table starts with (it grows to the largest seen). Default 1024. */
  frequencyRows?: number;
  /** Whether the state holds β, the fraction of a memory budget left (an input to the output layer). Default false. */
  budgetFeature?: boolean;
  seed?: number;
  device?: DeviceOption;
}

export class SizePolicy extends Module {
  readonly numSizes: number;
  readonly frequency: Embedding;
  readonly frequencyNorm: BatchNorm;
  readonly hidden: Linear;
  readonly hiddenNorm: BatchNorm;
  readonly output: Linear;
  readonly budgetFeature: boolean;

  constructor({ numSizes, hidden = 512, frequencyDim = 32, frequencyRows = 1024, budgetFeature = false, seed = 0,
                device = "cpu" }: SizePolicyOptions) {
    super();
    this.numSizes = integerInRange(numSizes, "numSizes", 1, 64);
    const width = integerInRange(frequencyDim, "frequencyDim", 1, 65536);
    // nn.Embedding starts at N(0, 1); the batch norm after it makes the scale moot.
    this.frequency = new Embedding({ numRows: integerInRange(frequencyRows, "frequencyRows", 1, 2 ** 30), dim: width,
                                     seed, initStd: 1, device });
    this.frequencyNorm = new BatchNorm({ features: width, device });
    this.hidden = new Linear({ inFeatures: width + this.numSizes, outFeatures: hidden, seed: seed + 1, device });
    this.hiddenNorm = new BatchNorm({ features: hidden, activation: "tanh", device });
    if (typeof budgetFeature !== "boolean") throw new TypeError("budgetFeature must be a boolean");
    this.budgetFeature = budgetFeature;
    this.output = new Linear({ inFeatures: hidden + (budgetFeature ? 1 : 0), outFeatures: 2, seed: seed + 3, device });
  }

  /**
   * Logits [B, 2] (keep, enlarge) for states (frequencies[b], sizeIndices[b]), and budgetLeft[b]
   * (β, required with budgetFeature and refused without it).
   */
  forward(frequencies: Int32Array, sizeIndices: Int32Array, budgetLeft?: Float32Array): Variable {
    const hidden = this.hiddenNorm.forward(this.hidden.forward(this.states(frequencies, sizeIndices)));
    const beta = this.budgetColumn(budgetLeft, frequencies.length);
    return this.output.forward(beta === undefined ? hidden : concat([hidden, new Variable(beta)]));
  }

  /**
   * The logits [rows.length, 2] of the samples `rows` of the batch only, as forward() would give
   * them (no tape): both batch norms take the whole batch's statistics and update their running
   * statistics the same way. When the rows are few (at most a quarter of the batch, on the CPU),
   * only they go through the 512-wide layers, because the hidden layer's statistics follow from
   * the states' covariance (h = s·W + b is linear in s):
   *
   *   μ_h = s̄·W + b,   σ²_h[j] = W[:, j]ᵀ · Cov(s) · W[:, j]
   *
   * A time-ordered batch of 500 has ~11 distinct users, so acting on the users' policy takes 11
   * rows instead of 500. The statistics round differently from forward()'s (Cov(s) is a float32
   * product), so two logits that nearly tie may come out in the other order. budgetLeft is β for
   * every sample of the batch, as forward() takes it.
   */
  actionLogits(frequencies: Int32Array, sizeIndices: Int32Array, rows: Int32Array, budgetLeft?: Float32Array): Float32Array {
    if (!(frequencies instanceof Int32Array)) throw new TypeError("frequencies must be an Int32Array");
    if (!(rows instanceof Int32Array)) throw new TypeError("rows must be an Int32Array");
    const batch = frequencies.length;
    for (let r = 0; r < rows.length; ++r) {
      if (rows[r]! < 0 || rows[r]! >= batch) throw new RangeError(`rows[${r}] = ${rows[r]} is out of range [0, ${batch})`);
    }
    return noGrad(() => {
      if (this.frequency.store.device !== "cpu" || rows.length > batch / 4) {
        return takeMatrixRows(this.forward(frequencies, sizeIndices, budgetLeft).value.toArray(), 2, rows);
      }
      const beta = this.budgetColumn(budgetLeft, batch);
      const state = this.states(frequencies, sizeIndices).value;
      const { mean, variance } = this.hiddenStatistics(state);
      const norm = this.hiddenNorm;
      updateRunning(norm, mean, variance, batch);
      const width = state.shape[1]!;
      const chosen = Tensor.from(takeMatrixRows(state.toArray(), width, rows), { shape: [rows.length, width] });
      const hidden = matmul(chosen, this.hidden.weight.value, { bias: this.hidden.bias!.value });
      const normalized = batchNorm(hidden, {
        training: false, gamma: norm.gamma!.value, beta: norm.beta!.value, eps: norm.eps, activation: norm.activation,
        runningMean: Tensor.from(Float32Array.from(mean)), runningVar: Tensor.from(Float32Array.from(variance)),
      }).y;
      const input = beta === undefined ? normalized
        : concatFeatures([normalized, Tensor.from(takeMatrixRows(beta.toArray(), 1, rows), { shape: [rows.length, 1] })]);
      return matmul(input, this.output.weight.value, { bias: this.output.bias!.value }).toArray();
    });
  }

  /** argmax π(· | s_b) for the samples `rows` of the batch (actionLogits' argmax). */
  greedyActions(frequencies: Int32Array, sizeIndices: Int32Array, rows: Int32Array, budgetLeft?: Float32Array): Uint8Array {
    return argmaxRows(this.actionLogits(frequencies, sizeIndices, rows, budgetLeft));
  }

  /** β as a [B, 1] column on the policy's device; undefined without budgetFeature. */
  private budgetColumn(budgetLeft: Float32Array | undefined, batch: number): Tensor<"float32"> | undefined {
    if (!this.budgetFeature) {
      if (budgetLeft !== undefined) throw new RangeError("budgetLeft is given but this policy has no budget feature");
      return undefined;
    }
    if (!(budgetLeft instanceof Float32Array)) throw new TypeError("budgetLeft must be a Float32Array (the policy has a budget feature)");
    if (budgetLeft.length !== batch) throw new RangeError(`budgetLeft has length ${budgetLeft.length} but the batch has ${batch} samples`);
    for (let b = 0; b < batch; ++b) {
      if (!(budgetLeft[b]! >= 0 && budgetLeft[b]! <= 1)) throw new RangeError(`budgetLeft[${b}] = ${budgetLeft[b]} must be in [0, 1]`);
    }
    return Tensor.from(budgetLeft, { shape: [batch, 1], device: this.frequency.store.device });
  }

  /** The states s = [BN(Emb_freq(f)), onehot(k)] [B, frequencyDim + numSizes], on the tape. */
  private states(frequencies: Int32Array, sizeIndices: Int32Array): Variable {
    if (!(frequencies instanceof Int32Array)) throw new TypeError("frequencies must be an Int32Array");
    if (!(sizeIndices instanceof Int32Array)) throw new TypeError("sizeIndices must be an Int32Array");
    if (sizeIndices.length !== frequencies.length) {
      throw new RangeError(`sizeIndices has length ${sizeIndices.length} but frequencies has ${frequencies.length}`);
    }
    const n = this.numSizes;
    const oneHot = new Float32Array(frequencies.length * n);
    let largest = 0;
    for (let b = 0; b < frequencies.length; ++b) {
      const f = frequencies[b]!;
      const k = sizeIndices[b]!;
      if (f < 0) throw new RangeError(`frequencies[${b}] = ${f} must be non-negative`);
      if (k < 0 || k >= n) throw new RangeError(`sizeIndices[${b}] = ${k} is out of range [0, ${n})`);
      if (f > largest) largest = f;
      oneHot[b * n + k] = 1;
    }
    this.growFrequencies(largest);
    const device = this.frequency.store.device;
    const size = new Variable(Tensor.from(oneHot, { shape: [frequencies.length, n], device }));
    return concat([this.frequencyNorm.forward(this.frequency.forward(frequencies)), size]);
  }

  /** μ_h and the biased σ²_h of h = s·W + b over the batch, in float64, from the states' mean and covariance. */
  private hiddenStatistics(state: Tensor<"float32">): { mean: Float64Array; variance: Float64Array } {
    const [batch, width] = state.shape as [number, number];
    const s = state.toArray();
    const centred = new Float32Array(s.length);
    const average = new Float64Array(width);
    for (let b = 0; b < batch; ++b) for (let p = 0; p < width; ++p) average[p]! += s[b * width + p]!;
    for (let p = 0; p < width; ++p) average[p]! /= batch;
    for (let b = 0; b < batch; ++b) for (let p = 0; p < width; ++p) centred[b * width + p] = s[b * width + p]! - average[p]!;
    const centredTensor = Tensor.from(centred, { shape: [batch, width] });
    const w = this.hidden.weight.value;
    // Cov(s)·W [width, hidden]: Cov(s) = centredᵀ·centred / B.
    const covariance = matmul(centredTensor, centredTensor, { transA: true, alpha: 1 / batch });
    const covW = matmul(covariance, w).toArray();
    const weights = w.toArray();
    const hidden = w.shape[1]!;
    const bias = this.hidden.bias!.value.toArray();
    const mean = new Float64Array(hidden);
    const variance = new Float64Array(hidden);
    for (let j = 0; j < hidden; ++j) mean[j] = bias[j]!;
    for (let p = 0; p < width; ++p) {
      for (let j = 0; j < hidden; ++j) {
        mean[j]! += average[p]! * weights[p * hidden + j]!;
        variance[j]! += weights[p * hidden + j]! * covW[p * hidden + j]!;
      }
    }
    for (let j = 0; j < hidden; ++j) variance[j] = Math.max(0, variance[j]!);
    return { mean, variance };
  }

  protected override children(): Record<string, Module> {
    return { frequency: this.frequency, frequencyNorm: this.frequencyNorm, hidden: this.hidden,
             hiddenNorm: this.hiddenNorm, output: this.output };
  }

  // The reference sizes Emb_freq by the largest precomputed frequency; a stream finds it as it goes.
  private growFrequencies(largest: number): void {
    const rows = this.frequency.numRows;
    if (largest < rows) return;
    const added = Math.max(largest + 1, 2 * rows) - rows;
    this.frequency.addRows(new Int32Array(added).fill(this.frequency.maxDim));
  }
}

/**
 * dL/d logits for L = −Σ_b r_b · log π(a_b | s_b) with π = softmax(logits [B, K]):
 * row b is r_b · (π_b − onehot(a_b)). A positive reward makes the taken action more likely.
 */
export function reinforceGradient(logits: Float32Array, actions: Uint8Array | Int32Array, rewards: Float32Array,
                                  classes = 2): Float32Array {
  const batch = actions.length;
  if (logits.length !== batch * classes) {
    throw new RangeError(`logits has length ${logits.length} but must have actions.length × ${classes} = ${batch * classes}`);
  }
  if (rewards.length !== batch) throw new RangeError(`rewards has length ${rewards.length} but actions has ${batch}`);
  const grad = new Float32Array(batch * classes);
  for (let b = 0; b < batch; ++b) {
    const row = b * classes;
    let top = -Infinity;
    for (let k = 0; k < classes; ++k) top = Math.max(top, logits[row + k]!);
    let total = 0;
    for (let k = 0; k < classes; ++k) total += Math.exp(logits[row + k]! - top);
    const r = rewards[b]!;
    for (let k = 0; k < classes; ++k) {
      grad[row + k] = r * (Math.exp(logits[row + k]! - top) / total - (k === actions[b] ? 1 : 0));
    }
  }
  return grad;
}

/** π(enlarge | s) for row r of logits [·, 2] (keep, enlarge): the softmax's second entry. */
export function enlargeProbability(logits: Float32Array, row: number): number {
  return 1 / (1 + Math.exp(logits[2 * row]! - logits[2 * row + 1]!));
}

/** enlarge where the enlarge logit beats keep's, for each row of logits [·, 2]. */
function argmaxRows(logits: Float32Array): Uint8Array {
  const actions = new Uint8Array(logits.length / 2);
  for (let r = 0; r < actions.length; ++r) actions[r] = logits[2 * r + 1]! > logits[2 * r]! ? enlarge : keep;
  return actions;
}

/** A training-mode batch norm's running-statistics update, with the kernel's rounding (batch_norm.h). */
function updateRunning(norm: BatchNorm, mean: Float64Array, variance: Float64Array, batch: number): void {
  const runningMean = norm.runningMean.toArray();
  const runningVar = norm.runningVar.toArray();
  const m = Math.fround(norm.momentum);
  for (let j = 0; j < mean.length; ++j) {
    runningMean[j] = (1 - m) * runningMean[j]! + m * mean[j]!;
    runningVar[j] = (1 - m) * runningVar[j]! + m * (variance[j]! * batch / (batch - 1));
  }
}
