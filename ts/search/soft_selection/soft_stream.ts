/**
 * The stream loop DARTS per id and AutoEmb share (methods.md B §4): first-order DARTS on a
 * prequential rating stream. At each batch t the selector (DARTS's α, AutoEmb's controllers) is
 * first updated on the previous batch — which the recommender has already trained on, so it acts
 * as the validation batch of the bi-level problem — and then the recommender is scored on batch t
 * with the selector's current weights (prequential: before it trains on it) and trained on it.
 *
 *   for t = 0, 1, …
 *     if t > 0:  L(batch_{t−1}; w(α)) → ∇ into α only → selector.step()
 *     score batch_t with w = selector.weights(batch_t)              (prequential accuracy, loss)
 *     L(batch_t; w) → ∇ into the recommender only → optimizer.step()
 *     selector.observe(batch_t, w)
 *
 * The test tail runs the same loop, still training both (ESAPN's online evaluation), and the
 * previous batch carries over from the training head into it. Losses are summed over the batch,
 * as the reference does.
 *
 * Between batches the loop awaits `between` with its position (SoftStreamPosition: the pass,
 * the batch, the running sums and the previous batch's rows); given that position back as
 * `resumeFrom`, with the model, optimizer and selector restored, it continues bit for bit.
 */
import { integerInRange } from "../../arguments.js";
import { takeRows } from "../../data/take_rows.js";
import { backward, noGrad } from "../../autograd/tape.js";
import type { Optimizer } from "../../optim/optimizer.js";
import { scoreBatch, type RatingEvents, type RatingTask, type StreamMetrics } from "../../training/rating_stream.js";
import type { MixingWeights, SoftSelectionRecommender } from "./soft_recommender.js";

export interface StreamBatch {
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array;
  /** How often each sample's user has occurred in the stream so far, this sample included. */
  userFrequencies: Int32Array;
  itemFrequencies: Int32Array;
}

/** What a soft-selection method plugs into the stream. */
export interface SoftSelector {
  /** The batch's mixing weights [B, M] per side: on the tape, unless called inside noGrad. */
  weights(batch: StreamBatch): MixingWeights;
  /** One update of the selector from the gradient the previous batch's loss left in it. */
  step(): void;
  /** The recommender has trained on `batch` with these weights. */
  observe(batch: StreamBatch, weights: MixingWeights): void;
  /** Bytes of the plan the selector would choose now (each id at its heaviest candidate). */
  bytes(): number;
}

export interface SoftStreamEvents extends RatingEvents {
  /** Per row: the running count of its user (item) in stream order, the row included. */
  userFrequencies: Int32Array;
  itemFrequencies: Int32Array;
}

/** Where the loop stands between two batches: JSON, for a checkpoint. */
export interface SoftStreamPosition {
  /** Passes over the training head finished; the test pass runs once all `epochs` are. */
  passesDone: number;
  /** Batches of the current pass finished. */
  batchesDone: number;
  /** The current pass's right answers, summed loss and seconds so far. */
  correct: number;
  lossSum: number;
  seconds: number;
  /** The last finished training pass. */
  train?: StreamMetrics;
  /** The rows of the batch before the next one, which the selector steps on next. */
  previousRows?: number[];
}

export interface SoftStreamOptions {
  task: RatingTask;
  batchSize: number;
  /** Passes over the training head. Default 1. */
  epochs?: number;
  /** After each batch: the phase ("search" over the head, "test" over the tail), the batches done in its pass (1-based) and the batch's numbers. */
  onBatch?: (phase: "search" | "test", step: number, total: number, batch: { loss: number; accuracy: number }) => void;
  /**
   * Awaited before each batch and after the last, with the loop's position there: search()'s
   * checkpoint, which yields to the event loop and stops the loop by throwing.
   */
  between?: (position: () => SoftStreamPosition) => Promise<void>;
  /** Continue from a position `between` was given, the model, optimizer and selector restored to that point. */
  resumeFrom?: SoftStreamPosition;
}

export interface SoftStreamResult {
  train: StreamMetrics;
  test: StreamMetrics;
}

/**
 * The running count of each row's user and item over `order` (rows in stream order), each row
 * included: what AutoEmb's controller reads as the id's frequency (its "popularity").
 */
