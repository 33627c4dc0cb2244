/**
 * A model of an embedding store that predicts the store's bits: each row is a Float32Array at
 * its own size, and every optimizer update is written from its formula in
 * native/kernels/sparse_optimizer.h with each float operation rounded by Math.fround, in the
 * order the kernels evaluate it (gradients of a row summed in batch order, Adagrad's squares in
 * increasing j). Basic float operations are correctly rounded, and the native code is built
 * without contraction, so the two agree bit for bit. New rows come from the Philox reference.
 *
 * test/support/reference_store.ts is the float64 textbook model; this one is the exact one.
 */
import { initialRow } from "./philox.js";

const f = Math.fround;

export type ModelOptimizerType = "sgd" | "adam" | "adagrad";

export interface ModelOptimizer {
  type: ModelOptimizerType;
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** The optimizer state fields a type keeps, as readRows names them. */
export const stateFields: Record<ModelOptimizerType, ("moment1" | "moment2" | "rowState")[]> = {
  sgd: [],
  adam: ["moment1", "moment2"],
  adagrad: ["rowState"],
};

export class ExactStoreModel {
  rows: Float32Array[] = [];
  moment1: Float32Array[] = [];
  moment2: Float32Array[] = [];
  rowState: Float32Array[] = [];  // one float per row
  stepCount = 0;
  optimizer: ModelOptimizer;

  constructor(readonly maxDim: number, readonly seed: number, readonly initStd: number, optimizer: ModelOptimizer) {
    this.optimizer = asFloats(optimizer);
  }

  get numRows(): number {
    return this.rows.length;
  }

  sizes(): number[] {
    return this.rows.map((row) => row.length);
  }

  /** Σ d_i · 4. */
  rowBytes(): number {
    return this.rows.reduce((sum, row) => sum + row.length * 4, 0);
  }

  addRows(sizes: readonly number[]): number {
    const first = this.numRows;
    sizes.forEach((size, i) => {
      this.rows.push(initialRow(this.seed, first + i, size, this.initStd));
      this.moment1.push(new Float32Array(size));
      this.moment2.push(new Float32Array(size));
      this.rowState.push(new Float32Array(1));
    });
    return first;
  }

  /** Without init: truncate or zero-extend, state too. With init: take its values, state afresh. */
  resize(ids: readonly number[], sizes: readonly number[], init?: Float32Array): void {
    ids.forEach((id, i) => {
      const size = sizes[i]!;
      if (init !== undefined) {
        this.rows[id] = init.slice(i * this.maxDim, i * this.maxDim + size);
        this.moment1[id] = new Float32Array(size);
        this.moment2[id] = new Float32Array(size);
        this.rowState[id] = new Float32Array(1);
      } else {
        this.rows[id] = fit(this.rows[id]!, size);
        this.moment1[id] = fit(this.moment1[id]!, size);
        this.moment2[id] = fit(this.moment2[id]!, size);
      }
    });
  }

  /** Rows padded with zeros to maxDim, [ids.length, maxDim]. */
  lookup(ids: ArrayLike<number>): Float32Array {
    return this.padded(this.rows, ids);
  }

  /** The rows of a field (weights or optimizer state), padded to maxDim. */
  read(ids: ArrayLike<number>, field: "weights" | "moment1" | "moment2" | "rowState"): Float32Array {
    return this.padded(this.fieldRows(field), ids);
  }

  /** Each row takes the first d_i values of its padded row (one for rowState). */
  write(ids: readonly number[], values: Float32Array, field: "weights" | "moment1" | "moment2" | "rowState"): void {
    const target = this.fieldRows(field);
    ids.forEach((id, i) => {
      target[id] = values.slice(i * this.maxDim, i * this.maxDim + target[id]!.length);
    });
  }

  /** The unique ids, increasing, and each one's gradient rows summed in batch order. */
  sparseGradient(ids: ArrayLike<number>, gradOut: Float32Array): { ids: number[]; values: Float32Array } {
    const sums = this.gradientSums(ids, gradOut);
    const unique = [...sums.keys()].sort((a, b) => a - b);
    const values = new Float32Array(unique.length * this.maxDim);
    unique.forEach((id, u) => values.set(sums.get(id)!, u * this.maxDim));
    return { ids: unique, values };
  }

