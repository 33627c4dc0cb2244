/**
 * FIXED: every id at one size, the baseline every method is measured against. Without a budget
 * the size is the largest candidate, d_max (the slides' FIXED = n × 128); with one, the largest
 * integer size in 1 … d_max at which every id fits it, candidate or not, so that "FIXED at equal
 * bytes" is exact (a budget of a quarter of n × 128 gives 32, between the candidates 16 and 64).
 * search() then trains and evaluates the plan like every other method's. Stopped before the
 * retraining, a resumed FIXED starts again (the plan costs nothing).
 */
import { fixedPlan, planBytes, type SizePlan } from "../../plan/size_plan.js";
import type { SearchContext, SearchMethodDefinition, SearchOutcome } from "../search_context.js";
import { planTables } from "../plan_evaluation.js";

/** Every id of every table at the largest integer size ≤ d_max that fits the budget. */
export function fixedSearchPlan(context: Pick<SearchContext, "data" | "task" | "candidates" | "budgetBytes">): SizePlan {
  const rows = planTables(context.data, context.task);
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const largest = context.candidates[context.candidates.length - 1]!;
  const fitting = context.budgetBytes === undefined || total === 0 ? largest : Math.floor(context.budgetBytes / (4 * total));
  return fixedPlan(rows, Math.max(1, Math.min(largest, fitting)));
}

async function runFixed(context: SearchContext): Promise<SearchOutcome> {
  const plan = fixedSearchPlan(context);
  context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
  // The plan takes no time to find: stopped here, a resume finds it again (hence no events kept).
  await context.checkpoint(() => ({ state: {}, tensors: {}, events: 0 }));
  return { plan, searchMetrics: {}, peakSearchBytes: planBytes(plan) };
}

export const fixedMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 64, 128],
  tasks: ["binary", "multiclass", "ctr", "implicit"],
  // Only evaluatePlan's: the plan itself has no settings.
  settings: [],
  anyIntegerSize: true,
  run: runFixed,
};
