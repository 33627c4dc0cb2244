/**
 * Budget accounting shared by every method: resolving a budget to bytes, refusing one no plan
 * can meet, and holding a finished plan to it. SCALL meets its budget by construction; the other
 * methods' plans are constrained here after the search, by stepping the least frequent ids down
 * one candidate at a time (they lose the least), so the plan never exceeds the budget.
 */
import { numberInRange } from "../arguments.js";
import { planBytes, type SizePlan } from "../plan/size_plan.js";
import type { Budget } from "./search_types.js";

/** Ids per table. */
export type TableRows = Record<string, number>;

function totalRows(rows: TableRows): number {
  return Object.values(rows).reduce((a, b) => a + b, 0);
}

/**
 * The budget in bytes, or undefined without one; a RangeError when even every id at the smallest
 * size exceeds it. That is d_min, or 1 for a method whose sizes may be any integer (FIXED).
 */
export function resolveBudget(budget: Budget | undefined, rows: TableRows, candidates: readonly number[],
                              smallestSize: number = candidates[0]!): number | undefined {
  if (budget === undefined) return undefined;
  const largest = candidates[candidates.length - 1]!;
  const fixedBytes = totalRows(rows) * largest * 4;
  let bytes: number;
  if (typeof budget === "object" && budget !== null && "bytes" in budget) {
    bytes = numberInRange(budget.bytes, "budget.bytes", 0, Number.MAX_SAFE_INTEGER);
  } else if (typeof budget === "object" && budget !== null && "ratio" in budget) {
    bytes = numberInRange(budget.ratio, "budget.ratio", 0, 1) * fixedBytes;
  } else {
    throw new TypeError("budget must be { bytes } or { ratio }");
  }
  const smallest = totalRows(rows) * smallestSize * 4;
  if (bytes < smallest) {
    throw new RangeError(`budget of ${Math.floor(bytes)} bytes cannot be met: every id at the smallest ` +
                         `${smallestSize === candidates[0] ? "candidate" : "size"} (${smallestSize}) already takes ${smallest} bytes`);
  }
  return Math.floor(bytes);
}

/**
 * Steps sizes down until the plan fits: repeatedly, the least frequent id above the smallest
 * candidate drops one candidate. Ties go to the larger id (newer ids first). Returns a new plan.
 */
export function constrainPlanToBudget(plan: SizePlan, budgetBytes: number,
                                      frequencies: Record<string, ArrayLike<number>>): SizePlan {
  let bytes = planBytes(plan);
  if (bytes <= budgetBytes) return plan;
  const candidates = plan.candidates;
  const tables = Object.fromEntries(Object.entries(plan.tables).map(([name, sizes]) => [name, Int32Array.from(sizes)]));
  // One queue of (table, id) from least to most frequent; each pass steps every id down once.
  const order: [string, number, number][] = [];
  for (const [name, sizes] of Object.entries(tables)) {
    const frequency = frequencies[name];
    for (let id = 0; id < sizes.length; ++id) order.push([name, id, frequency?.[id] ?? 0]);
  }
  order.sort((a, b) => a[2] - b[2] || b[1] - a[1]);
  while (bytes > budgetBytes) {
    let moved = false;
    for (const [name, id] of order) {
      const sizes = tables[name]!;
      const level = candidates.indexOf(sizes[id]!);
      if (level <= 0) continue;
      bytes -= (sizes[id]! - candidates[level - 1]!) * 4;
      sizes[id] = candidates[level - 1]!;
      moved = true;
      if (bytes <= budgetBytes) break;
    }
    if (!moved) throw new RangeError(`the plan cannot be brought under ${budgetBytes} bytes`);
  }
  return { candidates, tables };
}
