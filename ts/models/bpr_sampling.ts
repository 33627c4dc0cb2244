/**
 * Seeded BPR triples (user, positive item, negative item), as SCALL's ImplicitCF.train_loader
 * draws them (methods.md D §1):
 * - users: uniformly, without replacement when the batch is no larger than the set of users,
 *   with replacement otherwise (numpy's choice(replace = n < batch));
 * - positive: uniformly among the user's distinct train items;
 * - negative: uniformly among the negative pool (every item, or `negativeItems`) minus the
 *   user's train items, by rejection; after 64 rejections the remaining candidates are listed
 *   and one is drawn from them, which keeps the draw uniform and bounds the work for heavy users.
 * A user without train items, or whose train items cover the whole pool, has no triple and is
 * never drawn (`sampledUsers`).
 */
import { integerInRange, optionsObject } from "../arguments.js";
import type { UniformSource } from "../data/random.js";
import { uniformIndex, uniformStream } from "../data/seeds.js";

/** One batch: users[b] interacted with positives[b] and not with negatives[b] (item ids). */
export interface BprBatch {
  users: Int32Array;
  positives: Int32Array;
  negatives: Int32Array;
}

export interface BprSamplerOptions {
  /** users[k] interacted with items[k]: the train interactions (repeats count once). */
  users: Int32Array | readonly number[];
  items: Int32Array | readonly number[];
  numUsers: number;
  numItems: number;
  /** The items negatives are drawn from (SCALL: the current segment's items); default every item. */
  negativeItems?: Int32Array | readonly number[];
  /** Seeds every draw (default 0). */
  seed?: number;
}

/** Each user's distinct train items, ascending: items[rowPtr[u] .. rowPtr[u + 1]). */
export interface ItemsByUser {
  readonly rowPtr: Int32Array;
  readonly items: Int32Array;
}

const maxRejections = 64;
// The seeds.ts stream the sampler draws from.
const samplerStream = 201;

function idArray(value: unknown, argument: string, count: number, countName: string): Int32Array {
  if (!(value instanceof Int32Array) && !Array.isArray(value)) {
    throw new TypeError(`${argument} must be an Int32Array or an array of integers, got ${value === null ? "null" : typeof value}`);
  }
  const source = value as ArrayLike<unknown>;
  const ids = new Int32Array(source.length);
  for (let k = 0; k < source.length; ++k) {
    const id = source[k];
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= count) {
      throw new RangeError(`${argument}[${k}] = ${String(id)} is out of range [0, ${countName} = ${count})`);
    }
    ids[k] = id;
  }
  return ids;
}

/** The distinct items of each user, ascending, by a counting sort on the user. */
export function itemsByUser(users: Int32Array, items: Int32Array, numUsers: number): ItemsByUser {
  const start = new Int32Array(numUsers + 1);
  for (const u of users) start[u + 1]! += 1;
  for (let u = 0; u < numUsers; ++u) start[u + 1]! += start[u]!;
  const next = start.slice(0, numUsers);
  const sorted = new Int32Array(users.length);
  for (let k = 0; k < users.length; ++k) sorted[next[users[k]!]!++] = items[k]!;
  const rowPtr = new Int32Array(numUsers + 1);
  let kept = 0;
  for (let u = 0; u < numUsers; ++u) {
    const row = sorted.subarray(start[u]!, start[u + 1]!).sort();
    for (let k = 0; k < row.length; ++k) if (k === 0 || row[k] !== row[k - 1]) sorted[kept++] = row[k]!;
    rowPtr[u + 1] = kept;
  }
  return { rowPtr, items: sorted.slice(0, kept) };
}

function contains(sorted: Int32Array, start: number, end: number, item: number): boolean {
  let low = start;
  let high = end;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < item) low = mid + 1;
    else high = mid;
  }
  return low < end && sorted[low] === item;
}

