/**
 * A row-sparse parameter: an embedding store whose gradient is the list of (ids, dL/d rows)
 * pairs its lookups received during backward. The optimizer hands them to the store's fused
 * step in one call, so no dense gradient the size of the table is ever built.
 */
import type { EmbeddingStore } from "../embedding_store.js";
import { Tensor } from "../tensor.js";

export class EmbeddingParameter {
  readonly store: EmbeddingStore;
  readonly name: string;
  #ids: Tensor<"int32">[] = [];
  #grads: Tensor<"float32">[] = [];

  constructor(store: EmbeddingStore, name: string) {
    this.store = store;
    this.name = name;
  }

  /** Called by the lookup op's backward. */
  accumulate(ids: Tensor<"int32">, gradRows: Tensor<"float32">): void {
    this.#ids.push(ids);
    this.#grads.push(gradRows);
  }

  get hasGrad(): boolean {
    return this.#ids.length > 0;
  }

  /** The accumulated gradient as one batch (ids, [n, maxDim]); repeated ids are summed by the store. */
  gradient(): { ids: Tensor<"int32">; grad: Tensor<"float32"> } | undefined {
    if (this.#ids.length === 0) return undefined;
    if (this.#ids.length === 1) return { ids: this.#ids[0]!, grad: this.#grads[0]! };
    const ids = concatenate(this.#ids.map((t) => t.toArray()), Int32Array);
    const grad = concatenate(this.#grads.map((t) => t.toArray()), Float32Array);
    const device = this.store.device;
    return {
      ids: Tensor.from(ids, { device }),
      grad: Tensor.from(grad, { shape: [ids.length, this.store.maxDim], device }),
    };
  }

  zeroGrad(): void {
    this.#ids = [];
    this.#grads = [];
  }
}

// Several lookups of one store in a step (e.g. LightGCN's users and items) are joined on the host;
// the common case, one lookup per step, stays on the device.
function concatenate<T extends Float32Array | Int32Array>(parts: T[], Type: { new (n: number): T }): T {
  const out = new Type(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
