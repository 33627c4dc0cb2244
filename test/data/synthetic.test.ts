import { describe, expect, it } from "vitest";

import { binaryLabels, fiveClassLabels } from "../../ts/data/labels.js";
import { generateSynthetic, type SyntheticDataset } from "../../ts/data/synthetic.js";
import { testSeed } from "../support/random.js";
import { expectSameColumn, expectSameDataset } from "./dataset_assertions.js";

const shape = { numUsers: 2000, numItems: 1000, numRatings: 200_000 };

function counts(values: ArrayLike<number>, size: number): Float64Array {
  const result = new Float64Array(size);
  for (let k = 0; k < values.length; ++k) ++result[values[k]!]!;
  return result;
}

/** Test RMSE of global-mean and of user + item bias predictions fit on the first 80%. */
function biasBaseline(data: SyntheticDataset): { globalRmse: number; biasRmse: number } {
  const n = data.ratings.length;
  const cut = Math.floor(0.8 * n);
  let mean = 0;
  for (let r = 0; r < cut; ++r) mean += data.ratings[r]!;
  mean /= cut;
  // Alternate a few rounds of regularised user and item bias fits.
  const userBias = new Float64Array(data.numUsers);
  const itemBias = new Float64Array(data.numItems);
  for (let round = 0; round < 3; ++round) {
    for (const [bias, ids, other, otherIds] of [
      [userBias, data.users, itemBias, data.items], [itemBias, data.items, userBias, data.users],
    ] as const) {
      const sum = new Float64Array(bias.length);
      const count = new Float64Array(bias.length);
      for (let r = 0; r < cut; ++r) {
        sum[ids[r]!]! += data.ratings[r]! - mean - other[otherIds[r]!]!;
        ++count[ids[r]!]!;
      }
      for (let k = 0; k < bias.length; ++k) bias[k] = sum[k]! / (count[k]! + 5);
    }
  }
  let globalError = 0;
  let biasError = 0;
  for (let r = cut; r < n; ++r) {
    const rating = data.ratings[r]!;
    globalError += (rating - mean) ** 2;
    biasError += (rating - mean - userBias[data.users[r]!]! - itemBias[data.items[r]!]!) ** 2;
  }
  return { globalRmse: Math.sqrt(globalError / (n - cut)), biasRmse: Math.sqrt(biasError / (n - cut)) };
}

