import { describe, expect, it } from "vitest";

import type { RatingsDataset } from "../../ts/data/dataset.js";
import { scallSegments } from "../../ts/data/scall_segments.js";
import { randomInt, rng, testSeed } from "../support/random.js";

/** A data set of (user, item) pairs, at the given times (default: in row order). */
function interactions(pairs: Array<[number, number]>, times?: number[]): RatingsDataset {
  const users = Int32Array.from(pairs, ([u]) => u);
  const items = Int32Array.from(pairs, ([, i]) => i);
  const numUsers = Math.max(-1, ...users) + 1;
  const numItems = Math.max(-1, ...items) + 1;
  return {
    users, items,
    ratings: new Float32Array(pairs.length).fill(1),
    timestamps: Float64Array.from(times ?? pairs.map((_, r) => r)),
    numUsers, numItems,
    userIds: Float64Array.from({ length: numUsers }, (_, u) => u),
    itemIds: Float64Array.from({ length: numItems }, (_, i) => i),
  };
}

/** Reference cuts: sets of seen ids, as the reference code keeps them, with methods.md's rule. */
function referenceCuts(dataset: RatingsDataset, order: Int32Array, threshold: number): number[] {
  const seenUsers = new Set<number>();
  const seenItems = new Set<number>();
  const starts = [0];
  let count = 0;
  order.forEach((r, p) => {
    const add = (seenUsers.has(dataset.users[r]!) ? 0 : 1) + (seenItems.has(dataset.items[r]!) ? 0 : 1);
    if (add > 0 && count + add > threshold && p > starts[starts.length - 1]!) {
      starts.push(p);
      count = 0;
    }
    count += add;
    seenUsers.add(dataset.users[r]!);
    seenItems.add(dataset.items[r]!);
  });
  return starts;
}

