/**
 * MDE: DLRM's md_solver against hand-computed values, the α bisection for a budget, frequency
 * bands, and the method through search() on synthetic CTR and rating data.
 */
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "mixdim";
import { planBytes } from "../../ts/plan/size_plan.js";
import { tableFrequencies } from "../../ts/search/plan_evaluation.js";
import { search } from "../../ts/search/search.js";
import { blockSizesToIds, frequencyBlocks } from "../../ts/search/mde/frequency_blocks.js";
import { mdBudgetDims, mdSolver, mdTableDims, roundHalfEven, snapToCandidates } from "../../ts/search/mde/md_solver.js";
import { MixedDimEmbedding } from "../../ts/modules/mixed_dim_embedding.js";
import { mdePlan, mdeSizes } from "../../ts/search/mde/mde.js";
import { rng, testSeed } from "../support/random.js";


describe("md_solver (DLRM's tricks/md_embedding_bag.py)", () => {
  it("anchors the smallest table at d0 and scales the others by n^−α, then rounds to powers of two", () => {
    // n = [10, 100, 1000], α = 0.5, d0 = 16: λ = 16·10^0.5 = 50.596;
    // d = [d0 = 16, round(50.596/10) = round(5.06) = 5, round(50.596/31.623) = round(1.6) = 2];
    // pow2: [16, 2^round(log2 5 = 2.32) = 4, 2^round(1) = 2].
    expect(Array.from(mdSolver([10, 100, 1000], { alpha: 0.5, d0: 16 }))).toEqual([16, 4, 2]);
    expect(Array.from(mdSolver([10, 100, 1000], { alpha: 0.5, d0: 16, roundDims: false }))).toEqual([16, 5, 2]);
  });

  it("undoes its sort: sizes come back in the caller's order", () => {
    // The same tables as above, given as [1000, 10, 100].
    expect(Array.from(mdSolver([1000, 10, 100], { alpha: 0.5, d0: 16 }))).toEqual([2, 16, 4]);
  });

  it("takes a parameter budget B instead of d0: λ = B/Σ n^(1−α), sizes clamped to at least 1", () => {
    // n = [10, 100, 1000], α = 0.5, B = 1000: Σ n^0.5 = 3.1623 + 10 + 31.623 = 44.785, λ = 22.329;
    // d = 22.329·[0.31623, 0.1, 0.031623] = [7.06 → 7, 2.23 → 2, 0.706 → clamp 1 → 1];
    // pow2: [2^round(2.807) = 8, 2, 1].
    expect(Array.from(mdSolver([10, 100, 1000], { alpha: 0.5, budget: 1000, roundDims: false }))).toEqual([7, 2, 1]);
    expect(Array.from(mdSolver([10, 100, 1000], { alpha: 0.5, budget: 1000 }))).toEqual([8, 2, 1]);
  });

  it("divides rows by the queries per inference k", () => {
    // n = [10, 100, 1000], k = [1, 10, 1] → n/k = [10, 10, 1000]; α = 0.5, d0 = 16: λ = 16·√10;
    // d = [16, λ/√10 = 16, λ/√1000 = 1.6 → 2].
    expect(Array.from(mdSolver([10, 100, 1000], { alpha: 0.5, d0: 16, queries: [1, 10, 1], roundDims: false }))).toEqual([16, 16, 2]);
  });

  it("rounds halves to even as torch.round does, and clamps below 1", () => {
    // n = [1, 2], α = 1, d0 = 5: λ = 5, d = [5, 5/2 = 2.5 → 2] (Math.round would give 3).
    expect(Array.from(mdSolver([1, 2], { alpha: 1, d0: 5, roundDims: false }))).toEqual([5, 2]);
    // n = [1, 10], α = 1, d0 = 2: d = [2, 0.2 → 1].
    expect(Array.from(mdSolver([1, 10], { alpha: 1, d0: 2 }))).toEqual([2, 1]);
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it("gives every table d0 at α = 0", () => {
    expect(Array.from(mdSolver([3, 70, 5000, 12], { alpha: 0, d0: 8 }))).toEqual([8, 8, 8, 8]);
  });

  it("snaps sizes to the largest candidate below them, or the smallest candidate", () => {
    expect(Array.from(snapToCandidates([1, 2, 3, 7, 8, 100], [2, 4, 8, 16]))).toEqual([2, 2, 2, 4, 8, 16]);
  });

  it("rejects bad input, naming the argument", () => {
    expect(() => mdSolver([10, 100], { alpha: 0.5 })).toThrow(/exactly one of d0 and budget/);
    expect(() => mdSolver([10, 100], { alpha: 0.5, d0: 4, budget: 10 })).toThrow(/exactly one of d0 and budget/);
    expect(() => mdSolver([10, 100], { alpha: 0.5, d0: 4, queries: [1] })).toThrow(/queries has 1 entries but rows has 2/);
    expect(() => mdSolver([10, 0], { alpha: 0.5, d0: 4 })).toThrow(/rows\[1\]/);
    expect(() => mdSolver([10, 100], { alpha: -0.1, d0: 4 })).toThrow(RangeError);
    expect(() => mdSolver([10, 100], { alpha: 0.5, d0: 0 })).toThrow(/d0/);
    expect(() => snapToCandidates([3], [4, 2])).toThrow(/strictly increasing/);
    expect(() => mdBudgetDims([{ rows: [10, 100] }], { budget: 219, candidates: [2, 4] })).toThrow(/cannot be met/);
    expect(() => mdBudgetDims([{ rows: [10, 100] }], { budget: 1000, candidates: [2, 4], d0: 8 })).toThrow(/d0/);
  });
});

describe("α for a budget", () => {
  const candidates = [2, 4, 8, 16, 32];

  function randomTables(seed: number) {
    const random = rng(seed);
    return Array.from({ length: 3 }, () => {
      const blocks = 2 + Math.floor(random() * 6);
      // Doubling rows, decreasing mean frequency: densest block first, as frequencyBlocks makes them.
      const rows = Array.from({ length: blocks }, (_, b) => (1 + Math.floor(random() * 3)) * 2 ** b);
      let frequency = 50 + random() * 500;
      const queries = rows.map((n) => n * (frequency *= 0.2 + 0.6 * random()));
      return { rows, queries };
    });
  }

  it("finds the smallest α whose snapped plan fits: within one candidate step of B, never over", () => {
    const seed = testSeed("mde budget");
    let interior = 0;
    for (let trial = 0; trial < 20; ++trial) {
      const tables = randomTables(seed + trial);
      const rowsTotal = tables.flatMap((t) => t.rows).reduce((a, b) => a + b, 0);
      const budget = rowsTotal * (2.5 + rng(seed * 7 + trial)() * 25);
      const result = mdBudgetDims(tables, { budget, candidates });
      const cost = (dims: Int32Array[]) => tables.reduce((s, t, i) => s + t.rows.reduce((a, n, b) => a + n * dims[i]![b]!, 0), 0);
      expect(result.parameters).toBe(cost(result.dims));
      if (!result.met) {
        expect(result.alpha).toBe(1);
        expect(result.parameters).toBeGreaterThan(budget);
        continue;
      }
      expect(result.parameters).toBeLessThanOrEqual(budget);
      result.dims.flatMap((d) => Array.from(d)).forEach((d) => expect(candidates).toContain(d));
      if (result.alpha === 0) {
        expect(result.parameters).toBe(rowsTotal * 32);
        continue;
      }
      interior += 1;
      // Just below α the plan is over B, and what it gains over α's plan is one block's step up.
      const below = mdTableDims(tables, result.alpha - 1e-9, { candidates });
      expect(cost(below)).toBeGreaterThan(budget);
      const steps = tables.flatMap((t, i) => t.rows.map((n, b) => {
        const level = candidates.indexOf(result.dims[i]![b]!);
        return level + 1 < candidates.length ? n * (candidates[level + 1]! - candidates[level]!) : 0;
      }));
      expect(budget - result.parameters).toBeLessThan(Math.max(...steps));
    }
    expect(interior).toBeGreaterThan(5);
  });

  it("keeps every block at d0 when the budget allows, and reports a budget even α = 1 misses", () => {
    const tables = [{ rows: [1, 2, 4], queries: [100, 100, 8] }];
    expect(mdBudgetDims(tables, { budget: 7 * 32, candidates })).toMatchObject({ alpha: 0, met: true, parameters: 7 * 32 });
    // α = 1: r = n/k = [0.01, 0.02, 0.5] → d = 32·[1, 0.5, 0.02] = [32, 16, 0.64 → 1] → snapped [32, 16, 2] = 72 parameters.
    const missed = mdBudgetDims(tables, { budget: 71, candidates });
    expect(missed).toMatchObject({ alpha: 1, met: false, parameters: 72 });
    expect(Array.from(missed.dims[0]!)).toEqual([32, 16, 2]);
  });
});

describe("frequency bands", () => {
  it("cut the ids, most frequent first, into bands of doubling size with k = occurrences + ids", () => {
    // 15 ids with counts 15 − i (id 0 most frequent), 4 bands: cuts at round(15·(2^b − 1)/15) = 0, 1, 3, 7, 15.
    const counts = Int32Array.from({ length: 15 }, (_, i) => 15 - i);
    const blocks = frequencyBlocks(counts, 4);
    expect(Array.from(blocks.starts)).toEqual([0, 1, 3, 7, 15]);
    expect(Array.from(blocks.rows)).toEqual([1, 2, 4, 8]);
    // Band 1 holds ids 1, 2 (counts 14, 13): k = 27 + 2.
    expect(blocks.queries[1]).toBe(29);
    const sizes = blockSizesToIds(blocks, [16, 8, 4, 2]);
    expect(Array.from(sizes)).toEqual([16, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it("drop empty bands of small tables", () => {
    const blocks = frequencyBlocks([5, 1, 3], 8);
    expect(blocks.rows.reduce((a, b) => a + b, 0)).toBe(3);
    expect(Array.from(blocks.rows).every((n) => n > 0)).toBe(true);
    expect(Array.from(blocks.order)).toEqual([0, 2, 1]);
  });
});

describe("mdeSizes", () => {
  it("sizes a user's own table from its counts, within a budget", () => {
    // 15 ids with counts 15 − i in 4 bands [1, 2, 4, 8] ids; every id at 16 is 960 bytes, at 2 is 120.
    const counts = Int32Array.from({ length: 15 }, (_, i) => 15 - i);
    const { plan, alpha } = mdeSizes({ items: counts }, { candidates: [2, 4, 8, 16], budgetBytes: 400, blocks: 4 });
    const sizes = plan.tables.items!;
    expect(planBytes(plan)).toBeLessThanOrEqual(400);
    expect(alpha).toBeGreaterThan(0);
    expect(sizes[0]).toBe(16);
    const items = new MixedDimEmbedding({ candidates: [2, 4, 8, 16], sizes: new Int32Array(15).fill(16), seed: 1 });
    items.resize(Int32Array.from({ length: 15 }, (_, i) => i), sizes);
    expect(items.store.bytes().rows).toBe(planBytes(plan));
  });
});

describe("MDE through search()", () => {
  const data = generateSynthetic({
    numUsers: 200, numItems: 120, numRatings: 5000, numFields: 4, fieldCardinalities: [8, 40, 300, 1500], seed: 5,
  });

  it("meets a CTR budget, gives frequent ids the larger sizes, and reports AUC and log loss", async () => {
    const candidates = [2, 4, 8, 16];
    const result = await search({ method: "mde", data, task: "ctr", candidates, budget: { ratio: 0.3 }, seed: 1 });
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.bytes).toBe(planBytes(result.plan));
    // Within one band's step of the budget: far above every id at d_min (25% of the fixed size).
    expect(result.ratio).toBeGreaterThan(0.2);
    expect(result.searchMetrics.alpha).toBeGreaterThan(0);
    expect(result.searchMetrics.alpha).toBeLessThanOrEqual(1);
    expect(result.metrics.testAuc).toBeGreaterThan(0.5);
    expect(result.metrics.testLogLoss).toBeGreaterThan(0);
    const frequencies = tableFrequencies(data, "ctr");
    for (const [name, sizes] of Object.entries(result.plan.tables)) {
      sizes.forEach((d) => expect(candidates).toContain(d));
      const counts = frequencies[name]!;
      // Sizes never rise as frequency falls.
      const byCount = Array.from(sizes.keys()).sort((a, b) => counts[b]! - counts[a]! || a - b);
      for (let i = 1; i < byCount.length; ++i) expect(sizes[byCount[i]!]!).toBeLessThanOrEqual(sizes[byCount[i - 1]!]!);
    }
    expect(result.history.some((event) => event.phase === "plan")).toBe(true);
  });

  it("without a budget uses settings.alpha, and α = 0 is FIXED at d0", async () => {
    const context = { data, task: "ctr" as const, candidates: [2, 4, 8, 16], budgetBytes: undefined };
    const uniform = mdePlan({ ...context, settings: { alpha: 0 } });
    expect(Object.values(uniform.plan.tables).every((sizes) => sizes.every((d) => d === 16))).toBe(true);
    const skewed = mdePlan({ ...context, settings: { alpha: 0.6 } });
    expect(planBytes(skewed.plan)).toBeLessThan(planBytes(uniform.plan));
    expect(() => mdePlan({ ...context, settings: { alpha: 1.5 } })).toThrow(/alpha must be in \[0, 1\]/);
    expect(() => mdePlan({ ...context, settings: { blocks: 0 } })).toThrow(/blocks/);
  });

  it("sizes users and items of a rating stream and rejects a budget below every id at d_min", async () => {
    const result = await search({ method: "mde", data, task: "binary", candidates: [2, 8, 32], budget: { ratio: 0.4 }, seed: 2 });
    expect(Object.keys(result.plan.tables).sort()).toEqual(["items", "users"]);
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.metrics.testAccuracy).toBeGreaterThan(0);
    await expect(search({ method: "mde", data, task: "ctr", candidates: [2, 4], budget: { bytes: 100 } })).rejects.toThrow(/cannot be met/);
  });
});
