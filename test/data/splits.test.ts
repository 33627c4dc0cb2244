import { describe, expect, it } from "vitest";

import type { RatingsDataset } from "../../ts/data/dataset.js";
import { ctrSplit, prequentialBatches, streamSplit } from "../../ts/data/splits.js";
import { sortByTime, timeOrder } from "../../ts/data/time_order.js";
import { randomInt, rng, testSeed } from "../support/random.js";
import { expectSameColumn } from "./dataset_assertions.js";

/** A data set over the given times, with user r % 7 and item r % 5 (dense ids by first appearance). */
function datasetWithTimes(timestamps: number[]): RatingsDataset {
  const n = timestamps.length;
  return {
    users: Int32Array.from({ length: n }, (_, r) => r % 7),
    items: Int32Array.from({ length: n }, (_, r) => r % 5),
    ratings: Float32Array.from({ length: n }, (_, r) => 1 + (r % 5)),
    timestamps: Float64Array.from(timestamps),
    numUsers: Math.min(n, 7),
    numItems: Math.min(n, 5),
    userIds: Float64Array.from({ length: Math.min(n, 7) }, (_, u) => 100 + u),
    itemIds: Float64Array.from({ length: Math.min(n, 5) }, (_, i) => 200 + i),
  };
}

/** The reference: a stable comparator sort of the indices by time. */
function referenceOrder(timestamps: number[]): Int32Array {
  return Int32Array.from(Array.from(timestamps.keys()).sort((a, b) => timestamps[a]! - timestamps[b]! || a - b));
}

