/**
 * SCALL's variants for comparing learned against not-learned sizes at equal bytes: the stream's
 * order (settings.order: by time or one seeded permutation), on small seeded synthetic streams.
 */
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "../../ts/data/synthetic.js";
import { scallSegments } from "../../ts/data/scall_segments.js";
import { streamSplit } from "../../ts/data/splits.js";
import type { RatingsDataset } from "../../ts/data/dataset.js";
import { search } from "../../ts/search/search.js";
import { renumberedStream, type StreamData } from "../../ts/search/scall/stream.js";
import { testSeed } from "../support/random.js";

const seed = testSeed("scall_policy") % 1000;

const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 3000, seed: 5 });
/** Small bounded settings, as test/search/scall.test.ts runs SCALL: seconds per search. */
const settings = {
  newEntityThreshold: 70, envSteps: 2, minEnvSteps: 1, envTrainSteps: 3, trainSteps: 6, evalEvery: 3,
  batchSize: 128, stateGroups: 8, hidden: 16, maxSegments: 3,
};

/** Each stream row as "user item rating" in the data set's own ids. */
function streamRatings(stream: StreamData): string[] {
  const { users, items, ratings } = stream.dataset;
  return Array.from(users, (u, k) => `${stream.userOf[u]!} ${stream.itemOf[items[k]!]!} ${ratings[k]!}`);
}

function datasetRatings(dataset: RatingsDataset, rows: Int32Array): string[] {
  return Array.from(rows, (r) => `${dataset.users[r]!} ${dataset.items[r]!} ${dataset.ratings[r]!}`);
}

describe("SCALL's stream order (settings.order)", () => {
  it("\"time\" keeps the rows in time order and \"shuffle\" puts the same ratings in streamSplit's permutation for the run's seed", () => {
    const byTime = streamRatings(renumberedStream(data, "time", seed));
    const shuffled = streamRatings(renumberedStream(data, "shuffle", seed));
    expect(byTime).toEqual(datasetRatings(data, streamSplit(data, { order: "time" }).order));
    expect(shuffled).toEqual(datasetRatings(data, streamSplit(data, { order: "shuffle", seed }).order));
    expect(shuffled).not.toEqual(byTime);
    expect([...shuffled].sort()).toEqual([...byTime].sort());
    expect(streamRatings(renumberedStream(data, "shuffle", seed + 1))).not.toEqual(shuffled);
  });

  it("\"shuffle\" cuts other segments than \"time\" from the same ratings, in the stream's order", () => {
    const cut = (order: "time" | "shuffle") => {
      const stream = renumberedStream(data, order, seed);
      const ratings = streamRatings(stream);
      const { order: rows, segments } = scallSegments(stream.dataset, { newEntityThreshold: 70, seed });
      // scallSegments sorts by time; the stream's clock is its position, so it keeps the stream's order.
      expect(Array.from(rows)).toEqual(Array.from(rows.keys()));
      return segments.map((segment) => Array.from(segment.rows, (r) => ratings[r]!));
    };
    const byTime = cut("time");
    const shuffled = cut("shuffle");
    expect(shuffled).not.toEqual(byTime);
    expect(shuffled.flat().sort()).toEqual(byTime.flat().sort());
  });

  it("runs through search() on a shuffled stream, and refuses an unknown order by name", async () => {
    const run = (order: string) => search({ method: "scall", data, budget: { ratio: 0.05 }, seed, settings: { ...settings, order } });
    const shuffled = await run("shuffle");
    const byTime = await run("time");
    expect(shuffled.bytes).toBeLessThanOrEqual(shuffled.budgetBytes!);
    expect(shuffled.searchMetrics.segments).toBeGreaterThan(0);
    expect(shuffled.searchMetrics).not.toEqual(byTime.searchMetrics);
    await expect(run("random")).rejects.toThrow(new RangeError('settings.order must be "time" or "shuffle", got "random"'));
  });
});
