/**
 * ESAPN's memory budget while training: the live tables, Σ d_i · 4 over every id they hold, never
 * exceed it after act(). Two rules keep it (issue #14; the paper has neither, and SCALL's case
 * against ESAPN is exactly that its tables outgrow any cap):
 *
 * - An enlargement that does not fit is refused, and the id keeps its size. When a batch asks for
 *   more than fits, the most frequent ids go first.
 * - When new ids, at the smallest size, push the tables past the budget, the least frequent ids
 *   step down one candidate at a time (constrainPlanToBudget's order) until they fit. This breaks
 *   ESAPN's "sizes never shrink"; the row that steps down is the least-squares inverse of its
 *   enlarge (shrink.ts).
 */
import { constrainPlanToBudget } from "../budget.js";
import type { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import type { ProjectionChain } from "../../modules/projection_chain.js";
import { shrinkRows } from "./shrink.js";

/** One table under the budget, with each id's occurrences so far (the step-down order). */
export interface BudgetTable {
  name: string;
  embedding: MixedDimEmbedding;
  chain: ProjectionChain;
  counts: Int32Array;
}

/** An id that chose to grow from candidate index `level`. */
export interface EnlargeRequest {
  table: number;
  id: number;
  level: number;
  count: number;
}

/** Σ d_i · 4 over every id of the tables. */
export function liveBytes(tables: readonly BudgetTable[]): number {
  return tables.reduce((sum, table) => sum + table.embedding.store.bytes().rows, 0);
}

/**
 * Steps the least frequent ids down until the tables fit the budget with reservedBytes to spare
 * (room for ids about to join; ties: the newer, larger id first). A RangeError naming budgetBytes
 * when even every id at the smallest size does not fit. Returns how many steps down it took.
 */
export function fitTablesToBudget(tables: readonly BudgetTable[], budgetBytes: number, reservedBytes = 0): number {
  const bytes = liveBytes(tables);
  if (bytes + reservedBytes <= budgetBytes) return 0;
  const candidates = tables[0]!.embedding.store.candidates;
  const ids = tables.reduce((sum, table) => sum + table.embedding.numRows, 0);
  const smallest = ids * candidates[0]! * 4;
  if (smallest + reservedBytes > budgetBytes) {
    throw new RangeError(`budgetBytes = ${budgetBytes} cannot hold the ids seen so far: at the smallest size (${candidates[0]}) ` +
                         `the ${ids} in the tables take ${smallest} bytes${reservedBytes > 0 ? `, and the new ones ${reservedBytes} more` : ""}`);
  }
  const plan = { candidates: Array.from(candidates), tables: Object.fromEntries(tables.map((t) => [t.name, t.embedding.sizes()])) };
  const target = constrainPlanToBudget(plan, budgetBytes - reservedBytes, Object.fromEntries(tables.map((t) => [t.name, t.counts])));
  let steps = 0;
  for (const table of tables) {
    const goal = target.tables[table.name]!;
    // One candidate at a time, so that each step is the inverse of one enlarge.
    for (;;) {
      const sizes = table.embedding.sizes();
      const above: number[] = [];
      for (let id = 0; id < goal.length; ++id) if (sizes[id]! > goal[id]!) above.push(id);
      if (above.length === 0) break;
      const shrinking = Int32Array.from(above);
      shrinkRows(table.embedding, table.chain, shrinking, Int32Array.from(above, (id) => sizes[id]!));
      steps += above.length;
    }
  }
  return steps;
}

/**
 * The enlargements that fit in freeBytes, most frequent first (ties: the earlier request); each
 * costs (d_{k+1} − d_k) · 4. Returns the accepted requests' positions in `requests`, in order.
 */
export function admitEnlargements(requests: readonly EnlargeRequest[], candidates: ArrayLike<number>, freeBytes: number): number[] {
  const order = requests.map((_, r) => r).sort((a, b) => requests[b]!.count - requests[a]!.count || a - b);
  const accepted: number[] = [];
  let free = freeBytes;
  for (const r of order) {
    const level = requests[r]!.level;
    const cost = (candidates[level + 1]! - candidates[level]!) * 4;
    if (cost > free) continue;
    free -= cost;
    accepted.push(r);
  }
  return accepted.sort((a, b) => a - b);
}