function isPermutation(values: Int32Array, n: number): boolean {
  const seen = new Uint8Array(n);
  for (const v of values) {
    if (v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return values.length === n;
}

describe("timeOrder", () => {
  it("sorts by time with ties in file order, for integer, wide-range and fractional times", () => {
    const random = rng(testSeed("timeOrder"));
    const cases: Array<() => number> = [
      () => randomInt(random, 9e8, 9e8 + 50),          // many ties, radix path
      () => randomInt(random, 0, 2 ** 31) * 2 ** 10,    // range ≥ 2^32: comparator path
      () => Math.floor(random() * 40) / 4,               // fractions: comparator path
      () => randomInt(random, -1e9, 1e9),                // negative times, radix path
      () => (random() < 0.5 ? randomInt(random, 0, 3) : 2 ** 32 - 1 - randomInt(random, 0, 3)), // radix's widest range
    ];
    for (const draw of cases) {
      const times = Array.from({ length: 5000 }, draw);
      expectSameColumn("order", timeOrder(Float64Array.from(times)), referenceOrder(times));
    }
  });

  it("returns the identity for rows already in time order, and handles none", () => {
    expect(Array.from(timeOrder(Float64Array.from([1, 1, 2, 5])))).toEqual([0, 1, 2, 3]);
    expect(timeOrder(new Float64Array(0)).length).toBe(0);
  });
});

describe("sortByTime", () => {
  it("puts rows in time order and renumbers ids by first appearance in it, keeping original ids", () => {
    const dataset = datasetWithTimes([30, 10, 20, 10]);
    const sorted = sortByTime(dataset);
    // Time order is rows 1, 3, 2, 0, whose users are 1, 3, 2, 0 and items 1, 3, 2, 0.
    expect(Array.from(sorted.users)).toEqual([0, 1, 2, 3]);
    expect(Array.from(sorted.userIds)).toEqual([101, 103, 102, 100]);
    expect(Array.from(sorted.itemIds)).toEqual([201, 203, 202, 200]);
    expect(Array.from(sorted.timestamps)).toEqual([10, 10, 20, 30]);
    expect(Array.from(sorted.ratings)).toEqual([2, 4, 3, 1]);
  });

  it("returns a data set already in that form as is", () => {
    const dataset = datasetWithTimes([1, 2, 3]);
    expect(sortByTime(dataset)).toBe(dataset);
  });
});

describe("streamSplit", () => {
  it("time order: train is the earliest round(f · n) rows, test the rest, ties in file order", () => {
    const times = [5, 3, 3, 9, 1, 7, 3, 2, 8, 0];
    const { order, train, test } = streamSplit(datasetWithTimes(times), { trainFraction: 0.75 });
    expect(Array.from(order)).toEqual(Array.from(referenceOrder(times)));
    expect(Array.from(train)).toEqual([9, 4, 7, 1, 2, 6, 0, 5]); // round(7.5) = 8
    expect(Array.from(test)).toEqual([8, 3]);
  });

  it("testFraction takes the next part after the training head only", () => {
    const { train, test } = streamSplit(datasetWithTimes(Array.from({ length: 20 }, (_, r) => r)), {
      trainFraction: 0.5, testFraction: 0.25,
    });
    expect(Array.from(train)).toEqual(Array.from({ length: 10 }, (_, r) => r));
    expect(Array.from(test)).toEqual([10, 11, 12, 13, 14]);
  });

  it("shuffle: a seeded permutation, the same for the same seed and different for another", () => {
    const dataset = datasetWithTimes(Array.from({ length: 1000 }, (_, r) => r));
    const a = streamSplit(dataset, { order: "shuffle", seed: 3, trainFraction: 0.8 });
    const b = streamSplit(dataset, { order: "shuffle", seed: 3, trainFraction: 0.8 });
    const c = streamSplit(dataset, { order: "shuffle", seed: 4, trainFraction: 0.8 });
    expect(isPermutation(a.order, 1000)).toBe(true);
    expect(Array.from(a.order)).toEqual(Array.from(b.order));
    expect(Array.from(a.order)).not.toEqual(Array.from(c.order));
    expect([a.train.length, a.test.length]).toEqual([800, 200]);
    expect(Array.from(a.order.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, r) => r));
  });

  it("handles fractions 0 and 1", () => {
    const dataset = datasetWithTimes([3, 2, 1]);
    expect(streamSplit(dataset, { trainFraction: 0 }).test.length).toBe(3);
    expect(streamSplit(dataset, { trainFraction: 1 }).train.length).toBe(3);
  });

  it("rejects bad options, naming them", () => {
    const dataset = datasetWithTimes([1, 2]);
    expect(() => streamSplit(dataset, { trainFraction: 1.5 })).toThrow("trainFraction must be in [0, 1], got 1.5");
    expect(() => streamSplit(dataset, { trainFraction: 0.8, testFraction: 0.5 })).toThrow("must be at most 1");
    expect(() => streamSplit(dataset, { order: "random" as "time" })).toThrow('order must be one of "time", "shuffle"');
    expect(() => streamSplit(dataset, { seed: 0.5 })).toThrow("seed must be an integer, got 0.5");
  });
});

describe("prequentialBatches", () => {
  it("yields consecutive views of batchSize, the last one shorter", () => {
    const indices = Int32Array.from({ length: 11 }, (_, k) => 100 + k);
    const batches = Array.from(prequentialBatches(indices, 4), (batch) => Array.from(batch));
    expect(batches).toEqual([[100, 101, 102, 103], [104, 105, 106, 107], [108, 109, 110]]);
    expect(Array.from(prequentialBatches(new Int32Array(0), 4))).toEqual([]);
    const first = prequentialBatches(indices, 4).next().value!;
    expect(first.buffer).toBe(indices.buffer);
  });

  it("rejects a batch size below 1", () => {
    expect(() => prequentialBatches(new Int32Array(3), 0)).toThrow("batchSize must be in [1, 2147483647], got 0");
    expect(() => prequentialBatches([1, 2] as unknown as Int32Array, 1)).toThrow("indices must be an Int32Array");
  });
});

describe("ctrSplit", () => {
  it("cuts a seeded permutation at round(train · n) and round((train + validation) · n)", () => {
    const { train, validation, test } = ctrSplit(1001, { train: 0.7, validation: 0.1, test: 0.2, seed: 9 });
    expect([train.length, validation.length, test.length]).toEqual([701, 100, 200]);
    const all = new Int32Array(1001);
    all.set(train);
    all.set(validation, 701);
    all.set(test, 801);
    expect(isPermutation(all, 1001)).toBe(true);
    expect(Array.from(ctrSplit(1001, { train: 0.7, validation: 0.1, test: 0.2, seed: 9 }).test)).toEqual(Array.from(test));
  });

  it("keeps row order when shuffle is false, and may leave rows out when fractions sum below 1", () => {
    const { train, validation, test } = ctrSplit(10, { train: 0.5, validation: 0.2, test: 0.2, shuffle: false });
    expect(Array.from(train)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(validation)).toEqual([5, 6]);
    expect(Array.from(test)).toEqual([7, 8]);
    expect(ctrSplit(0).train.length).toBe(0);
  });

  it("rejects fractions that sum above 1", () => {
    expect(() => ctrSplit(10, { train: 0.9, validation: 0.1, test: 0.1 })).toThrow("train + validation + test");
    expect(() => ctrSplit(-1)).toThrow(/^n must be .*, got -1$/);
  });
});
