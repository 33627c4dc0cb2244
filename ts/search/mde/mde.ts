/**
 * MDE, mixed-dimension embeddings (Ginart et al.; methods.md C §2): sizes from frequencies
 * alone, no training in the search. For each table (each field for "ctr", users and items
 * otherwise):
 *
 *   1. count each id's occurrences and cut the ids into frequency bands (frequency_blocks.ts);
 *   2. md_solver over the bands with d0 = the largest candidate: d_b = d0·(r_0/r_b)^α, where
 *      r_b = n_b/k_b is the inverse of band b's mean frequency, so the densest band gets d0;
 *   3. snap each d_b to the largest candidate ≤ it, and give every id its band's size;
 *   4. search() retrains and evaluates the plan (plan_evaluation.ts), the same way as every method's.
 *
 * α is `settings.alpha` (default 0.3, DLRM's --md-temperature) without a budget. With one, α is
 * the smallest in [0, 1] whose snapped plan fits (bisection, md_solver.ts), one α shared by all
 * tables; where even α = 1 does not fit, the α = 1 plan is stepped down id by id, least frequent
 * first (constrainPlanToBudget), before retraining, so the plan evaluated is the plan returned.
 * Bytes are Σ_i d_i·4, as every plan counts them: MDE's projections to the base size are not
 * counted (Hetu counts d_i·D per projected block).
 *
 * Settings: alpha (0.3), blocks (bands per table, 8), roundDims (md_solver's power-of-two
 * rounding, true), d0 (the largest candidate), and evaluatePlan's learningRate and retrainEpochs.
 * Frequencies are counted over the whole data set (labels are never looked at).
 *
 * For your own training loop, mdeSizes(counts, options) gives the same plan from id counts, to
 * resize your MixedDimEmbedding with (there is nothing to step: MDE sizes once, before training).
 *
 * Stopped before the retraining, a resumed MDE computes its plan again.
 */
import { planBytes, type SizePlan } from "../../plan/size_plan.js";
import { constrainPlanToBudget } from "../budget.js";
import { planTables, tableFrequencies } from "../plan_evaluation.js";
import type { SearchContext, SearchMethodDefinition, SearchOutcome } from "../search_context.js";
import { blockSizesToIds, frequencyBlocks, type FrequencyBlocks } from "./frequency_blocks.js";
import { mdBudgetDims, mdTableDims } from "./md_solver.js";
import { booleanSetting, numberSetting } from "../settings.js";
import type { SettingSpec } from "../setting_table.js";



export interface MdeOptions {
  candidates: readonly number[];
  /** Bytes the plan may take (Σ_i d_i·4); α is then searched. */
  budgetBytes?: number;
  /** α without a budget. Default 0.3. */
  alpha?: number;
  /** Frequency bands per table. Default 8. */
  blocks?: number;
  /** md_solver's power-of-two rounding. Default true. */
  roundDims?: boolean;
  /** The size of each table's densest band. Default: the largest candidate. */
  d0?: number;
}

/**
 * MDE's sizes for tables of id counts, e.g. for your own MixedDimEmbedding: `embedding.resize(ids,
 * plan.tables.items)`. Steps 1 to 3 of the file's comment, and the budget handling.
 *
 * @example
 * const { plan, alpha } = mdeSizes({ items: itemCounts }, { candidates: [2, 4, 8, 16, 32, 64], budgetBytes: 1e6 });
 */
export function mdeSizes(frequencies: Record<string, ArrayLike<number>>, options: MdeOptions): { plan: SizePlan; alpha: number } {
  const { candidates, budgetBytes } = options;
  const names = Object.keys(frequencies);
  const blocks: FrequencyBlocks[] = names.map((name) => frequencyBlocks(frequencies[name]!, options.blocks ?? 8));
  const tables = blocks.map((b) => ({ rows: b.rows, queries: b.queries }));
  const solver = { candidates, d0: options.d0 ?? candidates[candidates.length - 1]!, roundDims: options.roundDims ?? true };
  let alpha: number;
  let dims: Int32Array[];
  if (budgetBytes === undefined) {
    alpha = options.alpha ?? 0.3;
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
    dims = mdTableDims(tables, alpha, solver);
  } else {
    ({ alpha, dims } = mdBudgetDims(tables, { ...solver, budget: budgetBytes / 4 }));
  }
  let plan: SizePlan = {
    candidates,
    tables: Object.fromEntries(names.map((name, t) => [name, blockSizesToIds(blocks[t]!, dims[t]!)])),
  };
  if (budgetBytes !== undefined) plan = constrainPlanToBudget(plan, budgetBytes, frequencies);
  return { plan, alpha };
}

/** The MDE plan of a task's tables, without retraining: what runMde evaluates. */
export function mdePlan(context: Pick<SearchContext, "data" | "task" | "candidates" | "budgetBytes" | "settings">): { plan: SizePlan; alpha: number } {
  const { settings } = context;
  planTables(context.data, context.task);
  const optional = (name: "alpha" | "blocks" | "d0") => settings[name] === undefined ? {} : { [name]: numberSetting(settings, name, 0) };
  return mdeSizes(tableFrequencies(context.data, context.task), {
    candidates: context.candidates,
    ...(context.budgetBytes === undefined ? {} : { budgetBytes: context.budgetBytes }),
    ...optional("alpha"), ...optional("blocks"), ...optional("d0"),
    roundDims: booleanSetting(settings, "roundDims", true),
  });
}

async function runMde(context: SearchContext): Promise<SearchOutcome> {
  const { plan, alpha } = mdePlan(context);
  context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
  // The plan takes milliseconds: stopped here, a resume computes it again (hence no events kept).
  await context.checkpoint(() => ({ state: {}, tensors: {}, events: 0 }));
  return { plan, searchMetrics: { alpha }, peakSearchBytes: planBytes(plan) };
}

const mdeSettings: readonly SettingSpec[] = [
  { name: "alpha", type: { kind: "number", min: 0, max: 1 }, default: 0.3, doc: "α without a budget (DLRM's --md-temperature); with one it is searched" },
  { name: "blocks", type: { kind: "integer", min: 1, max: 65536 }, default: 8, doc: "frequency bands per table" },
  { name: "roundDims", type: { kind: "boolean" }, default: true, doc: "round each band's size to a power of two (md_solver)" },
  { name: "d0", type: { kind: "integer", min: 1, max: 65536 }, default: "the largest candidate", doc: "the size of each table's densest band" },
];

export const mdeMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 32, 64, 128],
  tasks: ["ctr", "binary", "multiclass", "implicit"],
  settings: mdeSettings,
  run: runMde,
};
