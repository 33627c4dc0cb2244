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
import type { FieldBatch, FieldEmbeddingsOptions } from "./field_embeddings.js";
import { FieldInteractionModel } from "./field_model_base.js";

export type FmOptions = FieldEmbeddingsOptions;

export class FM extends FieldInteractionModel {
  /**
   * @example
   * const model = new FM({ plan: fixedFieldPlan(data.fields.cardinalities, 16), numFields: 8, seed: 1 });
   * const logits = model.forward(batchFields);   // Variable [B, 1]
   */
  constructor(options: FmOptions) {
    super(options);
  }

  forward(fields: FieldBatch): Variable {
    const ids = this.embeddings.split(fields);
    return plus(this.linear.forward(ids), pairwiseInteraction(this.embeddings.forward(ids), this.numFields));
  }
}
