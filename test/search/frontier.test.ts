/**
 * runFrontier: FIXED and each variant at every budget and seed through search(), so each point
 * is a budget-held plan's figures; means and spreads over seeds, and "beats FIXED" only beyond
 * the spread.
 */
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "mixdim";
import { beatingFixed, runFrontier, spread, type FrontierPoint } from "../../ts/search/frontier.js";
import { search } from "../../ts/search/search.js";

const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 2500, seed: 4 });

describe("runFrontier", () => {
  it("runs FIXED and each variant at every budget and seed, each point the mean of search()'s budget-held plans", async () => {
    const progress: number[] = [];
    const frontier = await runFrontier({ data, variants: [{ method: "mde" }], budgets: [1 / 32, 1 / 8], seeds: [1, 2],
                                         onProgress: (p) => progress.push(p.done) });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(frontier.task).toBe("binary");
    expect(frontier.primary).toEqual({ name: "testAccuracy", higherIsBetter: true });
    expect(frontier.budgets.map((b) => b.budgetBytes)).toEqual([1 / 32, 1 / 8].map((r) => Math.floor(r * (data.numUsers + data.numItems) * 128 * 4)));
    for (const budget of frontier.budgets) {
      expect(budget.points.map((p) => p.label)).toEqual(["FIXED", "MDE"]);
      for (const point of budget.points) {
        expect(point.bytes).toBeLessThanOrEqual(budget.budgetBytes);
        expect(point.metrics.testAccuracy!.values).toHaveLength(2);
      }
    }
    // FIXED at 1/8 and seed 2, run on its own: the same plan and the same accuracy.
    const alone = await search({ method: "fixed", data, seed: 2, budget: { bytes: frontier.budgets[1]!.budgetBytes } });
    const fixed = frontier.budgets[1]!.points[0]!;
    expect(fixed.bytes).toBe(alone.bytes);
    expect(fixed.metrics.testAccuracy!.values[1]).toBe(alone.metrics.testAccuracy);
  });

  it("takes the mean and the sample standard deviation over seeds", () => {
    expect(spread([1, 2, 3])).toEqual({ mean: 2, std: 1, values: [1, 2, 3] });
    expect(spread([0.5])).toEqual({ mean: 0.5, std: 0, values: [0.5] });
  });

  it("counts a variant as beating FIXED only when the gap exceeds both spreads together", () => {
    const point = (label: string, mean: number, std: number): FrontierPoint =>
      ({ label, method: label === "FIXED" ? "fixed" : "mde", bytes: 100, peakSearchBytes: 100,
         metrics: { testAccuracy: { mean, std, values: [] }, testLoss: { mean: -mean, std, values: [] } } });
    const points = [point("FIXED", 0.70, 0.01), point("A", 0.73, 0.01), point("B", 0.715, 0.01), point("C", 0.65, 0.0)];
    expect(beatingFixed(points, "testAccuracy", true)).toEqual(["A"]);
    // Lower is better: A's "loss" (−0.73) is below FIXED's (−0.70) by more than 0.02; C's (−0.65) is above it.
    expect(beatingFixed(points, "testLoss", false)).toEqual(["A"]);
  });

  it("rejects bad budgets, variants and labels with errors naming them", async () => {
    await expect(runFrontier({ data, variants: [], budgets: [0] })).rejects.toThrow(/budgets\[0\]/);
    await expect(runFrontier({ data, variants: "mde" as never })).rejects.toThrow(TypeError);
    await expect(runFrontier({ data, variants: [{ method: "mde" }, { method: "mde" }] })).rejects.toThrow(/distinct labels, "MDE"/);
    await expect(runFrontier({ data: {} as never, variants: [] })).rejects.toThrow(/data must be a ratings dataset/);
  });
});
