/**
 * The baselines a rating model must beat, scored the way the model is (prequentially: each
 * event is predicted from the events before it, then counted):
 * - majority: the overall label frequencies so far (the mean for the binary MSE, the majority
 *   class for accuracy, the prior for cross-entropy);
 * - popularity: the label frequencies of items as popular as this one so far (items bucketed
 *   by log2 of their rating count), which is what "popular items are liked" predicts;
 * - itemAverage: this item's own label frequencies so far (an item-bias model), smoothed toward
 *   the overall frequencies with one pseudo-count. Much stronger than popularity on MovieLens.
 */
import { binaryLabels, fiveClassLabels } from "../data/labels.js";
import type { RatingEvents, RatingTask } from "./rating_stream.js";

export interface BaselineMetrics {
  accuracy: number;
  loss: number;
}

export interface RatingBaselines {
  majority: BaselineMetrics;
  popularity: BaselineMetrics;
  itemAverage: BaselineMetrics;
}

/** Label counts per key (one key per item, or per popularity bucket), smoothed toward a prior. */
class LabelCounts {
  readonly counts: Float64Array;
  readonly totals: Float64Array;

  constructor(keys: number, readonly classes: number) {
    this.counts = new Float64Array(keys * classes);
    this.totals = new Float64Array(keys);
  }

  distribution(key: number, prior: Float64Array, out: Float64Array): Float64Array {
    for (let k = 0; k < this.classes; ++k) out[k] = (this.counts[key * this.classes + k]! + prior[k]!) / (this.totals[key]! + 1);
    return out;
  }

  add(key: number, label: number): void {
    this.counts[key * this.classes + label]! += 1;
    this.totals[key]! += 1;
  }
}

class Scores {
  correct = 0;
  loss = 0;

  add(distribution: Float64Array, y: number, task: RatingTask): void {
    let best = 0;
    for (let k = 1; k < distribution.length; ++k) if (distribution[k]! > distribution[best]!) best = k;
    if (best === y) this.correct += 1;
    this.loss += task === "binary" ? (distribution[1]! - y) ** 2 : -Math.log(distribution[y]!);
  }

  metrics(scored: number): BaselineMetrics {
    return { accuracy: this.correct / scored, loss: this.loss / scored };
  }
}

const buckets = 32;

/**
 * Streams `order` and scores the events from position `scoreFrom` on (e.g. the test tail).
 * Loss is (p − y)² for the binary task and −log p(y) for five classes.
 */
export function ratingBaselines(events: RatingEvents, order: Int32Array, task: RatingTask, scoreFrom: number,
                                numItems: number): RatingBaselines {
  const classes = task === "binary" ? 2 : 5;
  const labels = task === "binary" ? binaryLabels(events.ratings) : fiveClassLabels(events.ratings);
  const overall = new LabelCounts(1, classes);
  const byBucket = new LabelCounts(buckets, classes);
  const byItem = new LabelCounts(numItems, classes);
  const uniform = new Float64Array(classes).fill(1 / classes);
  const prior = new Float64Array(classes);
  const scratch = new Float64Array(classes);
  const scores = { majority: new Scores(), popularity: new Scores(), itemAverage: new Scores() };
  for (let position = 0; position < order.length; ++position) {
    const e = order[position]!;
    const item = events.items[e]!;
    const y = labels[e]!;
    const bucket = Math.min(buckets - 1, Math.floor(Math.log2(byItem.totals[item]! + 1)));
    if (position >= scoreFrom) {
      overall.distribution(0, uniform, prior);
      scores.majority.add(prior, y, task);
      scores.popularity.add(byBucket.distribution(bucket, prior, scratch), y, task);
      scores.itemAverage.add(byItem.distribution(item, prior, scratch), y, task);
    }
    overall.add(0, y);
    byBucket.add(bucket, y);
    byItem.add(item, y);
  }
  const scored = Math.max(order.length - scoreFrom, 1);
  return {
    majority: scores.majority.metrics(scored),
    popularity: scores.popularity.metrics(scored),
    itemAverage: scores.itemAverage.metrics(scored),
  };
}
