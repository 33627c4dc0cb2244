/**
 * A float64 model of an embedding store, written from the definitions rather than from the
 * kernels: rows are plain arrays at their own size, gradients are summed per id, and each
 * optimizer follows its textbook update. Tests compare the native store against it.
 */
export interface ReferenceOptimizer {
  type: "sgd" | "adam" | "adagrad";
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class ReferenceStore {
  rows: Float64Array[] = [];
  m: Float64Array[] = [];
  v: Float64Array[] = [];
  accumulator: number[] = [];
  t = 0;

  constructor(readonly maxDim: number, readonly optimizer: ReferenceOptimizer) {}

  /** Sets rows from padded values [n, maxDim], as writeRows does. */
  setRows(sizes: ArrayLike<number>, padded: Float32Array): void {
    this.rows = [];
    for (let i = 0; i < sizes.length; ++i) {
      this.rows.push(Float64Array.from(padded.subarray(i * this.maxDim, i * this.maxDim + sizes[i]!)));
    }
    this.m = this.rows.map((row) => new Float64Array(row.length));
    this.v = this.rows.map((row) => new Float64Array(row.length));
    this.accumulator = this.rows.map(() => 0);
  }

  lookup(ids: ArrayLike<number>): Float64Array {
    const out = new Float64Array(ids.length * this.maxDim);
    for (let b = 0; b < ids.length; ++b) out.set(this.rows[ids[b]!]!, b * this.maxDim);
    return out;
  }

  /** Per unique id, the sum of its gradient rows, at the row's size. */
  sparseGradient(ids: ArrayLike<number>, gradOut: ArrayLike<number>): Map<number, Float64Array> {
    const sums = new Map<number, Float64Array>();
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      const row = sums.get(id) ?? new Float64Array(this.rows[id]!.length);
      for (let j = 0; j < row.length; ++j) row[j]! += gradOut[b * this.maxDim + j]!;
      sums.set(id, row);
    }
    return sums;
  }

  step(ids: ArrayLike<number>, gradOut: ArrayLike<number>): void {
    this.t += 1;
    const o = this.optimizer;
    for (const [id, g] of this.sparseGradient(ids, gradOut)) {
      const w = this.rows[id]!;
      const decayed = g.map((gj, j) => gj + o.weightDecay * w[j]!);
      if (o.type === "sgd") {
        for (let j = 0; j < w.length; ++j) w[j]! -= o.learningRate * decayed[j]!;
      } else if (o.type === "adam") {
        const m = this.m[id]!;
        const v = this.v[id]!;
        for (let j = 0; j < w.length; ++j) {
          m[j] = o.beta1 * m[j]! + (1 - o.beta1) * decayed[j]!;
          v[j] = o.beta2 * v[j]! + (1 - o.beta2) * decayed[j]! ** 2;
          const mHat = m[j]! / (1 - o.beta1 ** this.t);
          const vHat = v[j]! / (1 - o.beta2 ** this.t);
          w[j]! -= (o.learningRate * mHat) / (Math.sqrt(vHat) + o.eps);
        }
      } else {
        this.accumulator[id]! += decayed.reduce((sum, gj) => sum + gj * gj, 0) / w.length;
        for (let j = 0; j < w.length; ++j) {
          w[j]! -= (o.learningRate * decayed[j]!) / (Math.sqrt(this.accumulator[id]!) + o.eps);
        }
      }
    }
  }

  /** Truncate or zero-extend (state too), or take init's values with fresh state. */
  resize(ids: ArrayLike<number>, sizes: ArrayLike<number>, init?: Float32Array): void {
    const fit = (row: Float64Array, size: number) => {
      const out = new Float64Array(size);
      out.set(row.subarray(0, Math.min(size, row.length)));
      return out;
    };
    for (let i = 0; i < ids.length; ++i) {
      const id = ids[i]!;
      const size = sizes[i]!;
      if (init !== undefined) {
        this.rows[id] = Float64Array.from(init.subarray(i * this.maxDim, i * this.maxDim + size));
        this.m[id] = new Float64Array(size);
        this.v[id] = new Float64Array(size);
        this.accumulator[id] = 0;
      } else {
        this.rows[id] = fit(this.rows[id]!, size);
        this.m[id] = fit(this.m[id]!, size);
        this.v[id] = fit(this.v[id]!, size);
      }
    }
  }

  padded(): Float64Array {
    return this.lookup(this.rows.map((_, id) => id));
  }
}

/** max |a - b| / max(1, max |b|): a relative error that tolerates values near zero. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < expected.length; ++i) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; ++i) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(error)) return Infinity;
    worst = Math.max(worst, error);
  }
  return worst / scale;
}
