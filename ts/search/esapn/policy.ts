/**
 * ESAPN's policy network, one per side (methods.md B §2, Policy_Type 1):
 *
 *   s = [BN(Emb_freq(f)), onehot(k)]   (a learned 32-d row per frequency value f, and the id's size index k)
 *   π(· | s) = softmax(Linear(512, 2)(tanh(BN(Linear(32 + n, 512)(s)))))   over {0: keep, 1: enlarge}
 *
 * Batch norm always uses the batch's statistics, as in the reference (which never calls eval()).
 * It is trained by one-step REINFORCE, L = −Σ_b r_b · log π(a_b | s_b), whose gradient with
 * respect to the logits is r_b · (π(· | s_b) − onehot(a_b)) (reinforceGradient).
 */
import { concat } from "../../autograd/ops/concat_op.js";
import { Variable } from "../../autograd/variable.js";
import { integerInRange } from "../../arguments.js";
import type { DeviceOption } from "../../backend.js";
import { BatchNorm } from "../../modules/batch_norm.js";
import { Linear } from "../../modules/linear.js";
import { Embedding } from "../../modules/mixed_dim_embedding.js";
import { Module } from "../../modules/module.js";
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

  constructor({ numSizes, hidden = 512, frequencyDim = 32, frequencyRows = 1024, seed = 0, device = "cpu" }: SizePolicyOptions) {
    super();
    this.numSizes = integerInRange(numSizes, "numSizes", 1, 64);
    const width = integerInRange(frequencyDim, "frequencyDim", 1, 65536);
    // nn.Embedding starts at N(0, 1); the batch norm after it makes the scale moot.
    this.frequency = new Embedding({ numRows: integerInRange(frequencyRows, "frequencyRows", 1, 2 ** 30), dim: width,
                                     seed, initStd: 1, device });
    this.frequencyNorm = new BatchNorm({ features: width, device });
    this.hidden = new Linear({ inFeatures: width + this.numSizes, outFeatures: hidden, seed: seed + 1, device });
    this.hiddenNorm = new BatchNorm({ features: hidden, activation: "tanh", device });
    this.output = new Linear({ inFeatures: hidden, outFeatures: 2, seed: seed + 3, device });
  }

  /** Logits [B, 2] (keep, enlarge) for states (frequencies[b], sizeIndices[b]). */
  forward(frequencies: Int32Array, sizeIndices: Int32Array): Variable {
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
    const state = concat([this.frequencyNorm.forward(this.frequency.forward(frequencies)), size]);
    return this.output.forward(this.hiddenNorm.forward(this.hidden.forward(state)));
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
