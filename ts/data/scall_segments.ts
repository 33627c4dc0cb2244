/**
 * SCALL's stream of time segments (methods.md D §1, from DatasetLoader.compute_dfs, Reservoir
 * and ImplicitCF in the reference code), with the validation slice of A4.
 *
 * 1. Rows are put in time order (ties in file order).
 * 2. Cuts: scanning that order, a new segment D_t starts at the row whose new users plus new
 *    items, added to those of D_t so far, would exceed `newEntityThreshold` (15,000 in the
 *    reference). A segment so holds at most the threshold of new entities, apart from a first
 *    row that alone brings more (a threshold of 1 and a row with a new user and a new item). The reference counts the row at a cut into the segment before
 *    it and then forgets it, so its later cuts come up to 2 entities later than these.
 * 3. Replay: for t ≥ 1, a uniform sample (reservoir sampling, Algorithm R) of the earlier rows
 *    whose user is active in D_t, of capacity floor(reservoirFraction · |D_t|), is put before
 *    D_t, in time order. The reference samples from the earlier segments with their own replay
 *    prepended (so an old row can be drawn twice); here each earlier row is a candidate once.
 * 4. Per segment, as in ImplicitCF: the current list C_t = replay ⊕ D_t is cut at
 *    round(trainFraction · |C_t|); the head trains (with all earlier rows, `history`), the tail
 *    tests. The last round(validationFraction · |head|) rows of the head are held out as the
 *    validation slice, for model selection and the agent's reward (the reference selects on
 *    the test split). With validationFraction 0 the head is the reference's train set.
 */
import type { RatingsDataset } from "./dataset.js";
import { integerInRange, numberInRange, optionsObject } from "../arguments.js";
import { uniformIndex, uniformStream } from "./seeds.js";
import { timeOrder } from "./time_order.js";

export interface ScallSegmentOptions {
  /** A segment ends before the row that would take its new users + new items past this (default 15000). */
  newEntityThreshold?: number;
  /** Replay capacity as a fraction of |D_t| (default 0.2). */
  reservoirFraction?: number;
  /** The head of replay ⊕ D_t that trains (default 0.8); the rest tests. */
  trainFraction?: number;
  /** The tail of the training head held out for validation (default 0.1). */
  validationFraction?: number;
  /** Seeds the reservoir draws (default 0). */
  seed?: number;
}

export interface ScallSegment {
  /** The segment's number t, from 0. */
  readonly t: number;
  /** D_t is order[start, end). */
  readonly start: number;
  readonly end: number;
  /** D_t: the segment's own rows, in time order. */
  readonly rows: Int32Array;
  /** All rows before D_t (order[0, start)): the rest of the training data. */
  readonly history: Int32Array;
  /** The reservoir sample of earlier rows put before D_t, in time order; empty for t = 0. */
  readonly replay: Int32Array;
  /** The head of replay ⊕ D_t, less the validation slice. */
  readonly train: Int32Array;
  /** The tail of the head, just before the test rows. */
  readonly validation: Int32Array;
  /** The tail of replay ⊕ D_t. */
  readonly test: Int32Array;
  /** Users and items that first appear in D_t. */
  readonly newUsers: number;
  readonly newItems: number;
}

export interface ScallStream {
  /** Every row in time order. */
  readonly order: Int32Array;
  readonly segments: ScallSegment[];
}

// The seeds.ts stream the reservoir of segment t draws from is reservoirStream + t.
const reservoirStream = 1000;

/**
 * Cuts a data set into SCALL's segments. Run sortByTime on it first to make the ids of the
 * entities seen by any time a prefix (as the reference's re-indexing does), for tables that grow.
 */
