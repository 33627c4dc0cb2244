/**
 * The loaders on the real MovieLens files in ../shared/data (beside the repository). The files
 * may not be redistributed, so they are not in the repository, and these tests skip without them.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { binaryLabels, fiveClassLabels } from "../../ts/data/labels.js";
import { loadRatings } from "../../ts/data/load_ratings.js";
import { scallSegments } from "../../ts/data/scall_segments.js";
import { streamSplit } from "../../ts/data/splits.js";
import { sortByTime } from "../../ts/data/time_order.js";

const repository = fileURLToPath(new URL("../..", import.meta.url));
const dataDirectory = resolve(repository, "../shared/data");
const ml100k = resolve(dataDirectory, "ml-100k/u.data");
const mlLatestSmall = resolve(dataDirectory, "ml-latest-small/ratings.csv");

function shares(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let k = 0; k < labels.length; ++k) ++counts[labels[k]!]!;
  return counts.map((count) => count / labels.length);
}

function distinct(values: Int32Array): number {
  return new Set(values).size;
}

describe.skipIf(!existsSync(ml100k))("real data: ml-100k u.data", () => {
  it("holds 100,000 ratings from 943 users on 1,682 items, on a 1..5 scale", async () => {
    const { dataset, skippedLines } = await loadRatings(ml100k);
    expect(skippedLines).toBe(0);
    expect(dataset.ratings.length).toBe(100_000);
    expect([dataset.numUsers, dataset.numItems]).toEqual([943, 1682]);
    expect([distinct(dataset.users), distinct(dataset.items)]).toEqual([943, 1682]);
    // The first line is "196 242 3 881250949": both become id 0.
    expect([dataset.userIds[0], dataset.itemIds[0], dataset.ratings[0], dataset.timestamps[0]]).toEqual([196, 242, 3, 881250949]);
    expect([...new Set(dataset.ratings)].sort()).toEqual([1, 2, 3, 4, 5]);
    // Original ids are 1..943 and 1..1682.
    expect(Math.max(...dataset.userIds)).toBe(943);
    expect(Math.max(...dataset.itemIds)).toBe(1682);
  });

  it("gives sane label distributions: 55% positive, and 5 classes of 6/11/27/34/21%", async () => {
    const { dataset } = await loadRatings(ml100k);
    const positive = binaryLabels(dataset.ratings).reduce((sum, label) => sum + label, 0) / dataset.ratings.length;
    expect(positive).toBeCloseTo(0.5537, 3); // 4 and 5 stars: 34,174 + 21,201
    const classes = shares(fiveClassLabels(dataset.ratings), 5);
    expect(classes.map((share) => Math.round(share * 1000) / 1000)).toEqual([0.061, 0.114, 0.271, 0.342, 0.212]);
  });
});

describe.skipIf(!existsSync(mlLatestSmall))("real data: ml-latest-small ratings.csv", () => {
  // The README's 9,742 movies are those of movies.csv; 18 of them are tagged but never rated,
  // so ratings.csv (checked with `cut -d, -f2 | sort -u`) holds 9,724.
  it("holds 100,836 ratings from 610 users on 9,724 of the 9,742 movies, in half stars", async () => {
    const { dataset, skippedLines } = await loadRatings(mlLatestSmall);
    expect(skippedLines).toBe(0);
    expect(dataset.ratings.length).toBe(100_836);
    expect([dataset.numUsers, dataset.numItems]).toEqual([610, 9724]);
    expect([...new Set(dataset.ratings)].sort()).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect([dataset.userIds[0], dataset.itemIds[0], dataset.ratings[0], dataset.timestamps[0]]).toEqual([1, 1, 4, 964982703]);
  });

  it("gives sane label distributions, half stars falling in the classes of their whole star", async () => {
    const { dataset } = await loadRatings(mlLatestSmall);
    const n = dataset.ratings.length;
    const positive = binaryLabels(dataset.ratings).reduce((sum, label) => sum + label, 0) / n;
    expect(positive).toBeGreaterThan(0.45);
    expect(positive).toBeLessThan(0.5);
    const classes = shares(fiveClassLabels(dataset.ratings), 5);
    for (const share of classes) expect(share).toBeGreaterThan(0.03);
    expect(classes.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Class k holds exactly the ratings k + 0.5 and k + 1.
    const labels = fiveClassLabels(dataset.ratings);
    for (let r = 0; r < n; ++r) {
      const k = labels[r]!;
      if (dataset.ratings[r] !== k + 0.5 && dataset.ratings[r] !== k + 1) expect(`row ${r}: ${dataset.ratings[r]} → ${k}`).toBe("");
    }
  });

  it("splits into a time-ordered stream and SCALL segments", async () => {
    const { dataset } = await loadRatings(mlLatestSmall);
    const { train, test } = streamSplit(dataset, { trainFraction: 0.75 });
    expect(train.length + test.length).toBe(100_836);
    expect(dataset.timestamps[train[train.length - 1]!]!).toBeLessThanOrEqual(dataset.timestamps[test[0]!]!);
    const sorted = sortByTime(dataset);
    const { segments } = scallSegments(sorted, { newEntityThreshold: 2000 });
    expect(segments.length).toBeGreaterThan(3);
    expect(segments.reduce((sum, s) => sum + s.newUsers + s.newItems, 0)).toBe(610 + 9724);
    for (const segment of segments.slice(1)) {
      expect(segment.replay.length).toBeLessThanOrEqual(Math.floor(0.2 * segment.rows.length));
    }
  });
});
