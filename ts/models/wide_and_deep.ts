/**
 * Wide & Deep (Cheng et al. 2016) over F categorical fields:
 *
 *   logit = [w0 + Σ_f w_f[x_f]]  +  MLP([v_1[x_1], …, v_F[x_F]])
 *            wide: first order       deep: F·D → hidden… → 1, relu
 *
 * The wide part is the first-order linear model (no hand-made cross features); the field
 * vectors come from a size plan (FieldEmbeddings).
 */
import { plus } from "../autograd/ops/arithmetic_op.js";
import type { Variable } from "../autograd/variable.js";
import { deriveSeed } from "../data/seeds.js";
import { MLP } from "../modules/mlp.js";
import type { Activation } from "../ops/activation.js";
import type { Module } from "../modules/module.js";
import type { FieldBatch, FieldEmbeddings, FieldEmbeddingsOptions, FieldLinear } from "./field_embeddings.js";
import { FieldInteractionModel } from "./field_model_base.js";

export interface DeepOptions {
  /** Hidden layer sizes of the deep MLP. Default [64, 32]. */
  hidden?: readonly number[];
  /** The deep MLP's hidden activation. Default "relu". */
  activation?: Activation;
}

export type WideAndDeepOptions = FieldEmbeddingsOptions & DeepOptions;

export class WideAndDeep extends FieldInteractionModel {
  readonly deep: MLP;

  /**
   * @example
   * const model = new WideAndDeep({ plan, numFields: 8, hidden: [64, 32], seed: 1 });
   * const logits = model.forward(batchFields);   // Variable [B, 1]
   */
  constructor(options: WideAndDeepOptions) {
    super(options);
    this.deep = deepMlp(this.embeddings, options, deriveSeed(this.seed, 3));
  }

  /** The wide part: the first-order terms. */
  get wide(): FieldLinear {
    return this.linear;
  }

  forward(fields: FieldBatch): Variable {
    const ids = this.embeddings.split(fields);
    return plus(this.wide.forward(ids), this.deep.forward(this.embeddings.forward(ids)));
  }

  protected override children(): Record<string, Module> {
    return { embeddings: this.embeddings, wide: this.linear, deep: this.deep };
  }
}

/** The deep tower over the concatenated field vectors: [F·D, ...hidden, 1]. */
export function deepMlp(embeddings: FieldEmbeddings, { hidden = [64, 32], activation = "relu" }: DeepOptions, seed: number): MLP {
  if (!Array.isArray(hidden)) throw new TypeError(`hidden must be an array of layer sizes, got ${JSON.stringify(hidden)}`);
  return new MLP({ sizes: [embeddings.numFields * embeddings.dim, ...hidden, 1], activation, seed, device: embeddings.device });
}
