/**
 * Ids grouped by how often they occur, on a log scale: bin k holds the ids with frequency in
 * [2^k, 2^(k+1)). Each bin gives the median size its ids were given (what the size-vs-frequency
 * chart draws as a line), and, for tables too large to draw every id, an evenly spread sample
 * that keeps every bin represented, the sparse high-frequency ones included.
 */

export interface FrequencyBin {
  /** The bin holds frequencies low ≤ f < 2·low. */
  low: number;
  /** Its ids, in increasing order. */
  ids: number[];
  /** The median frequency of its ids: where the bin's median is drawn. */
  medianFrequency: number;
  /** The median size of its ids (the mean of the middle two for an even count). */
  medianSize: number;
}

/** The non-empty bins in increasing order of frequency; ids with frequency ≤ 0 are in none. */
export function frequencyBins(frequencies: ArrayLike<number>, sizes: ArrayLike<number>): FrequencyBin[] {
  const byBin = new Map<number, number[]>();
  for (let id = 0; id < frequencies.length; ++id) {
    const f = frequencies[id]!;
    if (!(f > 0)) continue;
    const k = Math.floor(Math.log2(f));
    let ids = byBin.get(k);
    if (ids === undefined) byBin.set(k, ids = []);
    ids.push(id);
  }
  return [...byBin.entries()].sort((a, b) => a[0] - b[0]).map(([k, ids]) => ({
    low: 2 ** k,
    ids,
    medianFrequency: median(ids.map((id) => frequencies[id]!)),
    medianSize: median(ids.map((id) => sizes[id]!)),
  }));
}

export function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * At most `cap` ids across the bins: the largest per-bin quota q with Σ min(count, q) ≤ cap,
 * so small bins keep all their ids, and from a larger bin q ids evenly spaced in id order.
 * Deterministic, so the same report draws the same points.
 */
export function sampleBins(bins: readonly FrequencyBin[], cap: number): number[] {
  const counts = bins.map((bin) => bin.ids.length);
  const taken = (quota: number) => counts.reduce((sum, count) => sum + Math.min(count, quota), 0);
  let quota = Math.max(0, ...counts);
  if (taken(quota) > cap) {
    // taken() grows with the quota: bisect for the largest quota that fits.
    let low = 0;
    let high = quota;
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      if (taken(mid) <= cap) low = mid; else high = mid;
    }
    quota = low;
  }
  const sample: number[] = [];
  for (const bin of bins) {
    const count = bin.ids.length;
    if (count <= quota) sample.push(...bin.ids);
    else for (let j = 0; j < quota; ++j) sample.push(bin.ids[Math.floor(j * count / quota)]!);
  }
  return sample;
}
