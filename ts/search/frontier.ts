/**
 * The accuracy–memory frontier: what this field is about, accuracy against bytes at equal bytes.
 * For one data set and task, every variant (a method with its settings) and FIXED run at each
 * budget and each seed through search(), so every figure is a budget-held plan's, trained and
 * scored by the common protocol (evaluatePlan). Per budget it reports the bytes, each metric's
 * mean ± standard deviation over seeds, and which variants beat FIXED beyond the spread.
 *
 * Budgets are fractions of every id at d_max, the largest of the shared `candidates`, resolved
 * to bytes once, so that every variant (whatever its own candidates) is held to the same bytes.
 *
 * "Beats FIXED beyond the spread": on the task's primary metric (accuracy, AUC, Recall@20),
 * mean − std of the variant is above mean + std of FIXED at the same budget. With one seed the
 * spread is zero and any difference counts: say so where such a result is shown.
 *
 * Runs are sequential, in this process. A variant whose budget cannot be met (a budget below
 * every id at its smallest candidate) is left out at that budget, with the reason.
 *
 * @example
 * const frontier = await runFrontier({ data, variants: [{ method: "mde" }, { method: "esapn" }], seeds: [1, 2, 3] });
 * frontier.budgets[0].beatsFixed;   // labels of the variants that beat FIXED at the smallest budget
 */
import { numberInRange } from "../arguments.js";
import { ratingFields } from "../data/rating_fields.js";
import { describe } from "../describe_value.js";
import { planTables } from "./plan_evaluation.js";
import { search } from "./search.js";
import type { SearchData, SearchMethod, SearchResult, SearchTask } from "./search_types.js";

/** One line of the frontier: a method with its settings (and, optionally, its own candidates). */
export interface FrontierVariant {
  method: SearchMethod;
  /** The legend's name. Default: the method in capitals. */
  label?: string;
  settings?: Record<string, unknown>;
  candidates?: readonly number[];
}

export interface FrontierOptions {
  data: SearchData;
  /** Default: "binary" on ratings, "ctr" on data with categorical fields. */
  task?: SearchTask;
  /** The methods besides FIXED, which always runs (its own label "FIXED"). */
  variants: readonly FrontierVariant[];
  /** Fractions of every id at d_max. Default 1/64, 1/32, 1/16, 1/8, 1/4, 1/2. */
  budgets?: readonly number[];
  /** Default [1, 2, 3]. */
  seeds?: readonly number[];
  /** Shared candidates (d_max sets the budgets' bytes). Default FIXED's: 2, 4, 8, 16, 64, 128. */
  candidates?: readonly number[];
  /** Settings every variant gets, FIXED included (e.g. { order: "shuffle" }); a variant's own win. */
  settings?: Record<string, unknown>;
  /** FIXED's own settings, besides `settings`. */
  fixedSettings?: Record<string, unknown>;
  /** After each run: how many are done, of how many. */
  onProgress?: (progress: FrontierProgress) => void;
  signal?: AbortSignal;
}

export interface FrontierProgress {
  done: number;
  total: number;
  label: string;
  ratio: number;
  seed: number;
}

/** A metric over seeds. */
export interface SeedSpread {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for one seed. */
  std: number;
  values: number[];
}

export interface FrontierPoint {
  label: string;
  method: SearchMethod;
  /** The plan's bytes, mean over seeds. */
  bytes: number;
  metrics: Record<string, SeedSpread>;
  /** The search's own peak bytes, mean over seeds. */
  peakSearchBytes: number;
}

export interface FrontierBudget {
  ratio: number;
  budgetBytes: number;
  points: FrontierPoint[];
  /** Labels of the variants whose primary metric beats FIXED's beyond the spread. */
  beatsFixed: string[];
  /** Variants left out at this budget, with why. */
  skipped: { label: string; reason: string }[];
}

export interface FrontierResult {
  task: SearchTask;
  /** The metric the comparison is on, and whether larger is better. */
  primary: { name: string; higherIsBetter: boolean };
  /** Every metric reported, primary first. */
  metricNames: string[];
  seeds: number[];
  budgets: FrontierBudget[];
}

export const defaultFrontierBudgets: readonly number[] = [1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2];
const defaultCandidates = [2, 4, 8, 16, 64, 128];

/** The task's metrics for the frontier, primary first (methods.md: accuracy, AUC, Recall@20). */
export function frontierMetrics(task: SearchTask): { names: string[]; higherIsBetter: boolean[] } {
  if (task === "ctr") return { names: ["testAuc", "testLogLoss"], higherIsBetter: [true, false] };
  if (task === "implicit") return { names: ["recall20", "ndcg20"], higherIsBetter: [true, true] };
  return { names: ["testAccuracy", "testLoss"], higherIsBetter: [true, false] };
}