describe("generateSynthetic", () => {
  it("gives the same data set for the same seed and another for another seed", () => {
    const seed = testSeed("synthetic determinism");
    const a = generateSynthetic({ ...shape, numRatings: 20_000, seed });
    expectSameDataset(generateSynthetic({ ...shape, numRatings: 20_000, seed }), a);
    const b = generateSynthetic({ ...shape, numRatings: 20_000, seed: seed + 1 });
    expect(Array.from(b.users.subarray(0, 100))).not.toEqual(Array.from(a.users.subarray(0, 100)));
  });

  it("holds dense ids in first-appearance order, half-star ratings and non-decreasing integer times", () => {
    const data = generateSynthetic({ ...shape, startTime: 5e8, seed: testSeed("synthetic shape") });
    expect(data.users.length).toBe(shape.numRatings);
    expect(data.numUsers).toBeLessThanOrEqual(shape.numUsers);
    expect(data.numItems).toBeLessThanOrEqual(shape.numItems);
    // Per-element expect() is slow on 200k rows: find the first offender instead.
    let nextUser = 0;
    const outOfOrder = data.users.findIndex((u) => u > nextUser || (u === nextUser && ++nextUser < 0));
    expect(outOfOrder).toBe(-1);
    expect(nextUser).toBe(data.numUsers);
    expect(new Set(data.userIds).size).toBe(data.numUsers);
    expect(data.userIds.findIndex((id) => !(Number.isInteger(id) && id >= 1 && id <= shape.numUsers))).toBe(-1);
    expect(data.ratings.findIndex((rating) => !(rating >= 0.5 && rating <= 5 && Number.isInteger(rating * 2)))).toBe(-1);
    expect(data.timestamps[0]).toBe(5e8);
    expect(data.timestamps.findIndex((t, r) => !Number.isInteger(t) || (r > 0 && t < data.timestamps[r - 1]!))).toBe(-1);
  });

  it("draws users and items with Zipf frequencies: original id k about 1/k as often as id 1", () => {
    const data = generateSynthetic({ ...shape, zipfExponent: 1, seed: testSeed("synthetic zipf") });
    const byOriginal = new Float64Array(shape.numUsers + 1);
    const perDense = counts(data.users, data.numUsers);
    data.userIds.forEach((id, u) => { byOriginal[id] = perDense[u]!; });
    expect(byOriginal[1]! / byOriginal[2]!).toBeGreaterThan(1.8);
    expect(byOriginal[1]! / byOriginal[2]!).toBeLessThan(2.2);
    expect(byOriginal[1]! / byOriginal[10]!).toBeGreaterThan(8);
    expect(byOriginal[1]! / byOriginal[10]!).toBeLessThan(12);
    // Exponent 0 is uniform.
    const uniform = generateSynthetic({ ...shape, zipfExponent: 0, seed: 1 });
    const perItem = counts(uniform.items, uniform.numItems);
    expect(Math.max(...perItem) / Math.min(...perItem)).toBeLessThan(2);
  });

  it("gives ratings like MovieLens's whose labels carry signal a bias model can learn", () => {
    const data = generateSynthetic({ ...shape, seed: testSeed("synthetic signal") });
    let mean = 0;
    for (const rating of data.ratings) mean += rating / data.ratings.length;
    expect(mean).toBeGreaterThan(3.4);
    expect(mean).toBeLessThan(3.9);
    const positive = binaryLabels(data.ratings).reduce((sum, label) => sum + label, 0) / data.ratings.length;
    expect(positive).toBeGreaterThan(0.35);
    expect(positive).toBeLessThan(0.6);
    const classes = counts(fiveClassLabels(data.ratings), 5);
    for (const count of classes) expect(count / data.ratings.length).toBeGreaterThan(0.005);
    const { globalRmse, biasRmse } = biasBaseline(data);
    expect(biasRmse).toBeLessThan(0.93 * globalRmse);
  });

  it("adds Zipf-distributed categorical fields, with clicks that follow the preference", () => {
    const seed = testSeed("synthetic fields");
    const data = generateSynthetic({ ...shape, fieldCardinalities: [50, 200, 7], seed });
    const fields = data.fields!;
    expect(fields.numFields).toBe(3);
    expect(Array.from(fields.cardinalities)).toEqual([50, 200, 7]);
    expect(fields.values.length).toBe(3 * shape.numRatings);
    const perValue = [0, 1, 2].map((f) => counts(fields.values.filter((_, k) => k % 3 === f), fields.cardinalities[f]!));
    perValue.forEach((c) => expect(c[0]).toBe(Math.max(...c)));
    const clickRate = fields.clicks.reduce((sum, c) => sum + c, 0) / shape.numRatings;
    expect(clickRate).toBeGreaterThan(0.1);
    expect(clickRate).toBeLessThan(0.6);

    // Clicks follow the preference: more of them on highly rated rows.
    const rateWhere = (keep: (r: number) => boolean) => {
      let clicks = 0;
      let rows = 0;
      for (let r = 0; r < shape.numRatings; ++r) if (keep(r)) { clicks += fields.clicks[r]!; ++rows; }
      return clicks / rows;
    };
    expect(rateWhere((r) => data.ratings[r]! >= 4.5)).toBeGreaterThan(rateWhere((r) => data.ratings[r]! <= 2.5) + 0.1);

    // The ratings do not depend on whether fields are drawn.
    const plain = generateSynthetic({ ...shape, seed });
    expect(plain.fields).toBeUndefined();
    expectSameColumn("ratings", data.ratings, plain.ratings);
    expectSameColumn("users", data.users, plain.users);
  });

  it("makes clicks depend on a field's value (a statistical check, so on a fixed seed)", () => {
    // Per-value click rates fit on the first half predict the second half's clicks better than
    // the overall rate. Over seeds 0..39 the ratio of log losses is 0.89..0.98.
    const numRatings = 200_000;
    const { fields } = generateSynthetic({ ...shape, numRatings, fieldCardinalities: [20], seed: 0 });
    const { values, clicks } = fields!;
    const half = numRatings / 2;
    const hits = new Float64Array(20);
    const seen = new Float64Array(20);
    for (let r = 0; r < half; ++r) {
      hits[values[r]!]! += clicks[r]!;
      ++seen[values[r]!]!;
    }
    const base = hits.reduce((a, b) => a + b, 0) / half;
    let constantLoss = 0;
    let fieldLoss = 0;
    for (let r = half; r < numRatings; ++r) {
      const p = (hits[values[r]!]! + 10 * base) / (seen[values[r]!]! + 10);
      const y = clicks[r]!;
      constantLoss -= y * Math.log(base) + (1 - y) * Math.log(1 - base);
      fieldLoss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    }
    expect(fieldLoss).toBeLessThan(0.98 * constantLoss);
  });

  it("gives numFields fields of default cardinalities 10, 100, 1000, 10000, 10, …", () => {
    const data = generateSynthetic({ numUsers: 10, numItems: 10, numRatings: 100, numFields: 5 });
    expect(Array.from(data.fields!.cardinalities)).toEqual([10, 100, 1000, 10000, 10]);
  });

  it("handles zero ratings", () => {
    const data = generateSynthetic({ numUsers: 10, numItems: 10, numRatings: 0 });
    expect([data.users.length, data.numUsers, data.numItems]).toEqual([0, 0, 0]);
  });

  it("rejects bad options, naming them", () => {
    expect(() => generateSynthetic({ ...shape, numUsers: 0 })).toThrow(/^numUsers must be .*, got 0$/);
    expect(() => generateSynthetic({ ...shape, numRatings: 1.5 })).toThrow("numRatings must be an integer, got 1.5");
    expect(() => generateSynthetic({ ...shape, rank: 0 })).toThrow(/^rank must be .*, got 0$/);
    expect(() => generateSynthetic({ ...shape, zipfExponent: -1 })).toThrow(/^zipfExponent must be .*, got -1$/);
    expect(() => generateSynthetic({ ...shape, numFields: 2, fieldCardinalities: [3] })).toThrow("numFields = 2 but fieldCardinalities has 1");
    expect(() => generateSynthetic({ ...shape, fieldCardinalities: [3, 0] })).toThrow("fieldCardinalities[1] must be in [1, 2147483647], got 0");
    expect(() => generateSynthetic(undefined as unknown as typeof shape)).toThrow(TypeError);
  });
});
