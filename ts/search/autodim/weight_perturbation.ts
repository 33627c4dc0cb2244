/**
 * In-place moves of a model's weights along a gradient, and their undoing: what DARTS's
 * second-order step needs (the virtual step W' = W − ξ∇W L_train and the finite-difference
 * points W ± ε·∇W' L_val). Dense weights are copied on their device; embedding tables move only
 * the rows the gradient touched, each saved on the host before its first move.
 */
import type { Variable } from "../../autograd/variable.js";
import type { EmbeddingStore } from "../../embedding_store.js";
import { EmbeddingParameter } from "../../modules/embedding_parameter.js";
import type { Parameter } from "../../modules/module.js";
import { addScaledInPlace, linearCombination, scale } from "../../ops/elementwise.js";
import { Tensor } from "../../tensor.js";

/** A host copy of the weights' current gradients: dense ones whole, sparse ones as unique rows. */
export interface WeightGradients {
  dense: Map<Variable, Float32Array>;
  sparse: Map<EmbeddingStore, { ids: Int32Array; rows: Float32Array }>;
}

/** Copies the gradients backward() left on `weights` (parameters without one are skipped). */
export function captureGradients(weights: readonly Parameter[]): WeightGradients {
  const gradients: WeightGradients = { dense: new Map(), sparse: new Map() };
  for (const p of weights) {
    if (p instanceof EmbeddingParameter) {
      const gradient = p.gradient();
      if (gradient === undefined) continue;
      const unique = p.store.sparseGradient(gradient.ids, gradient.grad);
      gradients.sparse.set(p.store, { ids: Int32Array.from(unique.ids.toArray()), rows: Float32Array.from(unique.values.toArray()) });
    } else if (p.grad !== undefined) {
      gradients.dense.set(p, Float32Array.from(p.grad.toArray()));
    }
  }
  return gradients;
}

/** ‖g‖₂ over every dense and sparse entry. */
export function gradientNorm(gradients: WeightGradients): number {
  let sum = 0;
  for (const g of gradients.dense.values()) for (const x of g) sum += x * x;
  for (const { rows } of gradients.sparse.values()) for (const x of rows) sum += x * x;
  return Math.sqrt(sum);
}

export class WeightPerturbation {
  readonly #dense = new Map<Variable, Tensor<"float32">>();
  readonly #rows = new Map<EmbeddingStore, Map<number, Float32Array>>();

  /** w ← w + step·g for every weight and row in `gradients`, saving each original first. */
  add(gradients: WeightGradients, step: number): void {
    for (const [p, g] of gradients.dense) {
      if (!this.#dense.has(p)) this.#dense.set(p, scale(p.value, 1));
      const direction = Tensor.from(g, { shape: p.shape, device: p.device });
      addScaledInPlace(p.value, step, direction);
      direction.dispose();
    }
    for (const [store, { ids, rows }] of gradients.sparse) {
      let saved = this.#rows.get(store);
      if (saved === undefined) this.#rows.set(store, saved = new Map());
      const width = store.maxDim;
      const values = store.readRows(ids);
      ids.forEach((id, i) => {
        if (!saved.has(id)) saved.set(id, values.slice(i * width, (i + 1) * width));
      });
      for (let j = 0; j < values.length; ++j) values[j]! += step * rows[j]!;
      store.writeRows(ids, values);
    }
  }

  /** Puts every moved weight and row back as it was before the first add(). */
  restore(): void {
    for (const [p, original] of this.#dense) {
      linearCombination(1, original, 0, original, p.value);
      original.dispose();
    }
    this.#dense.clear();
    for (const [store, saved] of this.#rows) {
      const ids = Int32Array.from(saved.keys());
      const values = new Float32Array(ids.length * store.maxDim);
      ids.forEach((id, i) => values.set(saved.get(id)!, i * store.maxDim));
      store.writeRows(ids, values);
    }
    this.#rows.clear();
  }
}
