/**
 * A size plan: the embedding size of every id of every table (users, items, or each field of
 * a CTR dataset), drawn from one set of candidate sizes. Every search method ends with one and
 * every base model is built from one, which is how any method feeds any model.
 */
import { int32Array, integerInRange } from "../arguments.js";
import type { DeviceOption } from "../backend.js";
import { MixedDimEmbedding } from "../modules/mixed_dim_embedding.js";

export interface SizePlan {
  /** Candidate sizes, strictly increasing. */
  candidates: readonly number[];
  /** Each table's sizes, one per id. A per-field method gives every id of a field the same size. */
  tables: Record<string, Int32Array>;
}

/** Every id of every table at one size: the FIXED baseline. */
export function fixedPlan(rows: Record<string, number>, dim: number): SizePlan {
  const size = integerInRange(dim, "dim", 1, 65536);
  const tables = Object.fromEntries(Object.entries(rows).map(([name, n]) =>
    [name, new Int32Array(integerInRange(n, `rows.${name}`, 0, 2 ** 31 - 1)).fill(size)]));
  return { candidates: [size], tables };
}

/** Σ_i d_i · 4 over every table: the embedding bytes the plan costs. */
export function planBytes(plan: SizePlan): number {
  let floats = 0;
  for (const sizes of Object.values(plan.tables)) for (const d of sizes) floats += d;
  return floats * 4;
}

/** Bytes of the plan over bytes of every id at the largest candidate. */
export function planRatio(plan: SizePlan): number {
  const largest = plan.candidates[plan.candidates.length - 1]!;
  const ids = Object.values(plan.tables).reduce((n, sizes) => n + sizes.length, 0);
  return ids === 0 ? 0 : planBytes(plan) / (ids * largest * 4);
}

export interface PlanEmbeddingOptions {
  seed?: number;
  initStd?: number;
  device?: DeviceOption;
}

/** The MixedDimEmbedding for one table of a plan. */
export function embeddingFromPlan(plan: SizePlan, table: string, options: PlanEmbeddingOptions = {}): MixedDimEmbedding {
  const sizes = plan.tables[table];
  if (sizes === undefined) {
    throw new RangeError(`the plan has no table "${table}" (it has ${Object.keys(plan.tables).map((t) => `"${t}"`).join(", ")})`);
  }
  return new MixedDimEmbedding({ candidates: plan.candidates, sizes: int32Array(sizes, `plan.tables.${table}`), ...options });
}