export class BprSampler {
  readonly numUsers: number;
  readonly numItems: number;
  /** Each user's distinct train items (the items to mask when ranking, too). */
  readonly positives: ItemsByUser;
  /** The users a batch is drawn from: those with a train item and a possible negative, ascending. */
  readonly sampledUsers: Int32Array;
  readonly #pool: Int32Array;
  readonly #uniform: UniformSource;
  // A permutation of sampledUsers whose first entries a partial Fisher–Yates shuffle redraws per batch.
  readonly #order: Int32Array;

  /**
   * @example
   * const sampler = new BprSampler({ users: train.users, items: train.items, numUsers, numItems, seed: 1 });
   * const batch = sampler.sample(2048);   // { users, positives, negatives }
   */
  constructor(options: BprSamplerOptions) {
    const opts = optionsObject(options);
    this.numUsers = integerInRange(opts.numUsers, "numUsers", 0, 2147483647);
    this.numItems = integerInRange(opts.numItems, "numItems", 0, 2147483647);
    const users = idArray(opts.users, "users", this.numUsers, "numUsers");
    const items = idArray(opts.items, "items", this.numItems, "numItems");
    if (items.length !== users.length) {
      throw new RangeError(`items has length ${items.length} but must have ${users.length} (users.length)`);
    }
    this.#uniform = uniformStream(integerInRange(opts.seed ?? 0, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), samplerStream);
    this.positives = itemsByUser(users, items, this.numUsers);

    const inPool = new Uint8Array(this.numItems);
    if (opts.negativeItems === undefined) {
      inPool.fill(1);
      this.#pool = Int32Array.from({ length: this.numItems }, (_, i) => i);
    } else {
      const pool = idArray(opts.negativeItems, "negativeItems", this.numItems, "numItems");
      pool.forEach((item, k) => {
        if (inPool[item] === 1) throw new RangeError(`negativeItems[${k}] = ${item} is listed twice`);
        inPool[item] = 1;
      });
      this.#pool = pool;
    }

    const { rowPtr, items: rows } = this.positives;
    const sampled: number[] = [];
    for (let u = 0; u < this.numUsers; ++u) {
      let positivesInPool = 0;
      for (let p = rowPtr[u]!; p < rowPtr[u + 1]!; ++p) positivesInPool += inPool[rows[p]!]!;
      if (rowPtr[u + 1]! > rowPtr[u]! && positivesInPool < this.#pool.length) sampled.push(u);
    }
    this.sampledUsers = Int32Array.from(sampled);
    this.#order = this.sampledUsers.slice();
  }

  /** A batch of `batchSize` triples. */
  sample(batchSize: number): BprBatch {
    const size = integerInRange(batchSize, "batchSize", 1, 2147483647);
    const count = this.#order.length;
    if (count === 0) throw new RangeError("no user has both a train item and a possible negative item; there is nothing to sample");
    const uniform = this.#uniform;
    const users = new Int32Array(size);
    if (size <= count) {
      const order = this.#order;
      for (let b = 0; b < size; ++b) {
        const j = b + uniformIndex(uniform, count - b);
        const chosen = order[j]!;
        order[j] = order[b]!;
        order[b] = chosen;
        users[b] = chosen;
      }
    } else {
      for (let b = 0; b < size; ++b) users[b] = this.#order[uniformIndex(uniform, count)]!;
    }
    const positives = new Int32Array(size);
    const negatives = new Int32Array(size);
    const { rowPtr, items } = this.positives;
    for (let b = 0; b < size; ++b) {
      const u = users[b]!;
      const start = rowPtr[u]!;
      const end = rowPtr[u + 1]!;
      positives[b] = items[start + uniformIndex(uniform, end - start)]!;
      negatives[b] = this.#negative(start, end);
    }
    return { users, positives, negatives };
  }

  #negative(start: number, end: number): number {
    const { items } = this.positives;
    const pool = this.#pool;
    for (let attempt = 0; attempt < maxRejections; ++attempt) {
      const item = pool[uniformIndex(this.#uniform, pool.length)]!;
      if (!contains(items, start, end, item)) return item;
    }
    const remaining = pool.filter((item) => !contains(items, start, end, item));
    return remaining[uniformIndex(this.#uniform, remaining.length)]!;
  }
}
