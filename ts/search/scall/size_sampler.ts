/**
 * SCALL's embedding-size sampler (methods.md D §3), with the budget held exactly.
 *
 * For n ids of one side and a power-law exponent α:
 *
 *   p_k ∝ (1 − k/(n+1))^(1/α),  k = 1..n                       (Σ p = 1, descending)
 *
 * the expected order statistics of n draws of scipy's powerlaw(α) (pdf α·x^(α−1) on [0, 1]),
 * sorted descending: the deterministic stand-in for the reference's 100 averaged sorted draws.
 * Small α gives a few large sizes and many at the floor; large α gives near-uniform sizes.
 *
 * Sizes for a budget of P floats on one side, as the reference's exploitation loop means them
 * (clip to [d_min, d_max], renormalise, rescale, repeat), but solved rather than iterated:
 *
 *   s_k(λ) = clip(λ·p_k, d_min, d_max),   λ such that Σ_k s_k(λ) = P    (water-filling)
 *
 * Σ s(λ) is continuous and non-decreasing in λ, from n·d_min to n·d_max, so λ exists for every
 * P in that range; it is found by bisection, each evaluation O(log n) with prefix sums of p.
 * Rounding is then repaired, not left to chance: λ is taken from below, so d_k = ⌊s_k⌋ loses
 * r = P − Σ d_k < n floats (plus the bisection's last sliver), and the r most important ids below
 * d_max get one more (an overshoot, which floating point could only make of a float or two,
 * would take one from the least important above d_min). So Σ d_k = P exactly, every d_k differs from s_k by less
 * than 1, and sizes stay non-increasing in rank. A budget above n·d_max is met with every id at
 * d_max (Σ = n·d_max, the most there is to use); one below n·d_min is a RangeError.
 *
 * The reference rounds after its loop and so misses the budget by up to 1.5% either way, and in
 * exploration it skips the loop and overshoots; here both modes hold Σ = P.
 *
 * Both sides: the action's ratio gives the users P_U = round(ratio·P), moved into the range
 * where both sides can be met ([n_U·d_min, n_U·d_max] and P − P_U in the items' range), so the
 * total is exact whenever (n_U + n_I)·d_min ≤ P ≤ (n_U + n_I)·d_max, even when a side has one id.
 *
 * Ranks: the k-th most frequent id (current-segment frequency, ties to the larger id, i.e. the
 * newer entity) gets the k-th largest size. Ids never seen have frequency 0 and so get the
 * smallest sizes, still inside the budget: that is how unseen ids get a size.
 *
 * Storage: SCALL's candidate sizes are every integer in [d_min, d_max] (1..256), but an
 * EmbeddingStore holds at most 16 size classes. `limitSizeClasses` keeps an exact plan within
 * that: 14 shared levels, each id floored to a level and the most important stepped back up
 * while the budget allows, then the last remainder (smaller than any step left) given to one id
 * per table, so Σ is still exactly P with at most 14 + 2 distinct sizes.
 */
import { integerInRange, numberInRange } from "../../arguments.js";

/** Sizes are integers in [minSize, maxSize]; the reference's MIN_EMB_SIZE and MAX_EMB_SIZE are 1 and 256. */
export interface SizeRange {
  minSize: number;
  maxSize: number;
}

export const referenceSizeRange: SizeRange = { minSize: 1, maxSize: 256 };

/** SCALL's action in its own units: the users' share of the budget and each side's power-law α. */
export interface SizeAction {
  /** In [0, 1]: users get ratio·P, items the rest. */
  ratio: number;
  userAlpha: number;
  itemAlpha: number;
}

/** α's range: the action's (0, 1) outputs map linearly onto it, as in the reference's Config. */
export const alphaRange = { min: 0.1, max: 30 } as const;

/** The budget in one of SCALL's two modes: a total of P floats, or a mean size c (P = ⌊c·(n_U + n_I)⌋). */
export type SizeBudget = { totalParams: number } | { meanSize: number };

function checkRange(range: SizeRange): SizeRange {
  const minSize = integerInRange(range.minSize, "minSize", 1, 65536);
  const maxSize = integerInRange(range.maxSize, "maxSize", minSize, 65536);
  return { minSize, maxSize };
}

/** p_k ∝ (1 − k/(n+1))^(1/α), k = 1..n, normalised: descending shares that sum to 1. */
export function powerLawShares(n: number, alpha: number): Float64Array {
  const count = integerInRange(n, "n", 0, 2 ** 31 - 1);
  const a = numberInRange(alpha, "alpha", 0, Infinity, true);
  const shares = new Float64Array(count);
  // Work in logs: (1 − k/(n+1))^(1/α) underflows for small α and large n; shifting by the
  // largest exponent keeps the top share at 1 before normalising.
  const top = Math.log1p(-1 / (count + 1)) / a;
  let sum = 0;
  for (let k = 1; k <= count; ++k) {
    const value = Math.exp(Math.log1p(-k / (count + 1)) / a - top);
    shares[k - 1] = value;
    sum += value;
  }
  for (let k = 0; k < count; ++k) shares[k]! /= sum;
  return shares;
}