export function runningFrequencies(events: RatingEvents, order: Int32Array, numUsers: number, numItems: number):
    { userFrequencies: Int32Array; itemFrequencies: Int32Array } {
  const users = new Int32Array(numUsers);
  const items = new Int32Array(numItems);
  const userFrequencies = new Int32Array(events.users.length);
  const itemFrequencies = new Int32Array(events.users.length);
  for (const row of order) {
    userFrequencies[row] = ++users[events.users[row]!]!;
    itemFrequencies[row] = ++items[events.items[row]!]!;
  }
  return { userFrequencies, itemFrequencies };
}

/** Batch boundaries over n rows; a last batch of one row joins the one before (batch norm needs two). */
export function batchBounds(n: number, batchSize: number): number[] {
  const bounds = [0];
  for (let start = batchSize; start < n; start += batchSize) bounds.push(start);
  if (n > 0) bounds.push(n);
  if (bounds.length > 2 && n - bounds[bounds.length - 2]! === 1) bounds.splice(bounds.length - 2, 1);
  return bounds;
}

function gatherBatch(events: SoftStreamEvents, rows: Int32Array): StreamBatch {
  return {
    users: takeRows(events.users, rows), items: takeRows(events.items, rows), ratings: takeRows(events.ratings, rows),
    userFrequencies: takeRows(events.userFrequencies, rows), itemFrequencies: takeRows(events.itemFrequencies, rows),
  };
}

/**
 * Runs the loop above over `train` (epochs times) and then `test` (rows of `events`, in stream
 * order), and returns the prequential accuracy and mean loss of each part.
 */
export async function runSoftStream(model: SoftSelectionRecommender, optimizer: Optimizer, selector: SoftSelector,
                                    events: SoftStreamEvents, split: { train: Int32Array; test: Int32Array },
                                    options: SoftStreamOptions): Promise<SoftStreamResult> {
  const batchSize = integerInRange(options.batchSize, "batchSize", 2, 2 ** 24);
  const epochs = integerInRange(options.epochs ?? 1, "epochs", 1, 2 ** 20);
  let position: SoftStreamPosition = options.resumeFrom === undefined
    ? { passesDone: 0, batchesDone: 0, correct: 0, lossSum: 0, seconds: 0 }
    : { ...options.resumeFrom };
  let previous = position.previousRows === undefined ? undefined : gatherBatch(events, Int32Array.from(position.previousRows));
  model.train();

  for (;;) {
    const testing = position.passesDone >= epochs;
    const phase = testing ? "test" : "search";
    const rows = testing ? split.test : split.train;
    const bounds = batchBounds(rows.length, batchSize);
    let started = performance.now();
    const here = (): SoftStreamPosition => ({ ...position, seconds: position.seconds + (performance.now() - started) / 1000 });
    for (;;) {
      await options.between?.(here);
      const t = position.batchesDone;
      if (t + 1 >= bounds.length) break;
      const batch = gatherBatch(events, rows.subarray(bounds[t]!, bounds[t + 1]!));
      if (previous !== undefined) {
        // α (or the controllers) on the previous batch; the recommender's gradients are dropped.
        const { loss } = scoreBatch(options.task, model.forward(previous.users, previous.items, selector.weights(previous)),
                                   previous.ratings, "sum");
        backward(loss);
        selector.step();
      }
      const weights = noGrad(() => selector.weights(batch));
      optimizer.zeroGrad();
      const scored = scoreBatch(options.task, model.forward(batch.users, batch.items, weights), batch.ratings, "sum");
      const loss = scored.loss.value.toArray()[0]!;
      backward(scored.loss);
      optimizer.step();
      selector.observe(batch, weights);
      previous = batch;
      position = { ...here(), batchesDone: t + 1, correct: position.correct + scored.correct, lossSum: position.lossSum + loss,
                   previousRows: Array.from(rows.subarray(bounds[t]!, bounds[t + 1]!)) };
      started = performance.now();
      options.onBatch?.(phase, t + 1, bounds.length - 1, { loss: loss / batch.users.length, accuracy: scored.correct / batch.users.length });
    }
    const samples = rows.length;
    const metrics: StreamMetrics = {
      samples, accuracy: samples === 0 ? NaN : position.correct / samples, loss: samples === 0 ? NaN : position.lossSum / samples,
      seconds: here().seconds,
    };
    if (testing) return { train: position.train!, test: metrics };
    position = { passesDone: position.passesDone + 1, batchesDone: 0, correct: 0, lossSum: 0, seconds: 0, train: metrics,
                 previousRows: position.previousRows };
  }
}
