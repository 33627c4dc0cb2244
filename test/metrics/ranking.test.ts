import { describe, expect, it } from "vitest";
import {
  type CsrRows,
  itemsInTrainAndTest,
  RankingAccumulator,
  rankingMetrics,
  type RankingOptions,
} from "../../ts/metrics/ranking.js";
import { topK } from "../../ts/metrics/top_k.js";
import { randomInt, rng, testSeed } from "../support/random.js";

const f32 = (values: number[]) => Float32Array.from(values);
const i32 = (values: number[]) => Int32Array.from(values);

function csr(rows: number[][]): CsrRows {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((row, u) => (rowPtr[u + 1] = rowPtr[u]! + row.length));
  return { rowPtr, items: Int32Array.from(rows.flat()) };
}

/** Full sort in float64: score descending, then item ascending. */
function sortedItems(scores: ArrayLike<number>, eligible: (item: number) => boolean): number[] {
  const items: number[] = [];
  for (let i = 0; i < scores.length; ++i) if (eligible(i)) items.push(i);
  return items.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** The definition, user by user, by full sort. */
function referenceMetrics(
  scores: Float32Array, trainRows: number[][], testRows: number[][], itemCount: number, k: number,
  users: number[], candidates: number[] | undefined, countAsZero: boolean,
) {
  const isCandidate = (item: number) => candidates === undefined || candidates.includes(item);
  let recall = 0;
  let ndcg = 0;
  let evaluated = 0;
  for (const u of users) {
    if (testRows[u]!.length === 0) continue;
    const test = new Set(testRows[u]!.filter(isCandidate));
    if (test.size === 0) {
      if (countAsZero) ++evaluated;
      continue;
    }
    const train = new Set(trainRows[u]);
    const ranked = sortedItems(scores.subarray(u * itemCount, (u + 1) * itemCount), (i) => isCandidate(i) && !train.has(i)).slice(0, k);
    let hits = 0;
    let dcg = 0;
    ranked.forEach((item, r) => {
      if (test.has(item)) {
        ++hits;
        dcg += 1 / Math.log2(r + 2);
      }
    });
    let idcg = 0;
    for (let r = 0; r < Math.min(test.size, k); ++r) idcg += 1 / Math.log2(r + 2);
    recall += hits / test.size;
    ndcg += dcg / idcg;
    ++evaluated;
  }
  return { recall: recall / evaluated, ndcg: ndcg / evaluated, usersEvaluated: evaluated };
}

describe("topK", () => {
  it("keeps the k highest, best first, ties to the lower index", () => {
    // scores 3,7,7,1,7 → 7s at items 1,2,4 (ascending index), then 3 at item 0
    expect(Array.from(topK(f32([3, 7, 7, 1, 7]), 4))).toEqual([1, 2, 4, 0]);
    expect(Array.from(topK(f32([3, 7, 7, 1, 7]), 2))).toEqual([1, 2]);
    expect(Array.from(topK(f32([3, 7, 7, 1, 7]), 2, i32([1])))).toEqual([2, 4]);
    expect(Array.from(topK(f32([-Infinity, Infinity, 0]), 5))).toEqual([1, 2, 0]);
    expect(Array.from(topK(f32([]), 3))).toEqual([]);
  });

  it("matches a full sort on random rows with ties and exclusions", () => {
    const random = rng(testSeed("topK"));
    for (let trial = 0; trial < 200; ++trial) {
      const n = randomInt(random, 1, 300);
      const levels = randomInt(random, 1, 50);
      const scores = Float32Array.from({ length: n }, () => randomInt(random, 0, levels));
      const exclude = Int32Array.from({ length: randomInt(random, 0, n) }, () => randomInt(random, 0, n));
      const excluded = new Set(exclude);
      const k = randomInt(random, 1, n + 5);
      expect(Array.from(topK(scores, k, exclude))).toEqual(sortedItems(scores, (i) => !excluded.has(i)).slice(0, k));
    }
  });

  it("rejects k ≤ 0, NaN and bad exclusions", () => {
    expect(() => topK(f32([1]), 0)).toThrow("k must be an integer ≥ 1, got 0");
    expect(() => topK(f32([1, NaN]), 1)).toThrow("scores[1] is NaN");
    expect(() => topK(f32([1]), 1, i32([1]))).toThrow("exclude[0] = 1 is out of range [0, 1)");
  });
});

describe("rankingMetrics by hand", () => {
  // 6 items, K = 3.
  // user 0: train {0}, test {2, 5}, scores [9, 1, 8, 2, 3, 7]. Item 0 masked; ranking 2 (8), 5 (7), 4 (3), …
  //   top 3 = [2, 5, 4], hits at ranks 0, 1: recall = 2/2 = 1; DCG = 1 + 1/log2 3 = IDCG → NDCG = 1.
  // user 1: train {2}, test {0, 1, 3, 4}, scores [5, 5, 9, 1, 0, 6]. Item 2 masked; ranking 5 (6), 0 (5), 1 (5, tie
  //   after the lower index 0), 3, 4. top 3 = [5, 0, 1], hits at ranks 1, 2: recall = 2/|test| = 2/4 (not 2/3);
  //   DCG = 1/log2 3 + 1/log2 4; IDCG = 1 + 1/log2 3 + 1/log2 4 (min(4, 3) = 3 terms).
  // user 2: train {1}, no test items: skipped.
  // user 3: no train items, test {4}: not scored by default (not seen in train).
  const train = csr([[0], [2], [1], []]);
  const test = csr([[2, 5], [0, 1, 3, 4], [], [4]]);
  const scores = f32([
    9, 1, 8, 2, 3, 7,
    5, 5, 9, 1, 0, 6,
    0, 0, 0, 0, 0, 0,
    1, 2, 3, 4, 5, 6,
  ]);
  const l3 = 1 / Math.log2(3);
  const ndcg1 = (l3 + 0.5) / (1 + l3 + 0.5);

  it("follows the LightGCN/SCALL convention, recall divided by |test|", () => {
    const result = rankingMetrics({ itemCount: 6, trainItemsByUser: train, testItemsByUser: test, k: 3, scores });
    expect(result.usersEvaluated).toBe(2);
    expect(result.recall).toBeCloseTo((1 + 0.5) / 2, 15);
    expect(result.ndcg).toBeCloseTo((1 + ndcg1) / 2, 15);
  });

  it("scores explicitly listed users even without train items, and skips users without test items", () => {
    // user 3: nothing masked; ranking 5, 4, 3: item 4 at rank 1 → recall 1, NDCG = (1/log2 3) / 1
    const result = rankingMetrics({ itemCount: 6, trainItemsByUser: train, testItemsByUser: test, k: 3, scores, users: i32([2, 3]) });
    expect(result).toEqual({ recall: 1, ndcg: l3, usersEvaluated: 1 });
  });

  it("masks train items, even when they are also test items", () => {
    // train {0}, test {0, 1}, scores [9, 5, 1], K = 2: item 0 masked, ranking [1, 2]: one hit of two
    // → recall 1/2; DCG = 1 (rank 0); IDCG = 1 + 1/log2 3.
    const result = rankingMetrics({ itemCount: 3, trainItemsByUser: csr([[0]]), testItemsByUser: csr([[0, 1]]), k: 2, scores: f32([9, 5, 1]) });
    expect(result.recall).toBe(0.5);
    expect(result.ndcg).toBeCloseTo(1 / (1 + l3), 15);
    // without the mask item 0 would be ranked first and be a hit
    const unmasked = rankingMetrics({ itemCount: 3, trainItemsByUser: csr([[]]), testItemsByUser: csr([[0, 1]]), k: 2, scores: f32([9, 5, 1]), users: i32([0]) });
    expect(unmasked).toEqual({ recall: 1, ndcg: 1, usersEvaluated: 1 });
  });

  it("breaks ties by the lower item index", () => {
    // all scores equal, K = 1: item 0 is ranked first
    const one = (testItem: number) => rankingMetrics({
      itemCount: 4, trainItemsByUser: csr([[]]), testItemsByUser: csr([[testItem]]), k: 1, scores: f32([1, 1, 1, 1]), users: i32([0]),
    }).recall;
    expect(one(0)).toBe(1);
    expect(one(3)).toBe(0);
  });

  it("ranks only candidate items; a user with no candidate test item is skipped or counted as 0", () => {
    // candidates {0, 1, 3, 4, 5}: user 0's test items shrink to {5}; ranking 5 (7), 4 (3), 3 (2) → recall 1, NDCG 1.
    // user 1: test {0, 1, 3, 4}, all candidates, item 2 masked anyway: as before.
    const candidates = i32([5, 4, 3, 1, 0]);
    const options = { itemCount: 6, trainItemsByUser: train, testItemsByUser: test, k: 3, scores, candidateItems: candidates };
    expect(rankingMetrics(options).recall).toBeCloseTo((1 + 0.5) / 2, 15);
    // candidates {0, 1}: user 0 keeps no test item; user 1's test items shrink to {0, 1} (those outside
    // the candidates are dropped), ranking 0, 1 (tie, lower index first): two hits of two → recall 1,
    // NDCG 1. Skipped: user 1 alone; counted as zero: user 0 adds 0 to both sums → halved.
    const narrow = { ...options, candidateItems: i32([1, 0]) };
    expect(rankingMetrics(narrow)).toEqual({ recall: 1, ndcg: 1, usersEvaluated: 1 });
    expect(rankingMetrics({ ...narrow, usersWithoutTestItems: "countAsZero" })).toEqual({ recall: 0.5, ndcg: 0.5, usersEvaluated: 2 });
  });

  it("finds SCALL's candidate items, those in both train and test", () => {
    expect(Array.from(itemsInTrainAndTest(train, test, 6))).toEqual([0, 1, 2]);
  });
});

describe("rankingMetrics against a full sort", () => {
  it("agrees on random data with ties, masks, candidates and blocks of any size", () => {
    const random = rng(testSeed("rankingMetrics"));
    for (let trial = 0; trial < 40; ++trial) {
      const userCount = randomInt(random, 1, 40);
      const itemCount = randomInt(random, 1, 120);
      const density = random() * 0.3;
      const rows = () => Array.from({ length: userCount }, () => {
        const row: number[] = [];
        for (let i = 0; i < itemCount; ++i) if (random() < density) row.push(i);
        if (random() < 0.2 && row.length > 0) row.push(row[0]!); // duplicates are harmless
        return row;
      });
      const trainRows = rows();
      const testRows = rows();
      testRows[0] = [randomInt(random, 0, itemCount)]; // at least one test user
      trainRows[0] = [];
      const levels = randomInt(random, 1, 20);
      const scores = Float32Array.from({ length: userCount * itemCount }, () => randomInt(random, 0, levels) - levels / 2);
      const k = pickK(random, itemCount);
      const candidates = random() < 0.5 ? undefined : Array.from({ length: itemCount }, (_, i) => i).filter(() => random() < 0.7);
      const countAsZero = random() < 0.5;
      const users = Array.from({ length: userCount }, (_, u) => u).filter((u) => u === 0 || random() < 0.8);
      const expected = referenceMetrics(scores, trainRows, testRows, itemCount, k, users, candidates, countAsZero);
      const options: RankingOptions = {
        itemCount, trainItemsByUser: csr(trainRows), testItemsByUser: csr(testRows), k,
        candidateItems: candidates === undefined ? undefined : Int32Array.from(candidates),
        usersWithoutTestItems: countAsZero ? "countAsZero" : "skip",
      };
      if (expected.usersEvaluated === 0) {
        expect(() => rankingMetrics({ ...options, scores, users: Int32Array.from(users) })).toThrow(RangeError);
        continue;
      }
      const batchSize = randomInt(random, 1, userCount + 2);
      const calls: number[] = [];
      const scorer = (block: Int32Array) => {
        calls.push(block.length);
        const out = new Float32Array(block.length * itemCount);
        block.forEach((u, b) => out.set(scores.subarray(u * itemCount, (u + 1) * itemCount), b * itemCount));
        return out;
      };
      for (const result of [
        rankingMetrics({ ...options, scores, users: Int32Array.from(users) }),
        rankingMetrics({ ...options, scores: scorer, users: Int32Array.from(users), batchSize }),
      ]) {
        expect(result.usersEvaluated).toBe(expected.usersEvaluated);
        expect(result.recall).toBeCloseTo(expected.recall, 12);
        expect(result.ndcg).toBeCloseTo(expected.ndcg, 12);
      }
      expect(Math.max(...calls)).toBeLessThanOrEqual(batchSize);
    }
  });

  it("with the default users, scores test users seen in train", () => {
    const random = rng(testSeed("ranking default users"));
    const userCount = 30;
    const itemCount = 50;
    const rows = (p: number) => Array.from({ length: userCount }, () => Array.from({ length: itemCount }, (_, i) => i).filter(() => random() < p));
    const trainRows = rows(0.1);
    const testRows = rows(0.1);
    trainRows[0] = [1];
    testRows[0] = [2];
    const scores = Float32Array.from({ length: userCount * itemCount }, () => random());
    const seen = Array.from({ length: userCount }, (_, u) => u).filter((u) => trainRows[u]!.length > 0);
    const expected = referenceMetrics(scores, trainRows, testRows, itemCount, 20, seen, undefined, false);
    const result = rankingMetrics({ itemCount, trainItemsByUser: csr(trainRows), testItemsByUser: csr(testRows), scores });
    expect(result.usersEvaluated).toBe(expected.usersEvaluated);
    expect(result.recall).toBeCloseTo(expected.recall, 12);
    expect(result.ndcg).toBeCloseTo(expected.ndcg, 12);
  });
});

function pickK(random: () => number, itemCount: number): number {
  const choices = [1, 3, 20, itemCount, itemCount + 7];
  return choices[randomInt(random, 0, choices.length)]!;
}

describe("RankingAccumulator", () => {
  const base = { itemCount: 3, trainItemsByUser: csr([[0], []]), testItemsByUser: csr([[1], [2]]), k: 2 };

  it("adds blocks of users and reports the mean", () => {
    // user 0: item 0 masked, ranking 1, 2 → hit at rank 0; user 1: ranking 0, 1 → miss
    const accumulator = new RankingAccumulator(base);
    accumulator.addScores(i32([0]), f32([3, 2, 1]));
    accumulator.addScores(i32([1]), f32([3, 2, 1]));
    expect(accumulator.result()).toEqual({ recall: 0.5, ndcg: 0.5, usersEvaluated: 2 });
  });

  it("rejects bad blocks, NaN scores and users added twice", () => {
    const accumulator = new RankingAccumulator(base);
    expect(() => accumulator.result()).toThrow("no user was evaluated");
    expect(() => accumulator.addScores(i32([0]), f32([1, 2]))).toThrow("scores has length 2 but must be users.length × itemCount = 1 × 3 = 3");
    expect(() => accumulator.addScores(i32([2]), f32([1, 2, 3]))).toThrow("users[0] = 2 is out of range [0, 2)");
    expect(() => accumulator.addScores(i32([0, 0]), f32([1, 2, 3, 1, 2, 3]))).toThrow("users[1] = 0 was already evaluated");
    accumulator.addScores(i32([0]), f32([1, 2, 3])); // the failed duplicate block left no mark
    expect(() => accumulator.addScores(i32([0]), f32([1, 2, 3]))).toThrow("users[0] = 0 was already evaluated");
    expect(() => new RankingAccumulator(base).addScores(i32([1]), f32([1, NaN, 3]))).toThrow("scores[1] = NaN (users[0] = 1, item 1)");
    expect(() => accumulator.addScores([1] as unknown as Int32Array, f32([1, 2, 3]))).toThrow(TypeError);
    expect(() => accumulator.addScores(i32([1]), [1, 2, 3] as unknown as Float32Array)).toThrow(TypeError);
  });

  it("rejects bad options", () => {
    expect(() => new RankingAccumulator({ ...base, k: 0 })).toThrow("k must be an integer in [1, 2147483647], got 0");
    expect(() => new RankingAccumulator({ ...base, k: 2.5 })).toThrow(RangeError);
    expect(() => new RankingAccumulator({ ...base, itemCount: 0 })).toThrow("itemCount must be an integer");
    expect(() => new RankingAccumulator({ ...base, itemCount: "3" as unknown as number })).toThrow(TypeError);
    expect(() => new RankingAccumulator({ ...base, testItemsByUser: csr([[1]]) })).toThrow("testItemsByUser has 1 users but trainItemsByUser has 2");
    expect(() => new RankingAccumulator({ ...base, testItemsByUser: csr([[3], []]) })).toThrow("testItemsByUser.items[0] = 3 is out of range [0, 3)");
    expect(() => new RankingAccumulator({ ...base, trainItemsByUser: { rowPtr: i32([0, 2, 1]), items: i32([0]) } })).toThrow("trainItemsByUser.rowPtr[2] = 1 is below rowPtr[1] = 2");
    expect(() => new RankingAccumulator({ ...base, trainItemsByUser: { rowPtr: i32([1, 1, 1]), items: i32([0]) } })).toThrow("trainItemsByUser.rowPtr[0] = 1 must be 0");
    expect(() => new RankingAccumulator({ ...base, trainItemsByUser: { rowPtr: i32([0, 1, 1]), items: i32([0, 1]) } })).toThrow("trainItemsByUser.rowPtr[2] = 1 must equal trainItemsByUser.items.length = 2");
    expect(() => new RankingAccumulator({ ...base, trainItemsByUser: { rowPtr: i32([]), items: i32([]) } })).toThrow("trainItemsByUser.rowPtr is empty");
    expect(() => new RankingAccumulator({ ...base, trainItemsByUser: { rowPtr: [0, 0, 0], items: i32([]) } as unknown as CsrRows })).toThrow(TypeError);
    expect(() => new RankingAccumulator({ ...base, trainItemsByUser: null as unknown as CsrRows })).toThrow(TypeError);
    expect(() => new RankingAccumulator({ ...base, candidateItems: i32([0, 0]) })).toThrow("candidateItems[1] = 0 is listed twice");
    expect(() => new RankingAccumulator({ ...base, candidateItems: i32([5]) })).toThrow("candidateItems[0] = 5 is out of range [0, 3)");
    expect(() => new RankingAccumulator({ ...base, usersWithoutTestItems: "drop" as "skip" })).toThrow(RangeError);
    expect(() => rankingMetrics({ ...base, scores: f32([1, 2]) })).toThrow("scores has length 2 but must be users × itemCount = 2 × 3 = 6");
    expect(() => rankingMetrics({ ...base, scores: () => [1, 2, 3] as unknown as Float32Array })).toThrow("scores(users) must return a Float32Array");
    expect(() => rankingMetrics({ ...base, scores: "x" as unknown as Float32Array })).toThrow(TypeError);
    expect(() => rankingMetrics({ ...base, scores: f32([0, 0, 0, 0, 0, 0]), users: i32([5]) })).toThrow("users[0] = 5 is out of range [0, 2)");
    expect(() => rankingMetrics({ ...base, scores: () => new Float32Array(3), batchSize: 0 })).toThrow("batchSize must be an integer");
    // nobody to evaluate: user 1 has no train item, so the default users are {0}, and listing none leaves the mean undefined
    expect(() => rankingMetrics({ ...base, scores: f32([0, 0, 0, 0, 0, 0]), users: i32([]) })).toThrow("no user was evaluated");
  });
});
