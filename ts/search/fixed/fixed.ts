/**
 * FIXED: every id at one size, the baseline every method is measured against. Without a budget
 * the size is the largest candidate (the slides' FIXED = n × 128); with one, the largest
 * candidate that fits it. The plan is then trained and evaluated like every other method's.
 * Stopped before the retraining, a resumed FIXED starts again (the plan costs nothing); stopped
 * during it, it saves its outcome once the retraining ends (search.ts).
 */
import { fixedPlan, planBytes, type SizePlan } from "../../plan/size_plan.js";
import type { SearchContext, SearchMethodDefinition } from "../search_context.js";
import { evaluatePlan, planTables } from "../plan_evaluation.js";

/** The largest candidate at which every id fits the budget, for every id of every table. */
export function fixedSearchPlan(context: Pick<SearchContext, "data" | "task" | "candidates" | "budgetBytes">): SizePlan {
  const rows = planTables(context.data, context.task);
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const fitting = context.candidates.filter((d) => context.budgetBytes === undefined || total * d * 4 <= context.budgetBytes);
  return fixedPlan(rows, fitting[fitting.length - 1] ?? context.candidates[0]!);
}

async function runFixed(context: SearchContext) {
  const plan = fixedSearchPlan(context);
  context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
  // The plan takes no time to find: stopped here, a resume finds it again (hence no events kept).
  await context.checkpoint(() => ({ state: {}, tensors: {}, events: 0 }));
  return { plan, metrics: evaluatePlan(plan, context) };
}

export const fixedMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 64, 128],
  tasks: ["binary", "multiclass", "ctr", "implicit"],
  run: runFixed,
};
