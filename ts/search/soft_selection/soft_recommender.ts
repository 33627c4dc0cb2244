/**
 * The soft-mixing recommender of the ESAPN repo's AutoEmb and DARTS baselines (methods.md B §4):
 * each side mixes its candidates' branches with per-sample weights (SoftSelectionEmbedding), and
 * the head is ESAPN's, as in ts/models/mlp_recommender.ts:
 *
 *   [v_user, v_item] (2D) → BN → Linear(2D, 512) → BN → tanh → Linear(512, 1 | 5)
 *
 * The weights come from outside: softmax(α[id]) for DARTS, the controller's softmax for AutoEmb.
 */
import { concat } from "../../autograd/ops/concat_op.js";
import type { Variable } from "../../autograd/variable.js";
import type { DeviceOption } from "../../backend.js";
import { BatchNorm } from "../../modules/batch_norm.js";
import { Linear } from "../../modules/linear.js";
import { Module } from "../../modules/module.js";
import { SoftSelectionEmbedding } from "./soft_selection_embedding.js";

export interface SoftSelectionRecommenderOptions {
  numUsers: number;
  numItems: number;
  candidates: readonly number[];
  /** 1 for the binary task (a logit), 5 for the five-class task. */
  outputs: number;
  /** D, what every candidate is projected to. Default: the largest candidate. */
  dim?: number;
  /** Default 512. */
  hidden?: number;
  seed?: number;
  initStd?: number;
  device?: DeviceOption;
}

/** The mixing weights of a batch, one row per sample: [B, M] for each side. */
export interface MixingWeights {
  users: Variable;
  items: Variable;
}

export class SoftSelectionRecommender extends Module {
  readonly users: SoftSelectionEmbedding;
  readonly items: SoftSelectionEmbedding;
  readonly inputNorm: BatchNorm;
  readonly hidden: Linear;
  readonly hiddenNorm: BatchNorm;
  readonly output: Linear;

  /**
   * @example
   * const model = new SoftSelectionRecommender({ numUsers, numItems, candidates: [2, 4, 8, 16, 64, 128], outputs: 1 });
   * const logits = model.forward(users, items, { users: wUsers, items: wItems });   // [B, 1]
   */
  constructor({ numUsers, numItems, candidates, outputs, dim, hidden = 512, seed = 0, initStd, device = "cpu" }:
                SoftSelectionRecommenderOptions) {
    super();
    const side = (numIds: number, offset: number) => new SoftSelectionEmbedding({
      numIds, candidates, seed: seed + offset, device,
      ...(dim === undefined ? {} : { dim }), ...(initStd === undefined ? {} : { initStd }),
    });
    this.users = side(numUsers, 100);
    this.items = side(numItems, 200);
    const width = this.users.dim;
    this.inputNorm = new BatchNorm({ features: 2 * width, device });
    this.hidden = new Linear({ inFeatures: 2 * width, outFeatures: hidden, seed: seed + 300, device });
    this.hiddenNorm = new BatchNorm({ features: hidden, activation: "tanh", device });
    this.output = new Linear({ inFeatures: hidden, outFeatures: outputs, seed: seed + 400, device });
  }

  get candidates(): readonly number[] {
    return this.users.candidates;
  }

  /** Logits [B, outputs] for (users[b], items[b]) mixed with weights.users[b] and weights.items[b]. */
  forward(users: Int32Array, items: Int32Array, weights: MixingWeights): Variable {
    const x = concat([this.users.forward(users, weights.users), this.items.forward(items, weights.items)]);
    return this.output.forward(this.hiddenNorm.forward(this.hidden.forward(this.inputNorm.forward(x))));
  }

  protected override children(): Record<string, Module> {
    return {
      users: this.users, items: this.items, inputNorm: this.inputNorm, hidden: this.hidden,
      hiddenNorm: this.hiddenNorm, output: this.output,
    };
  }
}
