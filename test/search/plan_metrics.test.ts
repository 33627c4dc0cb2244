/**
 * result.metrics belong to result.plan: for every method, under a budget that binds, search()'s
 * metrics equal an independent evaluatePlan of the plan it returned (same data, task, seed and
 * settings), exactly on the CPU. The search's own figures are elsewhere (searchMetrics).
 */
import { describe, expect, it } from "vitest";
import { generateSynthetic } from "mixdim";
import { evaluatePlan } from "../../ts/search/plan_evaluation.js";
import { search } from "../../ts/search/search.js";
import type { SearchMethod, SearchOptions, SearchTask } from "../../ts/search/search_types.js";

const ratings = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 3000, seed: 5 });
const clicks = generateSynthetic({ numUsers: 50, numItems: 40, numRatings: 3000, numFields: 3, fieldCardinalities: [5, 30, 200], seed: 6 });

interface Case {
  method: SearchMethod;
  task: SearchTask;
  data: SearchOptions["data"];
  settings: Record<string, unknown>;
  ratio: number;
  /**
   * The search itself went over the budget (search() had to step its plan down); FIXED, MDE and SCALL meet it by
   * construction, and ESAPN holds its table to it at every batch.
   */
  searchExceeds?: boolean;
}

const cases: Case[] = [
  { method: "fixed", task: "binary", data: ratings, settings: { order: "shuffle" }, ratio: 0.1 },
  { method: "mde", task: "binary", data: ratings, settings: {}, ratio: 0.05 },
  { searchExceeds: true, method: "darts", task: "binary", data: ratings, settings: { batchSize: 200, hidden: 16, order: "shuffle" }, ratio: 0.02 },
  { searchExceeds: true, method: "autoemb", task: "multiclass", data: ratings, settings: { batchSize: 200, hidden: 16, controllerHidden: 16 }, ratio: 0.02 },
  { method: "esapn", task: "binary", data: ratings, settings: { batchSize: 200, hidden: 16, policyHidden: 16, order: "shuffle" }, ratio: 0.02 },
  { searchExceeds: true, method: "autodim", task: "ctr", data: clicks, settings: { hidden: [8], batchSize: 256 }, ratio: 0.1 },
  { method: "scall", task: "implicit", data: ratings,
    settings: { newEntityThreshold: 70, envSteps: 1, minEnvSteps: 1, envTrainSteps: 2, trainSteps: 3, evalEvery: 3, batchSize: 128,
                stateGroups: 8, hidden: 16, maxSegments: 2, retrainSteps: 5 }, ratio: 0.05 },
];

/** Timing varies from run to run; every other figure is deterministic on the CPU. */
function withoutTiming(metrics: Record<string, number>): Record<string, number> {
  const { samplesPerSecond: _, ...rest } = metrics;
  return rest;
}

describe("result.metrics are the returned plan's", () => {
  for (const { method, task, data, settings, ratio, searchExceeds = false } of cases) {
    it(`${method} (${task}): the metrics equal evaluatePlan of the budget-held plan`, async () => {
      const seed = 3;
      const result = await search({ method, task, data, budget: { ratio }, seed, settings });
      expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
      expect(result.ratio).toBeLessThan(1);
      expect(result.peakSearchBytes).toBeGreaterThan(0);
      const largest = Math.max(...result.history.map((e) => e.bytes));
      if (searchExceeds) expect(largest).toBeGreaterThan(result.budgetBytes!);
      else expect(largest).toBeLessThanOrEqual(result.budgetBytes!);
      const independent = evaluatePlan(result.plan, { data, task, seed, settings, signal: undefined });
      expect(Object.keys(result.metrics).length).toBeGreaterThan(0);
      expect(withoutTiming(result.metrics)).toEqual(withoutTiming(independent));
    });
  }
});
