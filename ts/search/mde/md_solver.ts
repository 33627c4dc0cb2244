/**
 * MDE's size rule (Ginart et al., arXiv 1909.11810), ported from DLRM's `md_solver`
 * (facebookresearch/dlrm, tricks/md_embedding_bag.py; methods.md C §2):
 *
 *   sort the blocks by row count n ascending, and let r_i = n_i / k_i (k_i: queries per inference);
 *   λ = d0 · r_0^α            when d0 is given (the first block gets exactly d0),
 *   λ = B / Σ_i r_i^(1−α)     when a parameter budget B is given instead;
 *   d_i = round(λ · r_i^(−α)), clamped to ≥ 1;  d_i = 2^round(log2 d_i) with roundDims;  unsort.
 *
 * "round" is torch.round: half to even (2.5 → 2). The arithmetic is float64 where DLRM's is
 * float32; the two can differ only where λ·r_i^(−α) lies within float32 rounding of a half.
 *
 * On top of the port: snapping to a candidate set (the largest candidate ≤ d, or the smallest
 * candidate where d is below it), and Hetu's search for the α that meets a budget (MDETrainer:
 * bisection of α ∈ [0, 1]). With d0 anchoring the densest block (smallest r), every d_i =
 * d0·(r_0/r_i)^α falls as α grows, so the snapped cost Σ n_i·d_i falls too and bisection finds
 * the smallest α whose plan fits: the least skewed plan within the budget.
 */
import { integerInRange, numberInRange } from "../../arguments.js";
import { describe } from "../../tensor.js";

export interface MdSolverOptions {
  /** The temperature α ≥ 0: 0 gives every block the same size, larger α skews sizes to dense blocks. */
  alpha: number;
  /** The size of the first block (fewest rows); exactly one of d0 and budget. */
  d0?: number;
  /** B, a budget of Σ r_i·d_i parameters (before rounding); exactly one of d0 and budget. */
  budget?: number;
  /** Round each size to the nearest power of two (DLRM's round_dim). Default true. */
  roundDims?: boolean;
  /** k: the average number of queries per inference of each block (default 1 each). */
  queries?: ArrayLike<number>;
}

/** torch.round: to the nearest integer, halves to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function positiveNumbers(values: unknown, argument: string): Float64Array {
  if (typeof values !== "object" || values === null || typeof (values as ArrayLike<number>).length !== "number") {
    throw new TypeError(`${argument} must be an array of positive numbers, got ${describe(values)}`);
  }
  const array = values as ArrayLike<unknown>;
  return Float64Array.from({ length: array.length }, (_, i) =>
    numberInRange(array[i], `${argument}[${i}]`, 0, Number.MAX_VALUE, true));
}

/**
 * DLRM's md_solver: a size for each block of `rows` (its row count n_i).
 *
 * @example
 * mdSolver([10, 100, 1000], { alpha: 0.5, d0: 16 });   // Int32Array [16, 4, 2]
 */
export function mdSolver(rows: ArrayLike<number>, options: MdSolverOptions): Int32Array {
  const n = positiveNumbers(rows, "rows");
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const alpha = numberInRange(options.alpha, "alpha", 0, Number.MAX_VALUE);
  if ((options.d0 === undefined) === (options.budget === undefined)) {
    throw new TypeError("md_solver needs exactly one of d0 and budget");
  }
  const roundDims = options.roundDims ?? true;
  if (typeof roundDims !== "boolean") throw new TypeError(`roundDims must be a boolean, got ${describe(roundDims)}`);
  const k = options.queries === undefined ? new Float64Array(n.length).fill(1) : positiveNumbers(options.queries, "queries");
  if (k.length !== n.length) throw new RangeError(`queries has ${k.length} entries but rows has ${n.length}`);
  if (n.length === 0) return new Int32Array(0);

  // torch.sort(n); a stable sort, so ties keep their order.
  const order = Array.from(n.keys()).sort((a, b) => n[a]! - n[b]!);
  const r = order.map((i) => n[i]! / k[i]!);

  let lambda: number;
  if (options.d0 !== undefined) {
    const d0 = numberInRange(options.d0, "d0", 0, Number.MAX_VALUE, true);
    lambda = d0 * r[0]! ** alpha;
  } else {
    const budget = numberInRange(options.budget, "budget", 0, Number.MAX_VALUE, true);
    lambda = budget / r.reduce((sum, ri) => sum + ri ** (1 - alpha), 0);
  }
  const sorted = r.map((ri, i) => {
    const d = i === 0 && options.d0 !== undefined ? options.d0 : Math.max(1, lambda * ri ** -alpha);
    const rounded = roundHalfEven(d);
    return roundDims ? 2 ** roundHalfEven(Math.log2(rounded)) : rounded;
  });
  const dims = new Int32Array(n.length);
  order.forEach((original, i) => {
    const d = sorted[i]!;
    if (!(d <= 0x7fffffff)) throw new RangeError(`md_solver gives block ${original} a size of ${d}, beyond 2^31 − 1`);
    dims[original] = d;
  });
  return dims;
}

