/**
 * Splits of a data set into row-index sets: the ESAPN stream (methods.md A4, B §3),
 * prequential batches over it, and train/validation/test for CTR-style data.
 *
 * Splits are Int32Array row indices into the data set's columns; the sets a function returns
 * are views (subarrays) of one array, in stream order.
 */
import type { RatingsDataset } from "./dataset.js";
import { integerInRange, numberInRange, oneOf, optionsObject } from "../arguments.js";
import { shuffleInPlace, uniformStream } from "./seeds.js";
import { timeOrder } from "./time_order.js";

// The seeds.ts stream the shuffles draw from.
const shuffleStream = 101;

export interface StreamSplitOptions {
  /**
   * "time" (the default): rows in time order, ties in file order. "shuffle": a seeded random
   * order, as the ESAPN reference code uses (train_test_split with shuffle=True).
   */
  order?: "time" | "shuffle";
  /** Seeds the shuffle (default 0). */
  seed?: number;
  /** The head of the stream that trains (default 0.75: ESAPN's 15M of ml-20m's 20M). */
  trainFraction?: number;
  /** The part after the training head that tests (default: all the rest). */
  testFraction?: number;
}

export interface StreamSplit {
  /** Every row in stream order; train and test are views of it. */
  order: Int32Array;
  train: Int32Array;
  test: Int32Array;
}

/**
 * The ESAPN stream: rows in stream order, the first round(trainFraction · n) for training and
 * the next round(testFraction · n) for testing.
 *
 * @example
 * const { train, test } = streamSplit(dataset, { trainFraction: 0.75 });
 * for (const batch of prequentialBatches(train, 500)) { ... }
 */
export function streamSplit(dataset: RatingsDataset, options?: StreamSplitOptions): StreamSplit {
  const opts = optionsObject(options);
  const order = oneOf(opts.order ?? "time", "order", ["time", "shuffle"] as const);
  const seed = integerInRange(opts.seed ?? 0, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const trainFraction = numberInRange(opts.trainFraction ?? 0.75, "trainFraction", 0, 1);
  const testFraction = numberInRange(opts.testFraction ?? 1 - trainFraction, "testFraction", 0, 1);
  if (trainFraction + testFraction > 1 + 1e-9) {
    throw new RangeError(`trainFraction + testFraction = ${trainFraction + testFraction} must be at most 1`);
  }
  const n = dataset.users.length;
  const rows = order === "time" ? timeOrder(dataset.timestamps) : shuffledRows(n, seed);
  const trainEnd = Math.round(trainFraction * n);
  const testEnd = Math.min(n, Math.round((trainFraction + testFraction) * n));
  return { order: rows, train: rows.subarray(0, trainEnd), test: rows.subarray(trainEnd, testEnd) };
}

/**
 * Consecutive batches of `batchSize` indices (the last may be shorter), as views, for
 * prequential evaluation: the caller scores each batch, then trains on it.
 */
export function prequentialBatches(indices: Int32Array, batchSize: number): Generator<Int32Array, void, undefined> {
  // Checked here rather than in the generator, whose body would first run at the first next().
  if (!(indices instanceof Int32Array)) throw new TypeError("indices must be an Int32Array");
  integerInRange(batchSize, "batchSize", 1, 0x7fffffff);
  return batches(indices, batchSize);
}

function* batches(indices: Int32Array, batchSize: number): Generator<Int32Array, void, undefined> {
  for (let start = 0; start < indices.length; start += batchSize) {
    yield indices.subarray(start, Math.min(start + batchSize, indices.length));
  }
}

export interface CtrSplitOptions {
  /** Fractions of the rows (defaults 0.8, 0.1, 0.1); they may sum to less than 1. */
  train?: number;
  validation?: number;
  test?: number;
  /** Shuffle before cutting (default true); false cuts the rows in their order. */
  shuffle?: boolean;
  /** Seeds the shuffle (default 0). */
  seed?: number;
}

export interface CtrSplit {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Train, validation and test row sets for CTR-style data (AutoDim, DARTS per field, MDE):
 * cuts at round(train · n) and round((train + validation) · n) of a seeded permutation.
 */
export function ctrSplit(n: number, options?: CtrSplitOptions): CtrSplit {
  integerInRange(n, "n", 0, 0x7fffffff);
  const opts = optionsObject(options);
  const train = numberInRange(opts.train ?? 0.8, "train", 0, 1);
  const validation = numberInRange(opts.validation ?? 0.1, "validation", 0, 1);
  const test = numberInRange(opts.test ?? 0.1, "test", 0, 1);
  if (train + validation + test > 1 + 1e-9) {
    throw new RangeError(`train + validation + test = ${train + validation + test} must be at most 1`);
  }
  const shuffle = opts.shuffle ?? true;
  if (typeof shuffle !== "boolean") throw new TypeError(`shuffle must be a boolean, got ${typeof shuffle}`);
  const rows = shuffle ? shuffledRows(n, integerInRange(opts.seed ?? 0, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) : identity(n);
  const trainEnd = Math.round(train * n);
  const validationEnd = Math.round((train + validation) * n);
  const testEnd = Math.min(n, Math.round((train + validation + test) * n));
  return {
    train: rows.subarray(0, trainEnd),
    validation: rows.subarray(trainEnd, validationEnd),
    test: rows.subarray(validationEnd, testEnd),
  };
}

function identity(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let r = 0; r < n; ++r) rows[r] = r;
  return rows;
}

function shuffledRows(n: number, seed: number): Int32Array {
  return shuffleInPlace(identity(n), uniformStream(seed, shuffleStream));
}
