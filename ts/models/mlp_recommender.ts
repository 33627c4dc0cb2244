/**
 * ESAPN's recommender (methods.md B §1): user and item vectors → BN → Linear(·, 512) → BN →
 * tanh → Linear(512, 1 or 5). Embeddings come from a size plan; when the plan mixes sizes,
 * each side's rows go through its projection chain to the largest size and then tanh(BN(·)),
 * as ESAPN's reference does, so rows of every size meet in one space.
 */
import { concat } from "../autograd/ops/concat_op.js";
import { repeatedRowsLinear } from "../autograd/ops/repeated_rows_linear_op.js";
import { takeRows } from "../data/take_rows.js";
import type { Variable } from "../autograd/variable.js";
import type { DeviceOption } from "../backend.js";
import { BatchNorm } from "../modules/batch_norm.js";
import { Linear } from "../modules/linear.js";
import type { MixedDimEmbedding } from "../modules/mixed_dim_embedding.js";
import { Module } from "../modules/module.js";
import { ProjectionChain } from "../modules/projection_chain.js";
import { embeddingFromPlan, type SizePlan } from "../plan/size_plan.js";
import type { Tensor } from "../tensor.js";

export interface MlpRecommenderOptions {
  /** Tables "users" and "items". */
  plan: SizePlan;
  /** 1 for the binary task (a logit), 5 for the 5-class task. */
  outputs: number;
  /** Default 512. */
  hidden?: number;
  seed?: number;
  initStd?: number;
  device?: DeviceOption;
}

/** One side (users or items): its embedding and, for a mixed plan, the chain and tanh(BN(·)) to the largest size. */
class Side extends Module {
  constructor(readonly embedding: MixedDimEmbedding, readonly chain: ProjectionChain | undefined,
              readonly norm: BatchNorm | undefined) {
    super();
  }

  forward(ids: Int32Array | Tensor<"int32">): Variable {
    const rows = this.embedding.forward(ids);
    if (this.chain === undefined || this.norm === undefined) return rows;
    const rowSizes = takeRows(this.embedding.store.sizes(), ids instanceof Int32Array ? ids : ids.toArray());
    return this.norm.forward(this.chain.forward(rows, rowSizes));
  }

  protected override children(): Record<string, Module> {
    return {
      embedding: this.embedding,
      ...(this.chain === undefined ? {} : { chain: this.chain }),
      ...(this.norm === undefined ? {} : { norm: this.norm }),
    };
  }
}

export class MlpRecommender extends Module {
  readonly users: Side;
  readonly items: Side;
  readonly inputNorm: BatchNorm;
  readonly hidden: Linear;
  readonly hiddenNorm: BatchNorm;
  readonly output: Linear;

  constructor({ plan, outputs, hidden = 512, seed = 0, initStd = 0.01, device = "cpu" }: MlpRecommenderOptions) {
    super();
    const width = plan.candidates[plan.candidates.length - 1]!;
    const mixed = plan.candidates.length > 1;
    const side = (table: string, offset: number) => new Side(
      embeddingFromPlan(plan, table, { seed: seed + offset, initStd, device }),
      mixed ? new ProjectionChain({ dims: plan.candidates, seed: seed + offset + 1, device }) : undefined,
      mixed ? new BatchNorm({ features: width, activation: "tanh", device }) : undefined,
    );
    this.users = side("users", 100);
    this.items = side("items", 200);
    this.inputNorm = new BatchNorm({ features: 2 * width, device });
    this.hidden = new Linear({ inFeatures: 2 * width, outFeatures: hidden, seed: seed + 300, device });
    this.hiddenNorm = new BatchNorm({ features: hidden, activation: "tanh", device });
    this.output = new Linear({ inFeatures: hidden, outFeatures: outputs, seed: seed + 400, device });
  }

  /** Logits [B, outputs] for (users[b], items[b]). */
  forward(users: Int32Array | Tensor<"int32">, items: Int32Array | Tensor<"int32">): Variable {
    const x = this.inputNorm.forward(concat([this.users.forward(users), this.items.forward(items)]));
    // A side's half of x is the same row wherever its id repeats in the batch (a time-ordered
    // batch of 500 ratings holds ~11 distinct users): on the CPU the hidden layer computes that
    // half's product once per distinct id (repeatedRowsLinear). Each half comes from its ids
    // through the embedding, the chain and batch norms only, so x's gradient may come per id.
    const hidden = x.device === "cpu" && users instanceof Int32Array && items instanceof Int32Array
      ? repeatedRowsLinear(x, this.hidden.weight, this.hidden.bias!,
                           [{ width: this.users.embedding.maxDim, ids: users }, { width: this.items.embedding.maxDim, ids: items }],
                           { inputGradient: "perId" })
      : this.hidden.forward(x);
    // hiddenNorm applies the tanh (and the sides' norms theirs) in its own kernel.
    return this.output.forward(this.hiddenNorm.forward(hidden));
  }

  protected override children(): Record<string, Module> {
    return {
      users: this.users, items: this.items, inputNorm: this.inputNorm, hidden: this.hidden,
      hiddenNorm: this.hiddenNorm, output: this.output,
    };
  }
}