/**
 * Integer sizes for descending shares and a budget of `total` floats: water-filling to the
 * clip range, then the exact rounding repair (see the file comment). Non-increasing, in
 * [minSize, maxSize], Σ = min(⌊total⌋, n·maxSize).
 */
export function allocateSizes(shares: Float64Array, total: number, range: SizeRange = referenceSizeRange): Int32Array {
  const { minSize, maxSize } = checkRange(range);
  const n = shares.length;
  const budget = Math.floor(numberInRange(total, "total", 0, Number.MAX_SAFE_INTEGER));
  if (budget < n * minSize) {
    throw new RangeError(`total = ${budget} floats cannot give ${n} ids the smallest size ${minSize} (${n * minSize} floats)`);
  }
  const sizes = new Int32Array(n);
  if (n === 0) return sizes;
  if (budget >= n * maxSize) return sizes.fill(maxSize);

  // suffix[k] = Σ_{j≥k} p_j, summed from the smallest share up so that tail sums of tiny shares
  // (α = 0.1 gives 10⁻²⁰) keep their digits. With p descending, the ids at maxSize are a prefix
  // and those at minSize a suffix, found by binary search for each λ.
  const suffix = new Float64Array(n + 1);
  for (let k = n - 1; k >= 0; --k) suffix[k] = suffix[k + 1]! + shares[k]!;
  const firstBelow = (threshold: number): number => {   // first k with p_k < threshold
    let low = 0;
    let high = n;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (shares[mid]! >= threshold) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  const filled = (lambda: number): number => {
    const capped = firstBelow(maxSize / lambda);           // p_k·λ ≥ maxSize for k < capped
    const floored = firstBelow(minSize / lambda);          // p_k·λ ≥ minSize for k < floored
    return capped * maxSize + lambda * (suffix[capped]! - suffix[floored]!) + (n - floored) * minSize;
  };
  // An upper bracket: every id with a share at maxSize (shares that underflowed to 0 stay at
  // minSize, and the repair below makes up for them).
  let smallest = Infinity;
  for (let k = n - 1; k >= 0 && smallest === Infinity; --k) if (shares[k]! > 0) smallest = shares[k]!;
  let low = 0;
  let high = smallest === Infinity ? 1 : maxSize / smallest;
  for (let iteration = 0; iteration < 200 && high - low > high * 1e-15; ++iteration) {
    const mid = 0.5 * (low + high);
    if (filled(mid) < budget) low = mid;
    else high = mid;
  }
  // At λ = low the allocation is just below the budget, so flooring leaves a shortfall to add.
  let used = 0;
  for (let k = 0; k < n; ++k) {
    const size = Math.floor(Math.min(maxSize, Math.max(minSize, low * shares[k]!)));
    sizes[k] = size;
    used += size;
  }
  repairTotal(sizes, budget - used, minSize, maxSize);
  return sizes;
}

/**
 * Adds `missing` floats (or removes −missing) one at a time: +1 to the most important ids
 * below maxSize, −1 from the least important above minSize, pass after pass. The caller
 * guarantees the target is reachable. Keeps non-increasing sizes non-increasing.
 */
function repairTotal(sizes: Int32Array, missing: number, minSize: number, maxSize: number): void {
  let r = missing;
  while (r > 0) {
    for (let k = 0; k < sizes.length && r > 0; ++k) {
      if (sizes[k]! < maxSize) {
        sizes[k]! += 1;
        --r;
      }
    }
  }
  while (r < 0) {
    for (let k = sizes.length - 1; k >= 0 && r < 0; --k) {
      if (sizes[k]! > minSize) {
        sizes[k]! -= 1;
        ++r;
      }
    }
  }
}

/**
 * Ids from most to least important: by frequency descending, ties to the larger id (the newer
 * entity), as the reference's assign_sizes_by_importance orders them.
 */
export function rankByFrequency(frequencies: ArrayLike<number>): Int32Array {
  const n = frequencies.length;
  const order = new Int32Array(n);
  for (let k = 0; k < n; ++k) order[k] = n - 1 - k;
  // Integer counts take a stable counting sort over ids taken from the largest down (O(n + max));
  // anything else a comparator sort.
  let max = 0;
  let integers = true;
  for (let id = 0; id < n; ++id) {
    const f = frequencies[id]!;
    if (!Number.isInteger(f) || f < 0) integers = false;
    else if (f > max) max = f;
  }
  if (!integers || max > 4 * n + 1024) {
    return order.sort((a, b) => frequencies[b]! - frequencies[a]! || b - a);
  }
  const start = new Int32Array(max + 2);
  for (let id = 0; id < n; ++id) start[max - frequencies[id]! + 1]! += 1;
  for (let f = 0; f <= max; ++f) start[f + 1]! += start[f]!;
  const ranked = new Int32Array(n);
  for (const id of order) ranked[start[max - frequencies[id]!]!++] = id;
  return ranked;
}

/** The k-th ranked id gets the k-th size: sizes (non-increasing) placed by rank. */
export function assignByRank(rankedSizes: Int32Array, frequencies: ArrayLike<number>): Int32Array {
  const order = rankByFrequency(frequencies);
  const sizes = new Int32Array(order.length);
  order.forEach((id, k) => { sizes[id] = rankedSizes[k]!; });
  return sizes;
}

/** P in floats for `ids` ids: the total, or ⌊c·ids⌋. */
export function budgetParams(budget: SizeBudget, ids: number): number {
  if ("totalParams" in budget) return Math.floor(numberInRange(budget.totalParams, "budget.totalParams", 0, Number.MAX_SAFE_INTEGER));
  return Math.floor(numberInRange(budget.meanSize, "budget.meanSize", 0, 65536) * ids);
}

/** Splits P between the sides: round(ratio·P), moved into the range where both sides can be met. */
export function splitBudget(total: number, ratio: number, users: number, items: number, range: SizeRange): [number, number] {
  const { minSize, maxSize } = checkRange(range);
  const share = numberInRange(ratio, "ratio", 0, 1);
  const low = Math.max(users * minSize, total - items * maxSize);
  const high = Math.min(users * maxSize, total - items * minSize);
  if (low > high) {
    // The total is outside [(U+I)·d_min, (U+I)·d_max]: the callers' range checks decide.
    const userParams = total >= (users + items) * maxSize ? users * maxSize : users * minSize;
    return [userParams, total - userParams];
  }
  const userParams = Math.min(high, Math.max(low, Math.round(share * total)));
  return [userParams, total - userParams];
}

export interface SampleSizesOptions {
  /** How often each user occurs in the current segment's training rows (0 for the unseen). */
  userFrequencies: ArrayLike<number>;
  itemFrequencies: ArrayLike<number>;
  action: SizeAction;
  budget: SizeBudget;
  range?: SizeRange;
}

export interface SampledSizes {
  /** Each user's size, by id. */
  users: Int32Array;
  items: Int32Array;
  /** The budget P in floats; Σ sizes = P when (n_U + n_I)·d_min ≤ P ≤ (n_U + n_I)·d_max. */
  totalParams: number;
  /** Each side's shares p (descending), for the state's spread scalars. */
  userShares: Float64Array;
  itemShares: Float64Array;
}

/**
 * SCALL's sizes for every id of both sides from one action: the power law per side, the budget
 * split by the ratio, exact integer sizes, and sizes placed by current-segment frequency rank.
 *
 * @example
 * const sizes = sampleSizes({ userFrequencies, itemFrequencies, budget: { meanSize: 10 },
 *                             action: { ratio: 0.5, userAlpha: 1, itemAlpha: 3 } });
 * sizes.users[17];   // user 17's size, in 1..256
 */
export function sampleSizes(options: SampleSizesOptions): SampledSizes {
  const range = checkRange(options.range ?? referenceSizeRange);
  const { userFrequencies, itemFrequencies, action } = options;
  const users = userFrequencies.length;
  const items = itemFrequencies.length;
  const totalParams = Math.min(budgetParams(options.budget, users + items), Number.MAX_SAFE_INTEGER);
  if (totalParams < (users + items) * range.minSize) {
    throw new RangeError(`a budget of ${totalParams} floats cannot give ${users + items} ids the smallest size ${range.minSize}`);
  }
  const [userParams, itemParams] = splitBudget(totalParams, action.ratio, users, items, range);
  const userShares = powerLawShares(users, action.userAlpha);
  const itemShares = powerLawShares(items, action.itemAlpha);
  return {
    users: assignByRank(allocateSizes(userShares, userParams, range), userFrequencies),
    items: assignByRank(allocateSizes(itemShares, itemParams, range), itemFrequencies),
    totalParams,
    userShares,
    itemShares,
  };
}

/** Every id at one size, the budget spread evenly with the same exact repair: SCALL's segment 0. */
export function uniformSizes(users: number, items: number, budget: SizeBudget, range: SizeRange = referenceSizeRange):
    { users: Int32Array; items: Int32Array; totalParams: number } {
  const totalParams = budgetParams(budget, users + items);
  const [userParams, itemParams] = splitBudget(totalParams, users / Math.max(1, users + items), users, items, range);
  return {
    users: allocateSizes(new Float64Array(users).fill(1 / Math.max(1, users)), userParams, range),
    items: allocateSizes(new Float64Array(items).fill(1 / Math.max(1, items)), itemParams, range),
    totalParams,
  };
}

/**
 * At most `maxClasses` distinct sizes across the tables, with each table's sum unchanged
 * (see the file comment). `importance` gives each table's ids from most to least important;
 * returns new size arrays (or the same ones when they already fit).
 */
export function limitSizeClasses(tables: readonly Int32Array[], importance: readonly Int32Array[],
                                 maxClasses = 16): Int32Array[] {
  const limit = integerInRange(maxClasses, "maxClasses", tables.length + 2, 65536);
  const distinct = new Set<number>();
  for (const sizes of tables) for (const d of sizes) distinct.add(d);
  if (distinct.size <= limit) return tables.slice();
  const levels = sizeLevels(Math.min(...distinct), Math.max(...distinct), limit - tables.length);
  return tables.map((sizes, t) => snapToLevels(sizes, importance[t]!, levels, true));
}

/** `count` distinct integer levels from low to high, geometrically spaced (gaps of at least 1). */
export function sizeLevels(low: number, high: number, count: number): number[] {
  if (high - low + 1 <= count) return Array.from({ length: high - low + 1 }, (_, k) => low + k);
  const levels = new Set<number>();
  for (let k = 0; k < count; ++k) levels.add(Math.round(low * (high / low) ** (k / (count - 1))));
  const sorted = () => [...levels].sort((a, b) => a - b);
  // Rounding merges neighbours at the low end: split the widest relative gap until there are enough.
  while (levels.size < count) {
    const list = sorted();
    let best = -1;
    for (let k = 0; k + 1 < list.length; ++k) {
      if (list[k + 1]! - list[k]! > 1 && (best < 0 || list[k + 1]! / list[k]! > list[best + 1]! / list[best]!)) best = k;
    }
    levels.add(Math.floor((list[best]! + list[best + 1]!) / 2));
  }
  return sorted();
}

/**
 * Sizes on the given levels (ascending; the lowest at most every size), Σ at most the input's:
 * each id is floored to a level, then the most important ids that were floored step back up
 * while the shortfall allows, then any id may step up; with `remainder`, what is left (less than
 * every step still possible) is added to one id, so the sum is unchanged. Without it the sum is
 * short by less than the smallest step possible.
 */
export function snapToLevels(sizes: Int32Array, importance: Int32Array, levels: readonly number[], remainder: boolean): Int32Array {
  const n = sizes.length;
  const level = new Int32Array(n);
  const snapped = new Int32Array(n);
  let shortfall = 0;
  for (let id = 0; id < n; ++id) {
    let k = 0;
    while (k + 1 < levels.length && levels[k + 1]! <= sizes[id]!) ++k;
    if (levels[k]! > sizes[id]!) throw new RangeError(`size ${sizes[id]} of id ${id} is below the lowest level ${levels[0]}`);
    level[id] = k;
    snapped[id] = levels[k]!;
    shortfall += sizes[id]! - levels[k]!;
  }
  const step = (id: number) => levels[level[id]! + 1]! - levels[level[id]!]!;
  const stepUp = (id: number) => {
    shortfall -= step(id);
    level[id]! += 1;
    snapped[id] = levels[level[id]!]!;
  };
  for (const id of importance) {
    if (snapped[id]! < sizes[id]! && level[id]! + 1 < levels.length && step(id) <= shortfall) stepUp(id);
  }
  for (let moved = true; moved && shortfall > 0;) {
    moved = false;
    for (const id of importance) {
      if (level[id]! + 1 < levels.length && step(id) <= shortfall) {
        stepUp(id);
        moved = true;
      }
    }
  }
  if (remainder && shortfall > 0) {
    // Every id below the top level has a step larger than the shortfall (else it would have
    // moved), so the first-ranked id of the highest such level stays below the level above,
    // and below every more important id.
    let chosen = -1;
    for (const id of importance) {
      if (level[id]! + 1 < levels.length && (chosen < 0 || level[id]! > level[chosen]!)) chosen = id;
    }
    if (chosen < 0) throw new Error("snapToLevels: a shortfall remains with every id at the top level");
    snapped[chosen]! += shortfall;
    shortfall = 0;
  }
  return snapped;
}