  step(ids: ArrayLike<number>, gradOut: Float32Array): void {
    const t = this.stepCount + 1;
    const o = this.optimizer;
    // As EmbeddingStore::fused_step: 1 − β^t in double, rounded to float.
    const correction1 = f(1 - Math.pow(o.beta1, t));
    const correction2 = f(1 - Math.pow(o.beta2, t));
    for (const [id, g] of this.gradientSums(ids, gradOut)) {
      const w = this.rows[id]!;
      const decayed = (j: number) => f(g[j]! + f(o.weightDecay * w[j]!));
      if (o.type === "sgd") {
        for (let j = 0; j < w.length; ++j) w[j] = f(w[j]! - f(o.learningRate * decayed(j)));
      } else if (o.type === "adam") {
        const m = this.moment1[id]!;
        const v = this.moment2[id]!;
        for (let j = 0; j < w.length; ++j) {
          const gd = decayed(j);
          m[j] = f(f(o.beta1 * m[j]!) + f(f(1 - o.beta1) * gd));
          v[j] = f(f(o.beta2 * v[j]!) + f(f(f(1 - o.beta2) * gd) * gd));
          const mHat = f(m[j]! / correction1);
          const vHat = f(v[j]! / correction2);
          w[j] = f(w[j]! - f(f(o.learningRate * mHat) / f(f(Math.sqrt(vHat)) + o.eps)));
        }
      } else {
        let squares = 0;
        for (let j = 0; j < w.length; ++j) squares = f(squares + f(decayed(j) * decayed(j)));
        const state = this.rowState[id]!;
        state[0] = f(state[0]! + f(squares / w.length));
        const denominator = f(f(Math.sqrt(state[0]!)) + o.eps);
        for (let j = 0; j < w.length; ++j) w[j] = f(w[j]! - f(f(o.learningRate * decayed(j)) / denominator));
      }
    }
    this.stepCount = t;
  }

  /** Another type starts from zeroed state and step 0; the same type keeps its state. */
  setOptimizer(optimizer: ModelOptimizer): void {
    if (optimizer.type !== this.optimizer.type) {
      this.moment1 = this.rows.map((row) => new Float32Array(row.length));
      this.moment2 = this.rows.map((row) => new Float32Array(row.length));
      this.rowState = this.rows.map(() => new Float32Array(1));
      this.stepCount = 0;
    }
    this.optimizer = asFloats(optimizer);
  }

  setLearningRate(learningRate: number): void {
    this.optimizer = { ...this.optimizer, learningRate: f(learningRate) };
  }

  private gradientSums(ids: ArrayLike<number>, gradOut: Float32Array): Map<number, Float32Array> {
    const sums = new Map<number, Float32Array>();
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      const sum = sums.get(id) ?? new Float32Array(this.rows[id]!.length);
      for (let j = 0; j < sum.length; ++j) sum[j] = f(sum[j]! + gradOut[b * this.maxDim + j]!);
      sums.set(id, sum);
    }
    return sums;
  }

  private fieldRows(field: "weights" | "moment1" | "moment2" | "rowState"): Float32Array[] {
    return field === "weights" ? this.rows : field === "moment1" ? this.moment1 : field === "moment2" ? this.moment2 : this.rowState;
  }

  private padded(rows: Float32Array[], ids: ArrayLike<number>): Float32Array {
    const out = new Float32Array(ids.length * this.maxDim);
    for (let b = 0; b < ids.length; ++b) out.set(rows[ids[b]!]!, b * this.maxDim);
    return out;
  }
}

function fit(row: Float32Array, size: number): Float32Array {
  const out = new Float32Array(size);
  out.set(row.subarray(0, Math.min(size, row.length)));
  return out;
}

/** The hyperparameters as the addon keeps them: floats. */
function asFloats(o: ModelOptimizer): ModelOptimizer {
  return { type: o.type, learningRate: f(o.learningRate), beta1: f(o.beta1), beta2: f(o.beta2), eps: f(o.eps), weightDecay: f(o.weightDecay) };
}
