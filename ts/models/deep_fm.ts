/**
 * DeepFM (Guo et al. 2017) over F categorical fields: an FM and a deep MLP that read the same
 * field vectors v_f (from a size plan, FieldEmbeddings):
 *
 *   logit = w0 + Σ_f w_f[x_f] + Σ_{f<g} ⟨v_f, v_g⟩ + MLP([v_1, …, v_F])
 */
import { plus } from "../autograd/ops/arithmetic_op.js";
import { pairwiseInteraction } from "../autograd/ops/pairwise_interaction_op.js";
import type { Variable } from "../autograd/variable.js";
import { deriveSeed } from "../data/seeds.js";
import type { MLP } from "../modules/mlp.js";
import type { Module } from "../modules/module.js";
import type { FieldBatch, FieldEmbeddingsOptions } from "./field_embeddings.js";
import { FieldInteractionModel } from "./field_model_base.js";
import { deepMlp, type DeepOptions } from "./wide_and_deep.js";

export type DeepFmOptions = FieldEmbeddingsOptions & DeepOptions;

export class DeepFM extends FieldInteractionModel {
  readonly deep: MLP;

  /**
   * @example
   * const model = new DeepFM({ plan, numFields: 8, hidden: [64, 32], seed: 1 });
   * const logits = model.forward(batchFields);   // Variable [B, 1]
   */
  constructor(options: DeepFmOptions) {
    super(options);
    this.deep = deepMlp(this.embeddings, options, deriveSeed(this.seed, 3));
  }

  /** Logits [B, 1] for B rows of F field ids (row-major [B, F]). */
  forward(fields: FieldBatch): Variable {
    const ids = this.embeddings.split(fields);
    const vectors = this.embeddings.forward(ids);
    const fm = plus(this.linear.forward(ids), pairwiseInteraction(vectors, this.numFields));
    return plus(fm, this.deep.forward(vectors));
  }

  protected override children(): Record<string, Module> {
    return { embeddings: this.embeddings, linear: this.linear, deep: this.deep };
  }
}
