import { describe, expect, it } from "vitest";
import { auc } from "../../ts/metrics/auc.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const f32 = (values: number[]) => Float32Array.from(values);
const i32 = (values: number[]) => Int32Array.from(values);

/** The definition: over every (positive, negative) pair, 1 if the positive scores higher, ½ on a tie. */
function pairwiseAuc(scores: Float32Array, labels: ArrayLike<number>): number {
  let u = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; ++i) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; ++j) {
      if (labels[j] !== 0) continue;
      ++pairs;
      if (scores[i]! > scores[j]!) u += 1;
      else if (scores[i] === scores[j]) u += 0.5;
    }
  }
  return u / pairs;
}

describe("auc", () => {
  it("of a hand example without ties", () => {
    // positives 0.35, 0.8; negatives 0.1, 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4; lost: 0.35<0.4 → 3/4
    expect(auc(f32([0.1, 0.4, 0.35, 0.8]), i32([0, 0, 1, 1]))).toBe(0.75);
  });

  it("counts a tie as one half", () => {
    // positives 1, 2; negatives 1, 0. Pairs: (1,1) tie ½, (1,0) 1, (2,1) 1, (2,0) 1 → 3.5/4
    expect(auc(f32([1, 1, 2, 0]), i32([1, 0, 1, 0]))).toBe(0.875);
    // all tied: ½
    expect(auc(f32([3, 3, 3, 3]), i32([1, 0, 0, 1]))).toBe(0.5);
    // −0 and +0 are the same score
    expect(auc(f32([-0, 0]), i32([1, 0]))).toBe(0.5);
  });

  it("orders negative scores and infinities", () => {
    // positives −1, −0.5; negatives −2, 3: −1>−2, −0.5>−2 won; both lose to 3 → 2/4
    expect(auc(f32([-1, -2, 3, -0.5]), i32([1, 0, 0, 1]))).toBe(0.5);
    expect(auc(f32([Infinity, -Infinity, -1e30]), new Uint8Array([1, 0, 1]))).toBe(1);
    expect(auc(f32([-Infinity, Infinity]), f32([1, 0]))).toBe(0);
  });

  it("matches the O(n²) pairwise definition on random scores with many ties", () => {
    const random = rng(testSeed("auc"));
    for (const n of [2, 17, 600, 1500]) {
      const raw = randomFloats(random, n, 3);
      // Round half the time so that many scores tie, and sometimes to very few distinct values.
      const levels = [0, 2, 10, 1000][randomInt(random, 0, 4)]!;
      const scores = levels === 0 ? raw : raw.map((x) => Math.round(x * levels) / levels);
      const labels = Int32Array.from({ length: n }, (_, i) => (i < 2 ? i : random() < 0.3 ? 1 : 0));
      expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 14);
    }
  });

  it("matches the average-rank (Mann–Whitney) formula on 200k samples", () => {
    // AUC = (Σ_{positives} rank − P(P + 1)/2) / (P·N), ranks from 1, tied scores sharing their mean rank.
    const random = rng(testSeed("auc ranks"));
    const n = 200_000;
    const scores = Float32Array.from({ length: n }, () => (random() < 0.5 ? Math.round((random() - 0.5) * 3e4) : (random() - 0.5) * 1e6));
    const labels = Uint8Array.from(scores, (s) => (random() < 0.3 + 0.4 * Number(s > 0) ? 1 : 0));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
    let rankSum = 0;
    let positives = 0;
    for (let i = 0; i < n;) {
      let j = i;
      while (j < n && scores[order[j]!] === scores[order[i]!]) ++j;
      const meanRank = (i + 1 + j) / 2;
      for (let t = i; t < j; ++t) if (labels[order[t]!] === 1) { rankSum += meanRank; ++positives; }
      i = j;
    }
    const expected = (rankSum - (positives * (positives + 1)) / 2) / (positives * (n - positives));
    expect(auc(scores, labels)).toBeCloseTo(expected, 12);
  });

  it("does not depend on the order of the samples", () => {
    const random = rng(testSeed("auc order"));
    const n = 5000;
    const scores = randomFloats(random, n).map((x) => Math.round(x * 20));
    const labels = Int32Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
    const permutation = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; --i) {
      const j = randomInt(random, 0, i + 1);
      [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
    }
    expect(auc(scores.map((_, i) => scores[permutation[i]!]!), labels.map((_, i) => labels[permutation[i]!]!)))
      .toBe(auc(scores, labels));
  });

  it("reads a Float32Array view at an offset", () => {
    const buffer = f32([99, 0.1, 0.4, 0.35, 0.8]);
    expect(auc(buffer.subarray(1), i32([0, 0, 1, 1]))).toBe(0.75);
  });

  it("rejects one class, mismatched lengths, NaN and bad labels", () => {
    expect(() => auc(f32([1, 2]), i32([1, 1]))).toThrow(new RangeError("AUC is undefined: labels hold 2 positives and 0 negatives; both classes must occur"));
    expect(() => auc(f32([1, 2]), i32([0, 0]))).toThrow("0 positives and 2 negatives");
    expect(() => auc(f32([]), i32([]))).toThrow(RangeError);
    expect(() => auc(f32([1, 2]), i32([1]))).toThrow("scores has length 2 but labels has length 1");
    expect(() => auc(f32([1, NaN]), i32([1, 0]))).toThrow("scores[1] = NaN is not a number");
    expect(() => auc(f32([1, 2]), i32([1, 2]))).toThrow("labels[1] = 2 is not 0 or 1");
    expect(() => auc(Float64Array.from([1, 2]) as unknown as Float32Array, i32([1, 0]))).toThrow(TypeError);
  });
});
