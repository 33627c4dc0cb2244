/**
 * Recall@K and NDCG@K with full ranking, as SCALL's Evaluator computes them (methods.md D §1;
 * the same convention as LightGCN's evaluation code).
 *
 * For each evaluated user u, with T_u its test items among the ranked candidates (a set:
 * duplicates count once) and R_u its train items:
 * - every candidate item is scored, the items of R_u are masked out (the reference adds −∞),
 *   and the top K of the rest are taken, higher score first, equal scores to the lower item
 *   index;
 * - hit(r) = 1 if the item at rank r (from 0) is in T_u;
 * - recall@K(u) = Σ_{r<K} hit(r) / |T_u|            (divided by |T_u|, not by min(|T_u|, K));
 * - NDCG@K(u)   = DCG / IDCG, binary relevance, with
 *     DCG  = Σ_{r<K} hit(r) / log2(r + 2),
 *     IDCG = Σ_{r < min(|T_u|, K)} 1 / log2(r + 2);
 * - the result is the mean of each over the evaluated users.
 * A test item that is also one of the user's train items is masked, so it is never a hit,
 * but it still counts in |T_u|, as in the reference. A masked item is left out of the ranking
 * (the reference would rank it, at −∞, only when fewer than K unmasked candidates remain).
 *
 * Users: those with no test item are not test users and are skipped. A user whose test items
 * all fall outside `candidateItems` is skipped too by default; SCALL's Evaluator counts such a
 * user with recall = NDCG = 0 (`usersWithoutTestItems: "countAsZero"`).
 *
 * SCALL's protocol, for the record: candidates = the items seen in both train and test
 * (`itemsInTrainAndTest`), users = the test users seen in train (`rankingMetrics`' default),
 * K = 20, and "countAsZero".
 *
 * Memory: `RankingAccumulator` takes scores a block of users at a time ([users, items]
 * row-major), so a caller scoring 138k users × 27k items holds one block, not the matrix.
 * Cost: O(I log K) per user (partial selection, ./top_k.ts).
 */
import { checkFloat32, checkInt32, describe } from "./metric_inputs.js";
import { selectTopK, TopKHeap } from "./top_k.js";

/** Compressed rows: the items of user u are items[rowPtr[u] .. rowPtr[u + 1]). */
export interface CsrRows {
  readonly rowPtr: Int32Array;
  readonly items: Int32Array;
}

export interface RankingOptions {
  /** I: item ids are in [0, itemCount), and a score row holds itemCount scores. */
  itemCount: number;
  /** Each user's train items, masked out of the ranking. */
  trainItemsByUser: CsrRows;
  /** Each user's test items, the relevant ones. Same number of users as trainItemsByUser. */
  testItemsByUser: CsrRows;
  /** Cut-off K (default 20). */
  k?: number;
  /** The items ranked (distinct, any order); default every item. Test items outside it are dropped. */
  candidateItems?: Int32Array;
  /** A test user none of whose test items is a candidate: "skip" it (default) or count it as 0. */
  usersWithoutTestItems?: "skip" | "countAsZero";
}

export interface RankingResult {
  /** Mean recall@K over the evaluated users. */
  readonly recall: number;
  /** Mean NDCG@K over the evaluated users. */
  readonly ndcg: number;
  readonly usersEvaluated: number;
}

