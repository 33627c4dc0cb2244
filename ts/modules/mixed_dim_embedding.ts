/**
 * MixedDimEmbedding: an embedding layer over the mixed-dimension store. forward(ids) gives the
 * rows padded to maxDim (zero beyond each id's size); sizes change with resize() and new ids
 * arrive with addRows(), while training. Embedding is the fixed-size special case.
 */
import { embeddingLookup } from "../autograd/ops/embedding_op.js";
import type { Variable } from "../autograd/variable.js";
import { int32Array, integerInRange } from "../arguments.js";
import { EmbeddingStore, type EmbeddingStoreOptions } from "../embedding_store.js";
import { Tensor } from "../tensor.js";
import { EmbeddingParameter } from "./embedding_parameter.js";
import { Module, type Parameter } from "./module.js";

export class MixedDimEmbedding extends Module {
  readonly weight: EmbeddingParameter;

  /**
   * @example
   * const users = new MixedDimEmbedding({ candidates: [2, 4, 8, 16, 64, 128], sizes: plan.userSizes, seed: 1 });
   * const rows = users.forward(batchUserIds);   // Variable [B, 128]
   */
  constructor(options: EmbeddingStoreOptions) {
    super();
    this.weight = new EmbeddingParameter(new EmbeddingStore(options), "weight");
  }

  get store(): EmbeddingStore {
    return this.weight.store;
  }

  get maxDim(): number {
    return this.store.maxDim;
  }

  get numRows(): number {
    return this.store.numRows;
  }

  forward(ids: Tensor<"int32"> | Int32Array | readonly number[]): Variable {
    const idTensor = ids instanceof Tensor ? ids : Tensor.from(int32Array(ids, "ids"), { device: this.store.device });
    return embeddingLookup(this.weight, idTensor);
  }

  sizes(): Int32Array {
    return this.store.sizes();
  }

  /** See EmbeddingStore.resize: truncate, zero-extend, or take init values ([n, maxDim]). */
  resize(ids: Int32Array | readonly number[], sizes: Int32Array | readonly number[], init?: Float32Array | Tensor<"float32">): void {
    this.store.resize(ids, sizes, init);
  }

  /** Appends rows for unseen ids; returns the first new id. */
  addRows(sizes: Int32Array | readonly number[]): number {
    return this.store.addRows(sizes);
  }

  protected override ownParameters(): Record<string, Parameter> {
    return { weight: this.weight };
  }
}

export interface EmbeddingOptions extends Omit<EmbeddingStoreOptions, "candidates" | "sizes"> {
  numRows: number;
  dim: number;
}

/** A fixed-size embedding table: every row has `dim` values (a store with one size class). */
export class Embedding extends MixedDimEmbedding {
  constructor({ numRows, dim, ...rest }: EmbeddingOptions) {
    const rows = integerInRange(numRows, "numRows", 0, 2 ** 31 - 1);
    const size = integerInRange(dim, "dim", 1, 65536);
    super({ ...rest, candidates: [size], sizes: new Int32Array(rows).fill(size) });
  }
}
