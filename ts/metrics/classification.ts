/**
 * Accuracy and losses over a test set, as the papers report them (methods.md B §1 and C §1).
 * Every function returns a mean over samples, summed in float64 in index order, so a result
 * depends only on its inputs. Empty inputs throw: a mean of nothing is undefined.
 *
 * - ESAPN binary: accuracy with sigmoid(z) > 0.5, loss (σ(z) − y)² (`sigmoidMeanSquaredError`).
 * - ESAPN 5-class: accuracy with argmax, loss cross-entropy (`crossEntropy`).
 * - CTR (AutoDim, MDE, DARTS per field): logloss (`logLossFromLogits`) and AUC (./auc.ts).
 */
import {
  type BinaryLabels,
  checkBinaryLabels,
  checkClasses,
  checkClassLabels,
  checkFloat32,
  checkLogitBlock,
  checkNonEmpty,
  checkNumbers,
  checkSameLength,
} from "./metric_inputs.js";

export type { BinaryLabels } from "./metric_inputs.js";

/**
 * Fraction of samples with (z > 0) = (y = 1), i.e. sigmoid(z) > 0.5 as in ESAPN's code;
 * z = 0 predicts 0. Logits may be ±Infinity, not NaN.
 */
export function binaryAccuracy(logits: Float32Array, labels: BinaryLabels): number {
  checkFloat32(logits, "logits");
  checkBinaryLabels(labels, "labels");
  checkSameLength(logits, "logits", labels, "labels");
  checkNonEmpty(logits.length, "logits", "binaryAccuracy");
  checkNumbers(logits, "logits", false);
  let correct = 0;
  for (let i = 0; i < logits.length; ++i) if ((logits[i]! > 0 ? 1 : 0) === labels[i]) ++correct;
  return correct / logits.length;
}

/**
 * Fraction of samples whose argmax over their K logits is the label. `logits` is row-major
 * [N, classes] for N = labels.length; ties go to the lowest class index.
 */
export function multiclassAccuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  checkFloat32(logits, "logits");
  checkClasses(classes, "classes");
  checkClassLabels(labels, "labels", classes);
  checkLogitBlock(logits, "logits", labels.length, classes);
  checkNonEmpty(labels.length, "labels", "multiclassAccuracy");
  checkNumbers(logits, "logits", false);
  let correct = 0;
  for (let n = 0; n < labels.length; ++n) {
    const row = n * classes;
    let best = 0;
    for (let k = 1; k < classes; ++k) if (logits[row + k]! > logits[row + best]!) best = k;
    if (best === labels[n]) ++correct;
  }
  return correct / labels.length;
}

/** (1/N) Σ (p_i − t_i)². NaN is rejected; ±Infinity gives Infinity. */
export function meanSquaredError(predictions: Float32Array, targets: Float32Array): number {
  checkFloat32(predictions, "predictions");
  checkFloat32(targets, "targets");
  checkSameLength(predictions, "predictions", targets, "targets");
  checkNonEmpty(predictions.length, "predictions", "meanSquaredError");
  checkNumbers(predictions, "predictions", false);
  checkNumbers(targets, "targets", false);
  let sum = 0;
  for (let i = 0; i < predictions.length; ++i) {
    const d = predictions[i]! - targets[i]!;
    sum += d * d;
  }
  return sum / predictions.length;
}

/** σ(z) in float64, without overflow for either sign. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * ESAPN's binary test loss ("MSE_sigmoid"): (1/N) Σ (σ(z_i) − y_i)², with y ∈ {0, 1}.
 * The reference sums over a batch for training; the reported test loss is this mean.
 */
export function sigmoidMeanSquaredError(logits: Float32Array, labels: BinaryLabels): number {
  checkFloat32(logits, "logits");
  checkBinaryLabels(labels, "labels");
  checkSameLength(logits, "logits", labels, "labels");
  checkNonEmpty(logits.length, "logits", "sigmoidMeanSquaredError");
  checkNumbers(logits, "logits", false);
  let sum = 0;
  for (let i = 0; i < logits.length; ++i) {
    const d = sigmoid(logits[i]!) - labels[i]!;
    sum += d * d;
  }
  return sum / logits.length;
}

/**
 * Mean cross-entropy of softmax over K classes: (1/N) Σ_n [logsumexp(z_n) − z_n,y_n], with
 * logsumexp(z) = m + log Σ_k exp(z_k − m), m = max_k z_k, so no exp overflows. `logits` is
 * row-major [N, classes]; logits must be finite.
 */
export function crossEntropy(logits: Float32Array, labels: Int32Array, classes: number): number {
  checkFloat32(logits, "logits");
  checkClasses(classes, "classes");
  checkClassLabels(labels, "labels", classes);
  checkLogitBlock(logits, "logits", labels.length, classes);
  checkNonEmpty(labels.length, "labels", "crossEntropy");
  checkNumbers(logits, "logits", true);
  let sum = 0;
  for (let n = 0; n < labels.length; ++n) {
    const row = n * classes;
    let m = logits[row]!;
    for (let k = 1; k < classes; ++k) m = Math.max(m, logits[row + k]!);
    let s = 0;
    for (let k = 0; k < classes; ++k) s += Math.exp(logits[row + k]! - m);
    sum += m + Math.log(s) - logits[row + labels[n]!]!;
  }
  return sum / labels.length;
}

/**
 * Mean binary cross-entropy from logits (CTR "logloss"):
 * (1/N) Σ −[y log σ(z) + (1 − y) log(1 − σ(z))] = (1/N) Σ [max(z, 0) − y z + log1p(exp(−|z|))],
 * the second form exact for any finite z (no log of 0, no overflow). Logits must be finite.
 */
export function logLossFromLogits(logits: Float32Array, labels: BinaryLabels): number {
  checkFloat32(logits, "logits");
  checkBinaryLabels(labels, "labels");
  checkSameLength(logits, "logits", labels, "labels");
  checkNonEmpty(logits.length, "logits", "logLossFromLogits");
  checkNumbers(logits, "logits", true);
  let sum = 0;
  for (let i = 0; i < logits.length; ++i) {
    const z = logits[i]!;
    sum += Math.max(z, 0) - labels[i]! * z + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return sum / logits.length;
}

/**
 * Mean binary cross-entropy from probabilities p ∈ [0, 1]:
 * (1/N) Σ −[y log p̂ + (1 − y) log(1 − p̂)], p̂ = clamp(p, ε, 1 − ε), so a confident wrong
 * prediction costs −log ε (≈ 16.1 for the default ε = 1e-7) rather than Infinity.
 * Prefer `logLossFromLogits` when the model gives logits: it needs no clamp.
 */
export function logLossFromProbabilities(probabilities: Float32Array, labels: BinaryLabels, epsilon = 1e-7): number {
  checkFloat32(probabilities, "probabilities");
  checkBinaryLabels(labels, "labels");
  checkSameLength(probabilities, "probabilities", labels, "labels");
  checkNonEmpty(probabilities.length, "probabilities", "logLossFromProbabilities");
  if (typeof epsilon !== "number" || !(epsilon > 0 && epsilon < 0.5)) {
    throw new RangeError(`epsilon must be in (0, 0.5), got ${String(epsilon)}`);
  }
  for (let i = 0; i < probabilities.length; ++i) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probabilities[${i}] = ${p} is not in [0, 1]`);
  }
  let sum = 0;
  for (let i = 0; i < probabilities.length; ++i) {
    const p = Math.min(Math.max(probabilities[i]!, epsilon), 1 - epsilon);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log1p(-p);
  }
  return sum / probabilities.length;
}
