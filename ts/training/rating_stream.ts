/**
 * Prequential training on a stream of (user, item, rating) events (methods.md A4): each batch is
 * scored before the model trains on it, so every reported number is on data the model had not
 * seen. Binary task: label rating > 3.5, loss (σ(z) − y)², accuracy of σ(z) > 0.5. Five-class
 * task: label floor(rating − 0.5), cross-entropy, accuracy of the argmax.
 */
import { integerInRange } from "../arguments.js";
import { binaryLabels, fiveClassLabels } from "../data/labels.js";
import { backward } from "../autograd/tape.js";
import { mseSigmoid, softmaxCrossEntropy } from "../autograd/ops/loss_op.js";
import type { Variable } from "../autograd/variable.js";
import type { LossReduction } from "../ops/loss.js";
import type { Optimizer } from "../optim/optimizer.js";
import { Tensor } from "../tensor.js";

export type RatingTask = "binary" | "multiclass";

export interface RatingEvents {
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array;
}

/** Anything that maps (users, items) to logits [B, 1] (binary) or [B, 5] (five classes). */
export interface RatingModel {
  forward(users: Int32Array, items: Int32Array): Variable;
  train(training?: boolean): unknown;
}

export interface StreamOptions {
  task: RatingTask;
  batchSize: number;
  /** ESAPN's reference sums the batch loss; "mean" divides by the batch. Default "sum". */
  reduction?: LossReduction;
  /** Called after each batch with the running totals. */
  onBatch?: (progress: StreamMetrics) => void;
  signal?: AbortSignal;
}

export interface StreamMetrics {
  samples: number;
  /** Fraction right, scored before training on each batch. */
  accuracy: number;
  /** Mean per-sample loss: (σ(z) − y)² or cross-entropy. */
  loss: number;
  seconds: number;
}

/** One pass over `order` (indices into events) in batches, prequentially; trains unless `train` is false. */
export function runStream(model: RatingModel, optimizer: Optimizer | undefined, events: RatingEvents, order: Int32Array,
                          options: StreamOptions): StreamMetrics {
  const batchSize = integerInRange(options.batchSize, "batchSize", 1, 2 ** 24);
  const reduction = options.reduction ?? "sum";
  const started = performance.now();
  let correct = 0;
  let lossSum = 0;
  let samples = 0;
  model.train(optimizer !== undefined);
  for (let start = 0; start < order.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const n = Math.min(batchSize, order.length - start);
    const users = new Int32Array(n);
    const items = new Int32Array(n);
    const ratings = new Float32Array(n);
    for (let b = 0; b < n; ++b) {
      const e = order[start + b]!;
      users[b] = events.users[e]!;
      items[b] = events.items[e]!;
      ratings[b] = events.ratings[e]!;
    }
    const logits = model.forward(users, items);
    const scored = scoreBatch(options.task, logits, ratings, reduction);
    correct += scored.correct;
    lossSum += scored.meanLoss * n;
    samples += n;
    if (optimizer !== undefined) {
      optimizer.zeroGrad();
      backward(scored.loss);
      optimizer.step();
    }
    options.onBatch?.({ samples, accuracy: correct / samples, loss: lossSum / samples, seconds: (performance.now() - started) / 1000 });
  }
  return { samples, accuracy: samples === 0 ? NaN : correct / samples, loss: samples === 0 ? NaN : lossSum / samples,
           seconds: (performance.now() - started) / 1000 };
}

/**
 * How many of a batch's logits answer right: σ(z) > 0.5 against binary labels, or the argmax of
 * `classes` logits per row (ties to the lower class) against class labels.
 */
export function correctPredictions(logits: Float32Array, labels: Float32Array | Int32Array, classes: number): number {
  let correct = 0;
  if (classes === 1) {
    for (let b = 0; b < labels.length; ++b) if ((logits[b]! > 0 ? 1 : 0) === labels[b]) correct += 1;
    return correct;
  }
  for (let b = 0; b < labels.length; ++b) {
    let best = 0;
    for (let k = 1; k < classes; ++k) if (logits[b * classes + k]! > logits[b * classes + best]!) best = k;
    if (best === labels[b]) correct += 1;
  }
  return correct;
}

/** A batch's loss on the tape, its right answers, and its mean per-sample loss. */
export function scoreBatch(task: RatingTask, logits: Variable, ratings: Float32Array, reduction: LossReduction) {
  const n = ratings.length;
  const labels = task === "binary" ? binaryLabels(ratings) : fiveClassLabels(ratings);
  const correct = correctPredictions(logits.value.toArray(), labels, task === "binary" ? 1 : logits.shape[1]!);
  const loss = task === "binary"
    ? mseSigmoid(logits, Tensor.from(labels as Float32Array, { shape: logits.shape, device: logits.device }), reduction)
    : softmaxCrossEntropy(logits, Tensor.from(labels as Int32Array, { device: logits.device }), reduction);
  const value = loss.value.toArray()[0]!;
  return { loss, correct, meanLoss: reduction === "sum" ? value / n : value };
}
