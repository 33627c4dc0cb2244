/**
 * FM, the factorisation machine (Rendle 2010) over F categorical fields:
 *
 *   logit = w0 + Σ_f w_f[x_f] + Σ_{f<g} ⟨v_f[x_f], v_g[x_g]⟩
 *
 * with the field vectors v_f from a size plan (FieldEmbeddings: each field's mixed-size rows,
 * carried to one size D where the plan is not uniform) and the pairwise sum in O(F·D).
 */
import { plus } from "../autograd/ops/arithmetic_op.js";
import { pairwiseInteraction } from "../autograd/ops/pairwise_interaction_op.js";
import type { Variable } from "../autograd/variable.js";
import type { Device } from "../backend.js";
import { deriveSeed } from "../data/seeds.js";
import { Module } from "../modules/module.js";
import { FieldEmbeddings, FieldLinear, type FieldBatch, type FieldEmbeddingsOptions } from "./field_embeddings.js";

export type FmOptions = FieldEmbeddingsOptions;

export class FM extends Module {
  readonly embeddings: FieldEmbeddings;
  readonly linear: FieldLinear;

  /**
   * @example
   * const model = new FM({ plan: fixedFieldPlan(data.fields.cardinalities, 16), numFields: 8, seed: 1 });
   * const logits = model.forward(batchFields);   // Variable [B, 1]
   */
  constructor(options: FmOptions) {
    super();
    const seed = options.seed ?? 0;
    this.embeddings = new FieldEmbeddings({ ...options, seed: deriveSeed(seed, 1) });
    this.linear = new FieldLinear({ cardinalities: this.embeddings.cardinalities, seed: deriveSeed(seed, 2),
                                    ...(options.initStd === undefined ? {} : { initStd: options.initStd }),
                                    device: this.embeddings.device });
  }

  get numFields(): number {
    return this.embeddings.numFields;
  }

  get device(): Device {
    return this.embeddings.device;
  }

  /** Logits [B, 1] for B rows of F field ids (row-major [B, F]). */
  forward(fields: FieldBatch): Variable {
    const ids = this.embeddings.split(fields);
    return plus(this.linear.forward(ids), pairwiseInteraction(this.embeddings.forward(ids), this.numFields));
  }

  protected override children(): Record<string, Module> {
    return { embeddings: this.embeddings, linear: this.linear };
  }
}
