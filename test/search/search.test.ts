import { describe, expect, it } from "vitest";
import { generateSynthetic } from "mixdim";
import { constrainPlanToBudget, resolveBudget } from "../../ts/search/budget.js";
import { search } from "../../ts/search/search.js";

const data = generateSynthetic({ numUsers: 150, numItems: 90, numRatings: 6000, seed: 2 });

describe("search()", () => {
  it("FIXED gives every id the largest candidate, trains it and reports metrics", async () => {
    const progress: string[] = [];
    const result = await search({ method: "fixed", data, seed: 1, onProgress: (p) => progress.push(p.phase) });
    expect(result.plan.tables.users!.every((d) => d === 128)).toBe(true);
    expect(result.ratio).toBe(1);
    expect(result.bytes).toBe((150 + 90) * 128 * 4);
    expect(result.metrics.testAccuracy).toBeGreaterThan(0);
    expect(progress).toContain("plan");
  });

  it("FIXED under a budget takes the largest integer size that fits, candidate or not", async () => {
    // A quarter of every id at 128 is every id at 32, which {2, 4, 8, 16, 64, 128} does not hold.
    const quarter = await search({ method: "fixed", data, budget: { ratio: 0.25 }, seed: 1 });
    for (const sizes of Object.values(quarter.plan.tables)) expect(sizes.every((d) => d === 32)).toBe(true);
    expect(quarter.bytes).toBe(quarter.budgetBytes);
    expect(quarter.ratio).toBe(0.25);
    // 0.3 of 128 is 38.4 floats per id: 38 fits, 39 does not.
    const result = await search({ method: "fixed", data, budget: { ratio: 0.3 }, seed: 1 });
    expect(result.plan.tables.items!.every((d) => d === 38)).toBe(true);
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.bytes + (150 + 90) * 4).toBeGreaterThan(result.budgetBytes!);
    // One float per id, below the smallest candidate (2): FIXED at size 1, which no other method can reach.
    const one = await search({ method: "fixed", data, budget: { ratio: 1 / 128 }, seed: 1 });
    for (const sizes of Object.values(one.plan.tables)) expect(sizes.every((d) => d === 1)).toBe(true);
    await expect(search({ method: "mde", data, budget: { ratio: 1 / 128 }, seed: 1 })).rejects.toThrow(/cannot be met/);
  });

  it("runs CTR search on ratings with user and item as the fields and a rating above 3.5 as the click", async () => {
    const result = await search({ method: "fixed", data, task: "ctr", candidates: [4, 8], seed: 1 });
    expect(Object.keys(result.plan.tables)).toEqual(["field0", "field1"]);
    expect(result.plan.tables.field0!.length).toBe(data.numUsers);
    expect(result.plan.tables.field1!.length).toBe(data.numItems);
    expect(result.metrics.testAuc).toBeGreaterThan(0.5);
  });

  it("rejects an impossible budget, an unknown method and a task the method cannot take", async () => {
    await expect(search({ method: "fixed", data, budget: { bytes: 100 } })).rejects.toThrow(/cannot be met: every id at the smallest size \(1\)/);
    await expect(search({ method: "mde", data, budget: { bytes: 100 } })).rejects.toThrow(/cannot be met: every id at the smallest candidate \(2\)/);
    await expect(search({ method: "dart" as "darts", data })).rejects.toThrow(TypeError);
    await expect(search({ method: "fixed", data, candidates: [4, 2] })).rejects.toThrow(/strictly increasing/);
  });
});

describe("budget accounting", () => {
  it("resolves ratios and bytes, and refuses budgets below every id at d_min", () => {
    expect(resolveBudget({ ratio: 0.5 }, { users: 10, items: 10 }, [2, 8])).toBe(20 * 8 * 4 * 0.5);
    expect(resolveBudget({ bytes: 200 }, { users: 10, items: 10 }, [2, 8])).toBe(200);
    expect(() => resolveBudget({ bytes: 159 }, { users: 10, items: 10 }, [2, 8])).toThrow(RangeError);
    expect(resolveBudget(undefined, { users: 1 }, [2])).toBeUndefined();
  });

  it("steps the least frequent ids down first until the plan fits", () => {
    // users: sizes [8, 8, 8] = 96 bytes; frequencies [5, 1, 3]; budget 72 bytes = 18 floats.
    const plan = { candidates: [2, 4, 8], tables: { users: Int32Array.from([8, 8, 8]) } };
    const constrained = constrainPlanToBudget(plan, 72, { users: [5, 1, 3] });
    // One pass steps user 1 (8→4), then user 2 (8→4): 8 + 4 + 4 = 16 floats = 64 bytes ≤ 72 — but it stops as soon as
    // it fits: after user 1 the plan holds 20 floats (80 bytes), after user 2, 16 floats.
    expect(Array.from(constrained.tables.users!)).toEqual([8, 4, 4]);
    expect(Array.from(plan.tables.users)).toEqual([8, 8, 8]);
  });
});