/** Each size as the largest candidate ≤ it, or the smallest candidate where it is below them all. */
export function snapToCandidates(dims: ArrayLike<number>, candidates: readonly number[]): Int32Array {
  checkCandidates(candidates);
  return Int32Array.from({ length: dims.length }, (_, i) => {
    const d = dims[i]!;
    let chosen = candidates[0]!;
    for (const c of candidates) if (c <= d) chosen = c;
    return chosen;
  });
}

function checkCandidates(candidates: readonly number[]): void {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new TypeError(`candidates must be a non-empty array of sizes, got ${describe(candidates)}`);
  }
  candidates.forEach((d, i) => {
    integerInRange(d, `candidates[${i}]`, 1, 65536);
    if (i > 0 && d <= candidates[i - 1]!) throw new RangeError(`candidates must be strictly increasing, got [${candidates.join(", ")}]`);
  });
}

/** One md_solver call's blocks: their row counts n_i and, optionally, queries k_i. */
export interface MdTable {
  rows: ArrayLike<number>;
  queries?: ArrayLike<number>;
}

export interface MdBudgetOptions {
  /** A budget of Σ n_i·d_i parameters over every table's blocks, after snapping. */
  budget: number;
  candidates: readonly number[];
  /** The size of each table's first block (md_solver's d0). Default: the largest candidate. */
  d0?: number;
  /** Default true. */
  roundDims?: boolean;
  /** Bisection steps on α. Default 50 (α to 1e-15). */
  iterations?: number;
}

export interface MdBudgetResult {
  /** The smallest α found whose snapped plan fits; 1 when even α = 1 does not fit. */
  alpha: number;
  /** Each table's block sizes, snapped to the candidates. */
  dims: Int32Array[];
  /** Σ n_i·d_i of those sizes. */
  parameters: number;
  /** Whether parameters ≤ budget. */
  met: boolean;
}

/**
 * The sizes of every table at one α (md_solver with d0, each table anchored at its own first
 * block), snapped to the candidates.
 */
export function mdTableDims(tables: readonly MdTable[], alpha: number, options: Omit<MdBudgetOptions, "budget" | "iterations">): Int32Array[] {
  checkCandidates(options.candidates);
  const d0 = options.d0 ?? options.candidates[options.candidates.length - 1]!;
  return tables.map((table) => snapToCandidates(mdSolver(table.rows, {
    alpha, d0, roundDims: options.roundDims ?? true,
    ...(table.queries === undefined ? {} : { queries: table.queries }),
  }), options.candidates));
}

function parameterCount(tables: readonly MdTable[], dims: readonly Int32Array[]): number {
  let total = 0;
  tables.forEach((table, t) => {
    for (let i = 0; i < table.rows.length; ++i) total += table.rows[i]! * dims[t]![i]!;
  });
  return total;
}

/**
 * The α ∈ [0, 1] that meets a parameter budget (Hetu's MDETrainer): bisection for the smallest α
 * whose snapped sizes cost at most `budget` parameters. A budget below every block at the
 * smallest candidate is a RangeError; one that even α = 1 misses gives α = 1 with met = false.
 *
 * @example
 * mdBudgetDims([{ rows: [10, 100, 1000] }], { budget: 4000, candidates: [2, 4, 8, 16] });
 */
export function mdBudgetDims(tables: readonly MdTable[], options: MdBudgetOptions): MdBudgetResult {
  if (!Array.isArray(tables)) throw new TypeError(`tables must be an array of { rows, queries? }, got ${describe(tables)}`);
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  checkCandidates(options.candidates);
  const budget = numberInRange(options.budget, "budget", 0, Number.MAX_VALUE);
  const iterations = integerInRange(options.iterations ?? 50, "iterations", 0, 1000);
  const largest = options.candidates[options.candidates.length - 1]!;
  if (options.d0 !== undefined) integerInRange(options.d0, "d0", 1, largest);
  const smallest = tables.reduce((total, table, t) => {
    const rows = positiveNumbers(table?.rows, `tables[${t}].rows`);
    return total + rows.reduce((sum, n) => sum + n, 0) * options.candidates[0]!;
  }, 0);
  if (smallest > budget) {
    throw new RangeError(`budget of ${budget} parameters cannot be met: every block at the smallest candidate ` +
                         `(${options.candidates[0]}) already takes ${smallest}`);
  }
  const at = (alpha: number) => {
    const dims = mdTableDims(tables, alpha, options);
    return { alpha, dims, parameters: parameterCount(tables, dims) };
  };
  const uniform = at(0);
  if (uniform.parameters <= budget) return { ...uniform, met: true };
  let fits = at(1);
  if (fits.parameters > budget) return { ...fits, met: false };
  let over = 0;
  for (let i = 0; i < iterations; ++i) {
    const middle = at((over + fits.alpha) / 2);
    if (middle.parameters <= budget) fits = middle;
    else over = middle.alpha;
  }
  return { ...fits, met: true };
}
