/**
 * What FM, Wide&Deep and DeepFM share: the field vectors from a size plan (FieldEmbeddings) and
 * the first-order terms w0 + Σ_f w_f[x_f] (FieldLinear), seeded from one seed.
 */
import type { Variable } from "../autograd/variable.js";
import type { Device } from "../backend.js";
import { deriveSeed } from "../data/seeds.js";
import { Module } from "../modules/module.js";
import { FieldEmbeddings, FieldLinear, type FieldBatch, type FieldEmbeddingsOptions } from "./field_embeddings.js";

export abstract class FieldInteractionModel extends Module {
  readonly embeddings: FieldEmbeddings;
  /** The first-order terms (Wide&Deep's wide part). */
  readonly linear: FieldLinear;
  /** Seeds what a subclass adds (e.g. the deep tower), apart from the two streams used here. */
  protected readonly seed: number;

  protected constructor(options: FieldEmbeddingsOptions) {
    super();
    this.seed = options.seed ?? 0;
    this.embeddings = new FieldEmbeddings({ ...options, seed: deriveSeed(this.seed, 1) });
    this.linear = new FieldLinear({ cardinalities: this.embeddings.cardinalities, seed: deriveSeed(this.seed, 2),
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
  abstract forward(fields: FieldBatch): Variable;

  protected override children(): Record<string, Module> {
    return { embeddings: this.embeddings, linear: this.linear };
  }
}