export function scallSegments(dataset: RatingsDataset, options?: ScallSegmentOptions): ScallStream {
  const opts = optionsObject(options);
  const threshold = integerInRange(opts.newEntityThreshold ?? 15000, "newEntityThreshold", 1, Number.MAX_SAFE_INTEGER);
  const reservoirFraction = numberInRange(opts.reservoirFraction ?? 0.2, "reservoirFraction", 0, 1);
  const trainFraction = numberInRange(opts.trainFraction ?? 0.8, "trainFraction", 0, 1);
  const validationFraction = numberInRange(opts.validationFraction ?? 0.1, "validationFraction", 0, 1);
  const seed = integerInRange(opts.seed ?? 0, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

  const { users, items } = dataset;
  const order = timeOrder(dataset.timestamps);
  const n = order.length;

  // Cuts, with the new entities each segment brings.
  const starts: number[] = [0];
  const newUsers: number[] = [0];
  const newItems: number[] = [0];
  const seenUser = new Uint8Array(dataset.numUsers);
  const seenItem = new Uint8Array(dataset.numItems);
  for (let p = 0; p < n; ++p) {
    const r = order[p]!;
    const isNewUser = seenUser[users[r]!] === 0 ? 1 : 0;
    const isNewItem = seenItem[items[r]!] === 0 ? 1 : 0;
    const last = starts.length - 1;
    const added = isNewUser + isNewItem;
    if (added > 0 && newUsers[last]! + newItems[last]! + added > threshold && p > starts[last]!) {
      starts.push(p);
      newUsers.push(0);
      newItems.push(0);
    }
    seenUser[users[r]!] = 1;
    seenItem[items[r]!] = 1;
    newUsers[newUsers.length - 1]! += isNewUser;
    newItems[newItems.length - 1]! += isNewItem;
  }
  if (n === 0) return { order, segments: [] };

  const active = new Uint8Array(dataset.numUsers);
  const segments: ScallSegment[] = [];
  for (let t = 0; t < starts.length; ++t) {
    const start = starts[t]!;
    const end = t + 1 < starts.length ? starts[t + 1]! : n;
    const rows = order.subarray(start, end);
    const replay = t === 0 ? new Int32Array(0)
      : reservoirReplay(order, start, rows, users, active, Math.floor(reservoirFraction * rows.length), seed, t);

    const current = new Int32Array(replay.length + rows.length);
    current.set(replay);
    current.set(rows, replay.length);
    const headEnd = Math.round(trainFraction * current.length);
    const trainEnd = headEnd - Math.round(validationFraction * headEnd);
    segments.push({
      t, start, end, rows,
      history: order.subarray(0, start),
      replay,
      train: current.subarray(0, trainEnd),
      validation: current.subarray(trainEnd, headEnd),
      test: current.subarray(headEnd),
      newUsers: newUsers[t]!,
      newItems: newItems[t]!,
    });
  }
  return { order, segments };
}

/**
 * A uniform sample without replacement of at most `capacity` rows among order[0, start) whose
 * user is active in `rows` (Algorithm R over them in time order), returned in time order.
 * `active` is scratch of numUsers zeros, and is left zeroed.
 */
function reservoirReplay(order: Int32Array, start: number, rows: Int32Array, users: Int32Array,
                         active: Uint8Array, capacity: number, seed: number, t: number): Int32Array {
  if (capacity === 0) return new Int32Array(0);
  for (let k = 0; k < rows.length; ++k) active[users[rows[k]!]!] = 1;
  const uniform = uniformStream(seed, reservoirStream + t);
  // Positions in `order`, so that sorting them restores time order.
  const reservoir = new Int32Array(capacity);
  let eligible = 0;
  for (let p = 0; p < start; ++p) {
    if (active[users[order[p]!]!] === 0) continue;
    if (eligible < capacity) {
      reservoir[eligible] = p;
    } else {
      const slot = uniformIndex(uniform, eligible + 1);
      if (slot < capacity) reservoir[slot] = p;
    }
    ++eligible;
  }
  for (let k = 0; k < rows.length; ++k) active[users[rows[k]!]!] = 0;
  const positions = reservoir.subarray(0, Math.min(eligible, capacity)).sort();
  const replay = new Int32Array(positions.length);
  for (let k = 0; k < positions.length; ++k) replay[k] = order[positions[k]!]!;
  return replay;
}
