/**
 * MDE's blocks within a table (methods.md C §2: "rows are split into blocks, per table, or
 * frequency bands within a table"): the ids sorted by count, most frequent first, cut into bands
 * of doubling size. With K bands over n ids, band b holds about n·2^b/(2^K − 1) ids, so the
 * densest band is the smallest: md_solver, which sorts blocks by row count and anchors d0 on the
 * first, then gives d0 to the most frequent ids. Empty bands (small tables) are dropped.
 *
 * As md_solver's rows and queries: band b has n_b = its ids and k_b = its occurrences + n_b
 * (one extra occurrence per id, so an unseen id is rare rather than infinitely rare), so
 * n_b/k_b is the inverse of its ids' mean frequency and d_b ∝ (mean frequency)^α, the paper's
 * d ∝ p^α. A common scale of k does not change sizes anchored on d0.
 */
import { integerInRange } from "../../arguments.js";

export interface FrequencyBlocks {
  /** Ids from most to least frequent (ties: the smaller id first). */
  order: Int32Array;
  /** Band b is order[starts[b] .. starts[b + 1]). */
  starts: Int32Array;
  /** n_b, ids per band. */
  rows: Float64Array;
  /** k_b = occurrences + ids of each band. */
  queries: Float64Array;
}

export function frequencyBlocks(counts: ArrayLike<number>, bands: number): FrequencyBlocks {
  const K = integerInRange(bands, "blocks", 1, 30);
  const n = counts.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const cuts = new Set<number>();
  for (let b = 0; b <= K; ++b) cuts.add(Math.round((n * (2 ** b - 1)) / (2 ** K - 1)));
  const starts = Int32Array.from([...cuts].sort((a, b) => a - b));
  const bandsFound = starts.length - 1;
  const rows = new Float64Array(bandsFound);
  const queries = new Float64Array(bandsFound);
  for (let b = 0; b < bandsFound; ++b) {
    rows[b] = starts[b + 1]! - starts[b]!;
    let occurrences = 0;
    for (let i = starts[b]!; i < starts[b + 1]!; ++i) occurrences += counts[order[i]!]!;
    queries[b] = occurrences + rows[b]!;
  }
  return { order, starts, rows, queries };
}

/** Each id's size from its band's size. */
export function blockSizesToIds(blocks: FrequencyBlocks, dims: ArrayLike<number>): Int32Array {
  const sizes = new Int32Array(blocks.order.length);
  for (let b = 0; b + 1 < blocks.starts.length; ++b) {
    for (let i = blocks.starts[b]!; i < blocks.starts[b + 1]!; ++i) sizes[blocks.order[i]!] = dims[b]!;
  }
  return sizes;
}
