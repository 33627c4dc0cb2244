/**
 * The CTR model AutoDim searches and retrains: field vectors v_f ∈ R^D from some source (the
 * search layer's Gumbel mixture, or the retrained per-field tables) under DeepFM's head,
 *
 *   logit = w0 + Σ_f w_f[x_f] + Σ_{f<g} ⟨v_f, v_g⟩ + MLP([v_1, …, v_F])     (hidden = [] drops the MLP: FM)
 *
 * the same head as ts/models/deep_fm.ts, which takes its field vectors from a size plan only.
 */
import { plus } from "../../autograd/ops/arithmetic_op.js";
import { pairwiseInteraction } from "../../autograd/ops/pairwise_interaction_op.js";
import type { Variable } from "../../autograd/variable.js";
import { resolveDevice, type Device, type DeviceOption } from "../../backend.js";
import { deriveSeed } from "../../data/seeds.js";
import { FieldLinear, splitFields, type FieldBatch, type FieldIds } from "../../models/field_embeddings.js";
import { MLP } from "../../modules/mlp.js";
import { Module } from "../../modules/module.js";

export interface FieldHeadOptions {
  cardinalities: Int32Array;
  /** D, the size of each field vector. */
  dim: number;
  /** The deep MLP's hidden sizes. Default [64, 32] (DeepFM's); [] gives an FM. */
  hidden?: readonly number[];
  seed?: number;
  device?: DeviceOption;
}

export class FieldHead extends Module {
  readonly numFields: number;
  readonly linear: FieldLinear;
  readonly deep: MLP | undefined;

  constructor({ cardinalities, dim, hidden = [64, 32], seed = 0, device = "cpu" }: FieldHeadOptions) {
    super();
    if (!Array.isArray(hidden)) throw new TypeError(`hidden must be an array of layer sizes, got ${JSON.stringify(hidden)}`);
    this.numFields = cardinalities.length;
    this.linear = new FieldLinear({ cardinalities, seed: deriveSeed(seed, 2), device });
    this.deep = hidden.length === 0 ? undefined
      : new MLP({ sizes: [this.numFields * dim, ...hidden, 1], seed: deriveSeed(seed, 3), device });
  }

  /** Logits [B, 1] from the batch's ids (first-order term) and its field vectors [B, F·D]. */
  forward(ids: FieldIds, vectors: Variable): Variable {
    const fm = plus(this.linear.forward(ids), pairwiseInteraction(vectors, this.numFields));
    return this.deep === undefined ? fm : plus(fm, this.deep.forward(vectors));
  }

  protected override children(): Record<string, Module> {
    return this.deep === undefined ? { linear: this.linear } : { linear: this.linear, deep: this.deep };
  }
}

/** What gives the field vectors: forward(fields [B, F]) → [B, F·D]. */
export interface FieldVectorSource extends Module {
  forward(fields: FieldBatch): Variable;
}

/** Field vectors under a FieldHead, as a CtrModel (trainCtr, evaluateCtr). */
export class FieldModel extends Module {
  readonly vectors: FieldVectorSource;
  readonly head: FieldHead;
  readonly cardinalities: Int32Array;
  readonly device: Device;

  constructor(vectors: FieldVectorSource, head: FieldHead, cardinalities: Int32Array, device: DeviceOption = "cpu") {
    super();
    this.vectors = vectors;
    this.head = head;
    this.cardinalities = cardinalities;
    this.device = resolveDevice(device);
  }

  get numFields(): number {
    return this.cardinalities.length;
  }

  /** Logits [B, 1] for B rows of F field ids (row-major [B, F]). */
  forward(fields: FieldBatch): Variable {
    const ids = splitFields(fields, this.cardinalities, this.device);
    return this.head.forward(ids, this.vectors.forward(fields));
  }

  protected override children(): Record<string, Module> {
    return { vectors: this.vectors, head: this.head };
  }
}