function checkCsr(value: unknown, argument: string, itemCount: number): CsrRows {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${argument} must be an object { rowPtr, items }, got ${describe(value)}`);
  }
  const { rowPtr, items } = value as CsrRows;
  checkInt32(rowPtr, `${argument}.rowPtr`);
  checkInt32(items, `${argument}.items`);
  if (rowPtr.length === 0) throw new RangeError(`${argument}.rowPtr is empty; it must hold users + 1 offsets`);
  if (rowPtr[0] !== 0) throw new RangeError(`${argument}.rowPtr[0] = ${rowPtr[0]} must be 0`);
  for (let u = 0; u + 1 < rowPtr.length; ++u) {
    if (rowPtr[u + 1]! < rowPtr[u]!) {
      throw new RangeError(`${argument}.rowPtr[${u + 1}] = ${rowPtr[u + 1]} is below rowPtr[${u}] = ${rowPtr[u]}`);
    }
  }
  const last = rowPtr[rowPtr.length - 1]!;
  if (last !== items.length) {
    throw new RangeError(`${argument}.rowPtr[${rowPtr.length - 1}] = ${last} must equal ${argument}.items.length = ${items.length}`);
  }
  for (let i = 0; i < items.length; ++i) {
    const item = items[i]!;
    if (item < 0 || item >= itemCount) throw new RangeError(`${argument}.items[${i}] = ${item} is out of range [0, ${itemCount})`);
  }
  return { rowPtr, items };
}

function checkPositiveInteger(value: unknown, argument: string, max = 2147483647): number {
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${argument} must be an integer in [1, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Recall@K and NDCG@K accumulated over blocks of users. Feed each block of scores with
 * `addScores`, then read `result()`. Each user may be added once.
 */
export class RankingAccumulator {
  readonly itemCount: number;
  readonly userCount: number;
  readonly k: number;
  readonly #train: CsrRows;
  readonly #test: CsrRows;
  readonly #candidates: Int32Array | null;
  readonly #isCandidate: Uint8Array | null;
  readonly #countEmpty: boolean;
  /** discount[r] = 1 / log2(r + 2); idealDcg[n] = Σ_{r<n} discount[r]. */
  readonly #discount: Float64Array;
  readonly #idealDcg: Float64Array;
  // Per-user marks, by stamp: mark[item] === stamp means "in this user's set".
  readonly #trainMark: Int32Array;
  readonly #testMark: Int32Array;
  #stamp = 0;
  readonly #added: Uint8Array;
  readonly #heap: TopKHeap;
  readonly #top: Int32Array;
  #recallSum = 0;
  #ndcgSum = 0;
  #users = 0;

  constructor(options: RankingOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    this.itemCount = checkPositiveInteger(options.itemCount, "itemCount");
    this.k = options.k === undefined ? 20 : checkPositiveInteger(options.k, "k");
    this.#train = checkCsr(options.trainItemsByUser, "trainItemsByUser", this.itemCount);
    this.#test = checkCsr(options.testItemsByUser, "testItemsByUser", this.itemCount);
    this.userCount = this.#train.rowPtr.length - 1;
    if (this.#test.rowPtr.length - 1 !== this.userCount) {
      throw new RangeError(`testItemsByUser has ${this.#test.rowPtr.length - 1} users but trainItemsByUser has ${this.userCount}; they must match`);
    }
    const mode = options.usersWithoutTestItems ?? "skip";
    if (mode !== "skip" && mode !== "countAsZero") {
      throw new RangeError(`usersWithoutTestItems must be "skip" or "countAsZero", got ${String(mode)}`);
    }
    this.#countEmpty = mode === "countAsZero";

    if (options.candidateItems === undefined) {
      this.#candidates = null;
      this.#isCandidate = null;
    } else {
      const given = checkInt32(options.candidateItems, "candidateItems");
      const isCandidate = new Uint8Array(this.itemCount);
      for (let i = 0; i < given.length; ++i) {
        const item = given[i]!;
        if (item < 0 || item >= this.itemCount) throw new RangeError(`candidateItems[${i}] = ${item} is out of range [0, ${this.itemCount})`);
        if (isCandidate[item] === 1) throw new RangeError(`candidateItems[${i}] = ${item} is listed twice`);
        isCandidate[item] = 1;
      }
      this.#candidates = Int32Array.from(given).sort(); // ascending: ties go to the lower index
      this.#isCandidate = isCandidate;
    }

    const kept = Math.min(this.k, this.#candidates?.length ?? this.itemCount);
    this.#heap = new TopKHeap(kept);
    this.#top = new Int32Array(kept);
    this.#discount = new Float64Array(this.k);
    this.#idealDcg = new Float64Array(this.k + 1);
    for (let r = 0; r < this.k; ++r) {
      this.#discount[r] = 1 / Math.log2(r + 2);
      this.#idealDcg[r + 1] = this.#idealDcg[r]! + this.#discount[r]!;
    }
    this.#trainMark = new Int32Array(this.itemCount);
    this.#testMark = new Int32Array(this.itemCount);
    this.#added = new Uint8Array(this.userCount);
  }

  /**
   * Scores a block of users: `scores` is row-major [users.length, itemCount], row b holding
   * user users[b]'s score for every item (only the candidates' are read). Users without test
   * items are skipped. NaN scores and users out of range or added before are RangeErrors;
   * after a NaN the accumulator holds part of the block and should be discarded.
   */
  addScores(users: Int32Array, scores: Float32Array): void {
    checkInt32(users, "users");
    checkFloat32(scores, "scores");
    if (scores.length !== users.length * this.itemCount) {
      throw new RangeError(`scores has length ${scores.length} but must be users.length × itemCount = ${users.length} × ${this.itemCount} = ${users.length * this.itemCount}`);
    }
    for (let b = 0; b < users.length; ++b) {
      const user = users[b]!;
      let problem = "";
      if (user < 0 || user >= this.userCount) problem = `is out of range [0, ${this.userCount})`;
      else if (this.#added[user] === 1) problem = "was already evaluated";
      if (problem !== "") {
        for (let a = 0; a < b; ++a) this.#added[users[a]!] = 0; // this block's marks only
        throw new RangeError(`users[${b}] = ${user} ${problem}`);
      }
      this.#added[user] = 1;
    }
    for (let b = 0; b < users.length; ++b) this.#addUser(users[b]!, scores, b * this.itemCount, b);
  }

  #addUser(user: number, scores: Float32Array, offset: number, row: number): void {
    const { rowPtr: testPtr, items: testItems } = this.#test;
    const testStart = testPtr[user]!;
    const testEnd = testPtr[user + 1]!;
    if (testStart === testEnd) return; // not a test user

    if (this.#stamp === 0x7fffffff) {
      this.#trainMark.fill(0);
      this.#testMark.fill(0);
      this.#stamp = 0;
    }
    const stamp = ++this.#stamp;
    const isCandidate = this.#isCandidate;
    let relevant = 0;
    for (let i = testStart; i < testEnd; ++i) {
      const item = testItems[i]!;
      if (isCandidate !== null && isCandidate[item] === 0) continue;
      if (this.#testMark[item] !== stamp) {
        this.#testMark[item] = stamp;
        ++relevant;
      }
    }
    if (relevant === 0) {
      if (this.#countEmpty) ++this.#users;
      return;
    }
    const { rowPtr: trainPtr, items: trainItems } = this.#train;
    for (let i = trainPtr[user]!; i < trainPtr[user + 1]!; ++i) this.#trainMark[trainItems[i]!] = stamp;

    const top = this.#top;
    const count = selectTopK(scores, offset, this.itemCount, this.#heap.capacity, this.#heap, top,
      this.#trainMark, stamp, this.#candidates);
    if (count < 0) {
      const item = -count - 1;
      throw new RangeError(`scores[${offset + item}] = NaN (users[${row}] = ${user}, item ${item})`);
    }
    let hits = 0;
    let dcg = 0;
    for (let r = 0; r < count; ++r) {
      if (this.#testMark[top[r]!] === stamp) {
        ++hits;
        dcg += this.#discount[r]!;
      }
    }
    this.#recallSum += hits / relevant;
    this.#ndcgSum += dcg / this.#idealDcg[Math.min(relevant, this.k)]!;
    ++this.#users;
  }

  /** The means so far. Throws RangeError when no user has been evaluated (the mean is undefined). */
  result(): RankingResult {
    if (this.#users === 0) {
      throw new RangeError("no user was evaluated: no added user has a test item among the candidates, so the mean is undefined");
    }
    return { recall: this.#recallSum / this.#users, ndcg: this.#ndcgSum / this.#users, usersEvaluated: this.#users };
  }
}

/**
 * Scores users block by block: given users (length B), returns row-major [B, itemCount] scores.
 */
export type UserScorer = (users: Int32Array) => Float32Array;

export interface RankingMetricsOptions extends RankingOptions {
  /**
   * The scores: a function scoring a block of users, or the whole row-major [users, itemCount]
   * matrix (small data only).
   */
  scores: UserScorer | Float32Array;
  /**
   * The users to evaluate, in order; default every user with at least one train item and one
   * test item (SCALL: "only test users seen in train are scored").
   */
  users?: Int32Array;
  /** Users per call to a scorer function; default ⌊2^24 / itemCount⌋ (a 64 MB block), at least 1. */
  batchSize?: number;
}

/** Recall@K and NDCG@K over `users`, scoring them in blocks of `batchSize`. See the file comment. */
export function rankingMetrics(options: RankingMetricsOptions): RankingResult {
  const accumulator = new RankingAccumulator(options);
  const { itemCount, userCount } = accumulator;
  let users: Int32Array;
  if (options.users === undefined) {
    const train = options.trainItemsByUser.rowPtr;
    const test = options.testItemsByUser.rowPtr;
    const chosen: number[] = [];
    for (let u = 0; u < userCount; ++u) {
      if (train[u + 1]! > train[u]! && test[u + 1]! > test[u]!) chosen.push(u);
    }
    users = Int32Array.from(chosen);
  } else {
    users = checkInt32(options.users, "users");
  }
  const { scores } = options;
  if (scores instanceof Float32Array) {
    if (scores.length !== userCount * itemCount) {
      throw new RangeError(`scores has length ${scores.length} but must be users × itemCount = ${userCount} × ${itemCount} = ${userCount * itemCount}`);
    }
    for (let b = 0; b < users.length; ++b) {
      const user = users[b]!;
      if (user < 0 || user >= userCount) throw new RangeError(`users[${b}] = ${user} is out of range [0, ${userCount})`);
      accumulator.addScores(users.subarray(b, b + 1), scores.subarray(user * itemCount, (user + 1) * itemCount));
    }
    return accumulator.result();
  }
  if (typeof scores !== "function") {
    throw new TypeError(`scores must be a function (users) => Float32Array or a Float32Array, got ${describe(scores)}`);
  }
  const batchSize = options.batchSize === undefined
    ? Math.max(1, Math.floor(2 ** 24 / itemCount))
    : checkPositiveInteger(options.batchSize, "batchSize");
  for (let start = 0; start < users.length; start += batchSize) {
    const block = users.slice(start, start + batchSize);
    const blockScores = scores(block);
    if (!(blockScores instanceof Float32Array)) {
      throw new TypeError(`scores(users) must return a Float32Array, got ${describe(blockScores)}`);
    }
    accumulator.addScores(block, blockScores);
  }
  return accumulator.result();
}

/** The items that occur in both CSR sets, ascending: SCALL's candidate items. */
export function itemsInTrainAndTest(trainItemsByUser: CsrRows, testItemsByUser: CsrRows, itemCount: number): Int32Array {
  checkPositiveInteger(itemCount, "itemCount");
  const train = checkCsr(trainItemsByUser, "trainItemsByUser", itemCount);
  const test = checkCsr(testItemsByUser, "testItemsByUser", itemCount);
  const seen = new Uint8Array(itemCount);
  for (const item of train.items) seen[item] = 1;
  for (const item of test.items) if (seen[item] === 1) seen[item] = 2;
  const both: number[] = [];
  for (let item = 0; item < itemCount; ++item) if (seen[item] === 2) both.push(item);
  return Int32Array.from(both);
}
