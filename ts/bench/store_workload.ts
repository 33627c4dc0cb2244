/**
 * The benchmark's input: a 1M-row mixed-dimension table whose sizes follow id frequency, and
 * batches of ids drawn Zipf-distributed over it.
 *
 * Sizes are assigned by frequency rank, as MDE and SCALL do: the hottest ids get the largest
 * rows. With Zipf s = 1.05 over 2^20 ids the top 1% of ids receive about three quarters of all
 * draws, so most lookups read a 128-float row even though the mean row holds about 7 floats.
 * That is the realistic and the hard case: the bytes a batch moves are set by the hot rows.
 *
 * Frequency rank r is mapped to id permutation[r], a seeded shuffle, so hot ids are scattered
 * over the id space as hashed categorical ids are, rather than all sitting at ids 0, 1, 2, ...
 */
import { mulberry32 } from "../data/random.js";
import { ZipfSampler } from "../data/zipf.js";

/** A share of the rows, in frequency-rank order, and the size they get. */
export interface SizeBand {
  size: number;
  fraction: number;
}

/** Hottest first: 1% of ids at 128, 2% at 64, 7% at 16, 20% at 8, 30% at 4, 40% at 2. */
export const sizePlan: readonly SizeBand[] = [
  { size: 128, fraction: 0.01 },
  { size: 64, fraction: 0.02 },
  { size: 16, fraction: 0.07 },
  { size: 8, fraction: 0.2 },
  { size: 4, fraction: 0.3 },
  { size: 2, fraction: 0.4 },
];

export interface WorkloadOptions {
  rows: number;
  candidates: readonly number[];
  batch: number;
  /** Distinct batches the timed runs cycle through, so one batch's cold rows don't stay cached. */
  batches: number;
  zipfExponent: number;
  seed: number;
}

export const defaultWorkload: WorkloadOptions = {
  rows: 1 << 20,
  candidates: [2, 4, 8, 16, 64, 128],
  batch: 65_536,
  batches: 4,
  zipfExponent: 1.05,
  seed: 2024,
};

/** What a batch touches: the sums the effective-byte counts are made of. */
export interface BatchShape {
  /** B. */
  ids: number;
  /** U, the distinct ids. */
  uniqueIds: number;
  /** Σ_b d(ids[b]): floats of rows a lookup reads. */
  idRowFloats: number;
  /** Σ_u d_u over the distinct ids: floats of rows an optimizer step updates. */
  uniqueRowFloats: number;
}

export interface StoreWorkload {
  options: WorkloadOptions;
  maxDim: number;
  /** Size of every id's row. */
  sizes: Int32Array;
  idBatches: Int32Array[];
  shapes: BatchShape[];
  /** dL/d(out) for one batch, [batch, maxDim]; the same values serve every batch. */
  gradOut: Float32Array;
}

export function buildWorkload(options: WorkloadOptions = defaultWorkload): StoreWorkload {
  const { rows, candidates, batch, batches, zipfExponent, seed } = options;
  const maxDim = candidates[candidates.length - 1]!;
  const idOfRank = seededPermutation(rows, seed);

  const sizes = new Int32Array(rows);
  let rank = 0;
  let cumulative = 0;
  for (const band of sizePlan) {
    cumulative += band.fraction;
    const end = Math.min(rows, Math.round(cumulative * rows));
    for (; rank < end; ++rank) sizes[idOfRank[rank]!] = band.size;
  }

  const zipf = new ZipfSampler({ n: rows, exponent: zipfExponent, seed });
  const idBatches: Int32Array[] = [];
  for (let b = 0; b < batches; ++b) {
    const ids = zipf.sample(batch);
    for (let i = 0; i < batch; ++i) ids[i] = idOfRank[ids[i]!]!;
    idBatches.push(ids);
  }

  // Small values keep repeated optimizer steps from driving weights anywhere odd.
  const uniform = mulberry32(seed + 2);
  const gradOut = new Float32Array(batch * maxDim);
  for (let i = 0; i < gradOut.length; ++i) gradOut[i] = (uniform() - 0.5) * 2e-3;

  return { options, maxDim, sizes, idBatches, shapes: idBatches.map((ids) => batchShape(ids, sizes)), gradOut };
}

export function batchShape(ids: Int32Array, sizes: Int32Array): BatchShape {
  const seen = new Uint8Array(sizes.length);
  let uniqueIds = 0;
  let idRowFloats = 0;
  let uniqueRowFloats = 0;
  for (const id of ids) {
    const size = sizes[id]!;
    idRowFloats += size;
    if (seen[id] === 0) {
      seen[id] = 1;
      uniqueIds += 1;
      uniqueRowFloats += size;
    }
  }
  return { ids: ids.length, uniqueIds, idRowFloats, uniqueRowFloats };
}

/** The mean of each field over the batches the runs cycle through. */
export function meanShape(shapes: readonly BatchShape[]): BatchShape {
  const mean = (field: keyof BatchShape) => shapes.reduce((sum, shape) => sum + shape[field], 0) / shapes.length;
  return { ids: mean("ids"), uniqueIds: mean("uniqueIds"), idRowFloats: mean("idRowFloats"),
           uniqueRowFloats: mean("uniqueRowFloats") };
}

/** Σ_i d_i / rows. */
export function meanRowSize(sizes: Int32Array): number {
  return sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
}

// Fisher–Yates with its own stream (seed + 1), so changing the batch count doesn't reshuffle ids.
function seededPermutation(n: number, seed: number): Int32Array {
  const uniform = mulberry32(seed + 1);
  const permutation = new Int32Array(n);
  for (let i = 0; i < n; ++i) permutation[i] = i;
  for (let i = n - 1; i > 0; --i) {
    const j = Math.floor(uniform() * (i + 1));
    const held = permutation[i]!;
    permutation[i] = permutation[j]!;
    permutation[j] = held;
  }
  return permutation;
}

/** The input as the results files state it. */
export function describeWorkload(workload: StoreWorkload): Record<string, unknown> {
  const { rows, candidates, batch, batches, zipfExponent, seed } = workload.options;
  const shape = meanShape(workload.shapes);
  const largest = workload.maxDim;
  const idsAtLargest = workload.idBatches.reduce(
    (count, ids) => count + ids.reduce((n, id) => n + (workload.sizes[id] === largest ? 1 : 0), 0), 0);
  return {
    rows,
    candidates,
    batch,
    batchesCycled: batches,
    ids: `Zipf(s = ${zipfExponent}) over the ${rows} rows (rejection-inversion, ts/data/zipf.ts), seed ${seed}; ` +
      "frequency rank r is id permutation[r], a seeded shuffle",
    sizePlan: "by frequency rank, hottest first: " +
      sizePlan.map((band) => `${Math.round(band.fraction * 100)}% at ${band.size}`).join(", ") +
      ". Zipf-hot ids therefore read the largest rows",
    meanRowSize: Number(meanRowSize(workload.sizes).toFixed(3)),
    meanSizePerLookup: Number((shape.idRowFloats / shape.ids).toFixed(2)),
    fractionOfLookupsAtLargestSize: Number((idsAtLargest / (batch * batches)).toFixed(4)),
    meanUniqueIdsPerBatch: Math.round(shape.uniqueIds),
    meanUniqueRowFloatsPerBatch: Math.round(shape.uniqueRowFloats),
    gradOut: "uniform in [-1e-3, 1e-3), one [batch, 128] tensor reused for every batch",
  };
}
