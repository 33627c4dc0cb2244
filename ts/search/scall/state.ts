/**
 * SCALL's state (methods.md D §4, STATE = 0): a vector of fixed length whatever the number of
 * users and items, which is what lets one policy size a table that grows and unseen ids.
 *
 *   [ pool_G(f_U) | pool_G(f_V) | R | |U|/(|U|+|V|) | ē_U | ē_V | σ_U | σ_V ]
 *
 * - pool_G(f): the side's current-segment frequencies sorted descending, min-max normalised,
 *   and mean-pooled into G groups of equal width (the reference's 256; Fig. 3 of the paper
 *   draws 5). A side with fewer ids than groups repeats each id over ⌈G/n⌉ groups;
 * - R: the previous raw reward (fitness / conv_fitness);
 * - ē_U, ē_V: the mean user and item embedding rows, each zero beyond its size, E wide (the
 *   reference's 256 = d_max);
 * - σ_U = ratio·(max p_U − min p_U)·P/255 and σ_V = (1 − ratio)·(max p_V − min p_V)·P/255: how
 *   far apart the last action's sizes are, from its power-law shares p.
 *
 * Length 2G + 2 + 2E + 2: 1028 for G = E = 256.
 */
import { integerInRange } from "../../arguments.js";

export interface ScallStateOptions {
  userFrequencies: ArrayLike<number>;
  itemFrequencies: ArrayLike<number>;
  /** The previous raw reward R (0 before the first). */
  reward: number;
  /** Mean user row, mean item row: at most `embeddingWidth` values each (missing ones are 0). */
  userMeanEmbedding: ArrayLike<number>;
  itemMeanEmbedding: ArrayLike<number>;
  /** The last action's users' share of the budget. */
  ratio: number;
  /** The last action's power-law shares per side (descending), and the budget P in floats. */
  userShares: ArrayLike<number>;
  itemShares: ArrayLike<number>;
  totalParams: number;
  /** G (default 256). */
  groups?: number;
  /** E (default 256). */
  embeddingWidth?: number;
}

export function stateLength(groups = 256, embeddingWidth = 256): number {
  return 2 * groups + 2 + 2 * embeddingWidth + 2;
}

/**
 * Frequencies sorted descending, min-max normalised to [0, 1] (all 0 when they are all equal),
 * then averaged over G groups of consecutive ranks, group g holding ranks ⌊g·n/G⌋ .. ⌊(g+1)·n/G⌋.
 */
export function pooledFrequencies(frequencies: ArrayLike<number>, groups: number): Float64Array {
  const g = integerInRange(groups, "groups", 1, 1 << 20);
  const n = frequencies.length;
  const pooled = new Float64Array(g);
  if (n === 0) return pooled;
  const sorted = Float64Array.from(frequencies).sort().reverse();
  const max = sorted[0]!;
  const min = sorted[n - 1]!;
  const span = max - min;
  for (let group = 0; group < g; ++group) {
    const start = Math.floor((group * n) / g);
    const end = Math.max(start + 1, Math.floor(((group + 1) * n) / g));
    let sum = 0;
    for (let k = start; k < end; ++k) sum += span > 0 ? (sorted[k]! - min) / span : 0;
    pooled[group] = sum / (end - start);
  }
  return pooled;
}

function spread(shares: ArrayLike<number>): number {
  if (shares.length === 0) return 0;
  return shares[0]! - shares[shares.length - 1]!;
}

/** The state vector (see the file comment). */
export function scallState(options: ScallStateOptions): Float32Array {
  const groups = options.groups ?? 256;
  const width = integerInRange(options.embeddingWidth ?? 256, "embeddingWidth", 1, 1 << 20);
  const state = new Float32Array(stateLength(groups, width));
  const users = options.userFrequencies.length;
  const items = options.itemFrequencies.length;
  let at = 0;
  state.set(pooledFrequencies(options.userFrequencies, groups), at);
  at += groups;
  state.set(pooledFrequencies(options.itemFrequencies, groups), at);
  at += groups;
  state[at++] = options.reward;
  state[at++] = users + items === 0 ? 0 : users / (users + items);
  for (const mean of [options.userMeanEmbedding, options.itemMeanEmbedding]) {
    for (let j = 0; j < Math.min(width, mean.length); ++j) state[at + j] = mean[j]!;
    at += width;
  }
  state[at++] = (options.ratio * spread(options.userShares) * options.totalParams) / 255;
  state[at++] = ((1 - options.ratio) * spread(options.itemShares) * options.totalParams) / 255;
  return state;
}

/** The mean of rows [first, first + count) of a row-major [*, width] table, padded rows as given. */
export function meanRow(rows: Float32Array, width: number, first: number, count: number): Float64Array {
  const mean = new Float64Array(width);
  if (count === 0) return mean;
  for (let r = first; r < first + count; ++r) {
    for (let j = 0; j < width; ++j) mean[j]! += rows[r * width + j]!;
  }
  for (let j = 0; j < width; ++j) mean[j]! /= count;
  return mean;
}
