/**
 * The check the methods that hold every candidate while they search (DARTS, AutoEmb, AutoDim)
 * share: their search outgrows the budget that their plan meets.
 */
import { expect } from "vitest";
import { planBytes, type SearchResult } from "mixdim";

/** peakSearchBytes is the hand-computed figure and lies past the budget, while the plan's bytes stay within it. */
export function expectSearchPastBudgetPlanWithin(result: SearchResult, everyCandidateBytes: number, budgetBytes: number): void {
  expect(result.peakSearchBytes).toBe(everyCandidateBytes);
  expect(result.peakSearchBytes).toBeGreaterThan(budgetBytes);
  expect(planBytes(result.plan)).toBeLessThanOrEqual(budgetBytes);
}
