/**
 * A ratings data set as columns of typed arrays, and the builder the loaders fill.
 *
 * Row r is the interaction (users[r], items[r], ratings[r], timestamps[r]). Users and items
 * carry dense ids 0..numUsers-1 and 0..numItems-1, given in order of first appearance in the
 * file (or stream), so an id is also a row of an embedding table that grows as data arrives;
 * userIds[u] and itemIds[i] give the original ids back.
 *
 * The columns are typed arrays and never one object or string per row: ml-20m's 20M rows take
 * 20M × (4 + 4 + 4 + 8) = 400 MB, where an array of objects would take several GB.
 *
 * Timestamps are float64: exact for integers up to 2^53, so Unix seconds (MovieLens), Unix
 * milliseconds (Amazon, Yelp exports) and fractional times all fit, where int32 seconds would
 * end in 2038 and could not hold milliseconds at all.
 */

export interface RatingsDataset {
  /** Dense user id of each row, in [0, numUsers). */
  readonly users: Int32Array;
  /** Dense item id of each row, in [0, numItems). */
  readonly items: Int32Array;
  /** The rating of each row as given (MovieLens: 0.5..5 in half stars, or 1..5). */
  readonly ratings: Float32Array;
  /** The time of each row, as given (MovieLens: Unix seconds); file order when there is no time. */
  readonly timestamps: Float64Array;
  readonly numUsers: number;
  readonly numItems: number;
  /** The original id of each dense user id. */
  readonly userIds: Float64Array;
  /** The original id of each dense item id. */
  readonly itemIds: Float64Array;
}

// Original ids below this are looked up in a flat table (4 bytes per possible id, 64 MiB at
// most); larger or negative ones in a Map. MovieLens ids are all below 300k.
const tableLimit = 1 << 24;

/**
 * Dense ids in order of first appearance: the first new original id gets 0, the next 1, ...
 * @internal
 */
export class IdRemapper {
  // original id → dense id + 1; 0 means not seen. Zero-filled on growth, so no fill is needed.
  #table = new Int32Array(1024);
  readonly #map = new Map<number, number>();
  #ids = new Float64Array(1024);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** The dense id of `original` (an integer), which is given the next id if it is new. */
  dense(original: number): number {
    if (original >= 0 && original < tableLimit) {
      if (original >= this.#table.length) this.#growTable(original);
      const known = this.#table[original]!;
      if (known !== 0) return known - 1;
      this.#table[original] = this.#count + 1;
    } else {
      const known = this.#map.get(original);
      if (known !== undefined) return known;
      this.#map.set(original, this.#count);
    }
    if (this.#count === this.#ids.length) this.#ids = grow(this.#ids, this.#count * 2);
    this.#ids[this.#count] = original;
    return this.#count++;
  }

  /** The original id of each dense id, trimmed to the count. */
  originalIds(): Float64Array {
    return this.#ids.slice(0, this.#count);
  }

  #growTable(original: number): void {
    let length = this.#table.length;
    while (length <= original) length *= 2;
    this.#table = grow(this.#table, Math.min(length, tableLimit));
  }
}

type Column = Int32Array | Float32Array | Float64Array;

function grow<T extends Column>(array: T, length: number): T {
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array);
  return grown;
}

/**
 * Appends rows with original ids and builds a RatingsDataset. Capacity doubles as rows arrive;
 * `reserve` sets it from an estimate up front, so a large file is not copied log2(n) times.
 * @internal
 */
export class RatingsBuilder {
  #users = new Int32Array(0);
  #items = new Int32Array(0);
  #ratings = new Float32Array(0);
  #timestamps = new Float64Array(0);
  #length = 0;
  readonly #userIds = new IdRemapper();
  readonly #itemIds = new IdRemapper();

  get length(): number {
    return this.#length;
  }

  /** Rows that fit before the columns must grow. */
  get capacity(): number {
    return this.#users.length;
  }

  /** Makes room for `capacity` rows in all (a hint: more rows still fit). */
  reserve(capacity: number): void {
    if (capacity <= this.#users.length) return;
    this.#users = grow(this.#users, capacity);
    this.#items = grow(this.#items, capacity);
    this.#ratings = grow(this.#ratings, capacity);
    this.#timestamps = grow(this.#timestamps, capacity);
  }

  push(user: number, item: number, rating: number, timestamp: number): void {
    const row = this.#length;
    if (row === this.#users.length) this.reserve(Math.max(1024, row * 2));
    this.#users[row] = this.#userIds.dense(user);
    this.#items[row] = this.#itemIds.dense(item);
    this.#ratings[row] = rating;
    this.#timestamps[row] = timestamp;
    this.#length = row + 1;
  }

  /**
   * The data set, with each column trimmed to the row count. Columns are trimmed one at a time
   * and the builder lets go of each, so the extra memory at the peak is one column.
   */
  finish(): RatingsDataset {
    const n = this.#length;
    const users = trim(this.#users, n);
    this.#users = new Int32Array(0);
    const items = trim(this.#items, n);
    this.#items = new Int32Array(0);
    const ratings = trim(this.#ratings, n);
    this.#ratings = new Float32Array(0);
    const timestamps = trim(this.#timestamps, n);
    this.#timestamps = new Float64Array(0);
    this.#length = 0;
    return {
      users, items, ratings, timestamps,
      numUsers: this.#userIds.count,
      numItems: this.#itemIds.count,
      userIds: this.#userIds.originalIds(),
      itemIds: this.#itemIds.originalIds(),
    };
  }
}

function trim<T extends Column>(array: T, length: number): T {
  return (array.length === length ? array : array.slice(0, length)) as T;
}