export async function runFrontier(options: FrontierOptions): Promise<FrontierResult> {
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { data } = options;
  if (typeof data !== "object" || data === null || !(data.users instanceof Int32Array)) {
    throw new TypeError(`data must be a ratings dataset (loadRatings or generateSynthetic), got ${describe(data)}`);
  }
  if (!Array.isArray(options.variants)) throw new TypeError(`variants must be an array of { method, settings? }, got ${describe(options.variants)}`);
  const budgets = [...(options.budgets ?? defaultFrontierBudgets)];
  budgets.forEach((ratio, i) => numberInRange(ratio, `budgets[${i}]`, 0, 1, true));
  if (budgets.length === 0) throw new RangeError("budgets must hold at least one ratio");
  const seeds = [...(options.seeds ?? [1, 2, 3])];
  if (seeds.length === 0) throw new RangeError("seeds must hold at least one seed");
  const candidates = [...(options.candidates ?? defaultCandidates)];
  const task: SearchTask = options.task ?? (data?.fields === undefined ? "binary" : "ctr");
  const variants: (FrontierVariant & { label: string })[] = [
    { method: "fixed", label: "FIXED", settings: options.fixedSettings ?? {} },
    ...options.variants.map((v, i) => {
      if (typeof v !== "object" || v === null) throw new TypeError(`variants[${i}] must be { method, settings? }, got ${describe(v)}`);
      return { ...v, label: v.label ?? v.method.toUpperCase() };
    }),
  ];
  const labels = variants.map((v) => v.label);
  const repeated = labels.find((label, i) => labels.indexOf(label) !== i);
  if (repeated !== undefined) throw new RangeError(`variants must have distinct labels, "${repeated}" appears twice (give each a label)`);

  // As search() does: ratings without fields take part in CTR with user and item as the fields.
  const searched = task === "ctr" && data.fields === undefined ? { ...data, fields: ratingFields(data) } : data;
  const ids = Object.values(planTables(searched, task)).reduce((a, b) => a + b, 0);
  const dMax = candidates[candidates.length - 1]!;
  const { names, higherIsBetter } = frontierMetrics(task);
  const total = budgets.length * variants.length * seeds.length;
  let done = 0;
  const result: FrontierBudget[] = [];
  for (const ratio of budgets) {
    const budgetBytes = Math.floor(ratio * ids * dMax * 4);
    const points: FrontierPoint[] = [];
    const skipped: FrontierBudget["skipped"] = [];
    for (const variant of variants) {
      const runs: SearchResult[] = [];
      for (const seed of seeds) {
        options.signal?.throwIfAborted();
        try {
          runs.push(await search({
            method: variant.method, data, task, seed, budget: { bytes: budgetBytes },
            candidates: variant.candidates ?? candidates,
            settings: { ...options.settings, ...variant.settings },
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          }));
        } catch (error) {
          // A budget below every id at the variant's smallest candidate: that variant has no plan here.
          if (!(error instanceof RangeError) || !/cannot be met/.test(error.message)) throw error;
          skipped.push({ label: variant.label, reason: error.message });
          done += seeds.length - runs.length;
          break;
        }
        done += 1;
        options.onProgress?.({ done, total, label: variant.label, ratio, seed });
      }
      if (runs.length < seeds.length) continue;
      points.push({
        label: variant.label, method: variant.method,
        bytes: mean(runs.map((r) => r.bytes)),
        peakSearchBytes: mean(runs.map((r) => r.peakSearchBytes)),
        metrics: Object.fromEntries(names.map((name) => [name, spread(runs.map((r) => r.metrics[name] ?? NaN))])),
      });
    }
    result.push({ ratio, budgetBytes, points, skipped, beatsFixed: beatingFixed(points, names[0]!, higherIsBetter[0]!) });
  }
  return { task, primary: { name: names[0]!, higherIsBetter: higherIsBetter[0]! }, metricNames: names, seeds, budgets: result };
}

/** Labels whose mean on `metric` is beyond FIXED's by more than the two spreads together (mean − std above FIXED's mean + std). */
export function beatingFixed(points: readonly FrontierPoint[], metric: string, higherIsBetter: boolean): string[] {
  const fixed = points.find((p) => p.method === "fixed" && p.label === "FIXED")?.metrics[metric];
  if (fixed === undefined) return [];
  const sign = higherIsBetter ? 1 : -1;
  return points.filter((p) => p.label !== "FIXED").filter((p) => {
    const m = p.metrics[metric]!;
    return sign * (m.mean - fixed.mean) > m.std + fixed.std;
  }).map((p) => p.label);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean and sample standard deviation. */
export function spread(values: number[]): SeedSpread {
  const m = mean(values);
  const std = values.length < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
  return { mean: m, std, values };
}
