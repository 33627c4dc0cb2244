import { describe, expect, it } from "vitest";

import { generateSynthetic, reportRun, search } from "mixdim";

const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 3000, seed: 5 });

function counts(ids: Int32Array, n: number): Int32Array {
  const result = new Int32Array(n);
  for (const id of ids) result[id]! += 1;
  return result;
}

describe("reportRun", () => {
  it("takes the plan, history and metrics of a search and counts each id's frequency in its data", async () => {
    const result = await search({ method: "fixed", data, budget: { ratio: 0.5 }, seed: 1 });
    const run = reportRun(result, data);
    expect(run.label).toBe("FIXED");
    expect(run.method).toBe("fixed");
    expect(run.plan).toBe(result.plan);
    expect(run.history).toBe(result.history);
    expect(run.metrics).toBe(result.metrics);
    expect([run.bytes, run.ratio]).toEqual([result.bytes, result.ratio]);
    expect(run.frequencies).toEqual({ users: counts(data.users, data.numUsers), items: counts(data.items, data.numItems) });
    expect(reportRun(result, data, "FIXED, seed 1").label).toBe("FIXED, seed 1");
  });

  it("counts fields for a CTR search over ratings without fields, as search() does", async () => {
    const { fields: _, ...ratings } = data;
    const result = await search({ method: "fixed", data: ratings, task: "ctr", budget: { ratio: 0.5 }, seed: 1,
                                  settings: { retrainEpochs: 1 } });
    const run = reportRun(result, ratings);
    expect(Object.keys(run.frequencies!)).toEqual(["field0", "field1"]);
    expect(run.frequencies!.field1).toEqual(counts(data.items, data.numItems));
  });

  it("refuses data other than the data searched on", async () => {
    const result = await search({ method: "fixed", data, seed: 1 });
    const other = generateSynthetic({ numUsers: 60, numItems: 80, numRatings: 3000, seed: 5 });
    expect(() => reportRun(result, other)).toThrow(RangeError);
    expect(() => reportRun(result, other)).toThrow(
      `data has ${other.numUsers} ids in table "users", but result.plan.tables.users has ${data.numUsers}: is data the dataset`);
    expect(() => reportRun(null as never, data)).toThrow(TypeError);
    expect(() => reportRun(result, {} as never)).toThrow(/^data must be the ratings dataset/);
  });
});