describe("scallSegments: cuts", () => {
  // New entities per row: 2, 1 | 1, 0, 2 | 1, 0 with threshold 3.
  const pairs: Array<[number, number]> = [[0, 0], [0, 1], [1, 1], [1, 0], [2, 2], [2, 3], [0, 0]];

  it("starts a segment at the row that would take its new users + new items past the threshold", () => {
    const { segments } = scallSegments(interactions(pairs), { newEntityThreshold: 3 });
    expect(segments.map((s) => [s.start, s.end])).toEqual([[0, 2], [2, 5], [5, 7]]);
    expect(segments.map((s) => [s.newUsers, s.newItems])).toEqual([[1, 2], [2, 1], [0, 1]]);
    expect(segments.map((s) => Array.from(s.rows))).toEqual([[0, 1], [2, 3, 4], [5, 6]]);
    expect(segments.map((s) => s.t)).toEqual([0, 1, 2]);
  });

  it("cuts in time order, not file order, and gives rows as data set indices", () => {
    // The same stream stored back to front.
    const reversed = pairs.slice().reverse();
    const times = pairs.map((_, r) => r).reverse();
    const { order, segments } = scallSegments(interactions(reversed, times), { newEntityThreshold: 3 });
    expect(Array.from(order)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(segments.map((s) => Array.from(s.rows))).toEqual([[6, 5], [4, 3, 2], [1, 0]]);
    expect(Array.from(segments[2]!.history)).toEqual([6, 5, 4, 3, 2]);
  });

  it("keeps a first row that alone exceeds the threshold in a segment of its own making", () => {
    const { segments } = scallSegments(interactions([[0, 0], [1, 1], [0, 0]]), { newEntityThreshold: 1 });
    expect(segments.map((s) => [s.start, s.end])).toEqual([[0, 1], [1, 3]]);
  });

  it("makes one segment when the threshold is never passed, and none for no rows", () => {
    const { segments } = scallSegments(interactions(pairs));
    expect(segments.length).toBe(1);
    expect(segments[0]!.replay.length).toBe(0);
    expect(scallSegments(interactions([])).segments).toEqual([]);
  });

  it("matches a set-based reference on random streams", () => {
    const random = rng(testSeed("scall cuts"));
    for (let trial = 0; trial < 20; ++trial) {
      const n = randomInt(random, 1, 400);
      const pairsOfTrial = Array.from({ length: n }, (): [number, number] => [randomInt(random, 0, 50), randomInt(random, 0, 80)]);
      const times = pairsOfTrial.map(() => randomInt(random, 0, 100));
      const dataset = interactions(pairsOfTrial, times);
      const threshold = randomInt(random, 1, 30);
      const { order, segments } = scallSegments(dataset, { newEntityThreshold: threshold });
      expect(segments.map((s) => s.start)).toEqual(referenceCuts(dataset, order, threshold));
      expect(segments.reduce((sum, s) => sum + s.newUsers, 0)).toBe(new Set(dataset.users).size);
      expect(segments.reduce((sum, s) => sum + s.newItems, 0)).toBe(new Set(dataset.items).size);
    }
  });
});

describe("scallSegments: replay and per-segment splits", () => {
  // Segment 0: rows 0..9 over users 0..4; segment 1: rows 10..19 over users 0, 1 and new items.
  const pairs: Array<[number, number]> = [
    ...Array.from({ length: 10 }, (_, r): [number, number] => [r % 5, r]),
    ...Array.from({ length: 10 }, (_, r): [number, number] => [r % 2, 100 + r]),
  ];
  const dataset = interactions(pairs);

  it("replays earlier rows of users active in D_t only, at most floor(fraction · |D_t|), in time order", () => {
    const { segments } = scallSegments(dataset, { newEntityThreshold: 15, reservoirFraction: 0.3 });
    expect(segments.map((s) => [s.start, s.end])).toEqual([[0, 10], [10, 20]]);
    const replay = Array.from(segments[1]!.replay);
    expect(replay.length).toBe(3);
    for (const r of replay) expect([0, 1, 5, 6]).toContain(r);  // users 0 and 1 in segment 0
    expect(replay).toEqual(replay.slice().sort((a, b) => a - b));
  });

  it("replays every eligible row when they fit", () => {
    const { segments } = scallSegments(dataset, { newEntityThreshold: 15, reservoirFraction: 1 });
    expect(Array.from(segments[1]!.replay)).toEqual([0, 1, 5, 6]);
  });

  it("draws the replay the same for the same seed, and uniformly over seeds", () => {
    const options = { newEntityThreshold: 15, reservoirFraction: 0.2 };
    const draw = (seed: number) => Array.from(scallSegments(dataset, { ...options, seed }).segments[1]!.replay);
    expect(draw(7)).toEqual(draw(7));
    const counts = new Map<number, number>();
    const trials = 2000;
    for (let seed = 0; seed < trials; ++seed) for (const r of draw(seed)) counts.set(r, (counts.get(r) ?? 0) + 1);
    // Each of the 4 eligible rows is in a sample of 2 with probability 1/2.
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 5, 6]);
    for (const count of counts.values()) expect(Math.abs(count / trials - 0.5)).toBeLessThan(0.05);
  });

  it("cuts replay ⊕ D_t into train, validation and test at round(0.8 · |C_t|) and its validation tail", () => {
    const { segments } = scallSegments(dataset, {
      newEntityThreshold: 15, reservoirFraction: 0.2, trainFraction: 0.8, validationFraction: 0.25,
    });
    // Segment 0: |C_0| = 10 → head 8 → validation round(2) = 2, train 6, test 2.
    const first = segments[0]!;
    expect(Array.from(first.train)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(first.validation)).toEqual([6, 7]);
    expect(Array.from(first.test)).toEqual([8, 9]);
    // Segment 1: |C_1| = 2 + 10 = 12 → head round(9.6) = 10 → validation round(2.5) = 3 (half away from 0), train 7, test 2.
    const second = segments[1]!;
    const current = [...Array.from(second.replay), ...Array.from(second.rows)];
    expect([second.train.length, second.validation.length, second.test.length]).toEqual([7, 3, 2]);
    expect([...Array.from(second.train), ...Array.from(second.validation), ...Array.from(second.test)]).toEqual(current);
    expect(Array.from(second.test)).toEqual([18, 19]);
    expect(Array.from(second.history)).toEqual(Array.from({ length: 10 }, (_, r) => r));
  });

  it("with validationFraction 0 the head is the reference's training set", () => {
    const { segments } = scallSegments(dataset, { newEntityThreshold: 15, validationFraction: 0 });
    expect(segments[0]!.validation.length).toBe(0);
    expect(segments[0]!.train.length).toBe(8);
  });

  it("rejects bad options, naming them", () => {
    expect(() => scallSegments(dataset, { newEntityThreshold: 0 })).toThrow(/^newEntityThreshold must be .*, got 0$/);
    expect(() => scallSegments(dataset, { reservoirFraction: -0.1 })).toThrow(/^reservoirFraction must be .*, got -0\.1$/);
    expect(() => scallSegments(dataset, { trainFraction: 2 })).toThrow(/^trainFraction must be .*, got 2$/);
    expect(() => scallSegments(dataset, { validationFraction: Number.NaN })).toThrow(/^validationFraction must be .*, got NaN$/);
  });
});
