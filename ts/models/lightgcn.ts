/**
 * LightGCN (He et al., SIGIR'20), as SCALL's base recommender runs it (methods.md D §2):
 *
 *   E⁰      = the embedding rows: users 0..U−1, then items U..U+I−1, row c zero beyond its size d_c
 *   E^{l+1} = Â·E^l,  l = 0..L−1  (L = 3),  Â = D^{-1/2} A D^{-1/2} of the train user–item graph
 *   E       = (E⁰ + E¹ + … + E^L) / (L + 1)                 (layer-mean readout)
 *   s(u, i) = ⟨E_u, E_{U+i}⟩
 *   loss    = mean_b softplus(s(u_b, j_b) − s(u_b, i_b))
 *             + λ·Σ_b (‖E⁰_{u_b}‖² + ‖E⁰_{U+i_b}‖² + ‖E⁰_{U+j_b}‖²) / B      (λ = 1e-4)
 *
 * for a batch of B triples (user u, positive i, negative j). The L2 term is on the ego
 * embeddings E⁰ and without a ½, as SCALL's create_loss writes it.
 *
 * Sizes come from a SizePlan with tables "users" and "items"; both live in one
 * MixedDimEmbedding ("embedding"), users first, so that E⁰ is one [U + I, d_max] lookup and the
 * gradient reaches the store as one row-sparse batch. SCALL masks two 256-wide tables to each
 * row's size instead; the arithmetic is the same, and storage here follows the plan.
 *
 * Every step touches every row: the propagated table depends on all of them, so Adam's update
 * (the store's lazy Adam, given a gradient for every row) equals SCALL's dense torch Adam.
 */
import { plus, combine, times } from "../autograd/ops/arithmetic_op.js";
import { gatherRows } from "../autograd/ops/gather_rows_op.js";
import { linear } from "../autograd/ops/linear_op.js";
import { bpr } from "../autograd/ops/loss_op.js";
import { propagateRows } from "../autograd/ops/propagation_op.js";
import { noGrad } from "../autograd/tape.js";
import { Variable } from "../autograd/variable.js";
import { int32Array, integerInRange, numberInRange } from "../arguments.js";
import { type Device, type DeviceOption, resolveDevice } from "../backend.js";
import { normalizedAdjacency } from "../graph/normalized_adjacency.js";
import type { UserScorer } from "../metrics/ranking.js";
import { MixedDimEmbedding } from "../modules/mixed_dim_embedding.js";
import { Module } from "../modules/module.js";
import { matmul } from "../ops/gemm.js";
import { SparseGraph } from "../ops/sparse_propagation.js";
import type { SizePlan } from "../plan/size_plan.js";
import { describe, Tensor } from "../tensor.js";
import type { BprBatch } from "./bpr_sampling.js";

export interface LightGcnOptions {
  /** Embedding sizes: table "users" (one size per user) and table "items" (one per item). */
  plan: SizePlan;
  /** The train interactions the graph is built from: users[k] interacted with items[k] (item ids). */
  interactions: { users: Int32Array | readonly number[]; items: Int32Array | readonly number[] };
  /** Propagation layers L (default 3). */
  layers?: number;
  /** λ of the L2 term on the ego embeddings (default 1e-4, SCALL's `decay`). */
  regularization?: number;
  /** Seeds the N(0, initStd²) initial rows (default 0). */
  seed?: number;
  /** Default 0.01, as SCALL initialises. */
  initStd?: number;
  device?: DeviceOption;
}

function planTable(plan: SizePlan, table: string): Int32Array {
  const sizes = plan.tables[table];
  if (sizes === undefined) {
    throw new RangeError(`plan has no table "${table}" (it has ${Object.keys(plan.tables).map((t) => `"${t}"`).join(", ")}); ` +
                         'LightGCN needs "users" and "items"');
  }
  return int32Array(sizes, `plan.tables.${table}`);
}

function batchIds(value: unknown, argument: string, count: number, countName: string): Int32Array {
  const ids = int32Array(value, argument);
  for (let b = 0; b < ids.length; ++b) {
    const id = ids[b]!;
    if (id < 0 || id >= count) throw new RangeError(`${argument}[${b}] = ${id} is out of range [0, ${countName} = ${count})`);
  }
  return ids;
}

export class LightGCN extends Module {
  readonly numUsers: number;
  readonly numItems: number;
  readonly layers: number;
  readonly regularization: number;
  readonly device: Device;
  /** E⁰: users 0..U−1, then items U..U+I−1. */
  readonly embedding: MixedDimEmbedding;
  /** Â of the train interactions, on the model's device. */
  readonly graph: SparseGraph;
  readonly #allRows: Tensor<"int32">;
  // [d_max, 1] of ones: a row-wise sum as a product, s = (a ⊙ b)·1.
  readonly #ones: Variable;

  /**
   * @example
   * const plan = fixedPlan({ users: numUsers, items: numItems }, 64);
   * const model = new LightGCN({ plan, interactions: { users: train.users, items: train.items } });
   * const optimizer = new Adam(model.parameters(), { learningRate: 0.03 });
   * const batch = sampler.sample(2048);
   * backward(model.loss(batch));
   * optimizer.step();
   * optimizer.zeroGrad();
   */
  constructor(options: LightGcnOptions) {
    super();
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    const { plan, interactions } = options;
    if (typeof plan !== "object" || plan === null) throw new TypeError(`plan must be a SizePlan, got ${describe(plan)}`);
    if (typeof interactions !== "object" || interactions === null) {
      throw new TypeError(`interactions must be an object { users, items }, got ${describe(interactions)}`);
    }
    const userSizes = planTable(plan, "users");
    const itemSizes = planTable(plan, "items");
    this.numUsers = userSizes.length;
    this.numItems = itemSizes.length;
    this.layers = integerInRange(options.layers ?? 3, "layers", 0, 64);
    this.regularization = numberInRange(options.regularization ?? 1e-4, "regularization", 0, Infinity);
    this.device = resolveDevice(options.device ?? "cpu");

    const sizes = new Int32Array(this.numUsers + this.numItems);
    sizes.set(userSizes);
    sizes.set(itemSizes, this.numUsers);
    this.embedding = new MixedDimEmbedding({
      candidates: plan.candidates, sizes, seed: options.seed ?? 0, initStd: options.initStd ?? 0.01, device: this.device,
    });
    const adjacency = normalizedAdjacency({
      users: interactions.users, items: interactions.items, numUsers: this.numUsers, numItems: this.numItems,
    });
    this.graph = SparseGraph.fromCsr(adjacency, { device: this.device });
    this.#allRows = Tensor.from(Int32Array.from({ length: sizes.length }, (_, c) => c), { device: this.device });
    const dim = this.embedding.maxDim;
    this.#ones = new Variable(Tensor.from(new Float32Array(dim).fill(1), { shape: [dim, 1], device: this.device }));
  }

  /** E⁰ on the tape: every row, [U + I, d_max], zero beyond each row's size. */
  egoEmbeddings(): Variable {
    return this.embedding.forward(this.#allRows);
  }

  /** E = mean(E⁰, …, E^L) on the tape, [U + I, d_max]; `ego` is E⁰ when the caller already has it. */
  finalEmbeddings(ego: Variable = this.egoEmbeddings()): Variable {
    if (this.layers === 0) return ego;
    const share = 1 / (this.layers + 1);
    let layer = ego;
    let sum = ego;
    for (let l = 1; l <= this.layers; ++l) {
      layer = propagateRows(this.graph, layer);
      sum = l < this.layers ? plus(sum, layer) : combine(share, sum, share, layer);
    }
    return sum;
  }

  /**
   * The BPR loss of a batch plus the L2 term (see the file comment): a one-element Variable,
   * [1, 1] (or [1] when regularization is 0), for backward().
   */
  loss(batch: BprBatch): Variable {
    const { users, positives, negatives } = this.checkBatch(batch);
    const size = users.length;
    const U = this.numUsers;
    const ego = this.egoEmbeddings();
    const final = this.finalEmbeddings(ego);
    const positiveRows = positives.map((i) => U + i);
    const negativeRows = negatives.map((j) => U + j);
    const u = gatherRows(final, users);
    const pos = this.rowDot(u, gatherRows(final, positiveRows));
    const neg = this.rowDot(u, gatherRows(final, negativeRows));
    const ranking = bpr(pos, neg, "mean");
    if (this.regularization === 0) return ranking;

    const egoRows = new Int32Array(3 * size);
    egoRows.set(users);
    egoRows.set(positiveRows, size);
    egoRows.set(negativeRows, 2 * size);
    const picked = gatherRows(ego, egoRows);
    const squaredNorms = this.rowDot(picked, picked);                       // [3B, 1]
    const weights = new Variable(Tensor.from(new Float32Array(3 * size).fill(this.regularization / size),
                                             { shape: [1, 3 * size], device: this.device }));
    // [1, 3B]·[3B, 1] + bias: the weighted sum of the norms, plus the BPR term (shape [1]) as the bias.
    return linear(weights, squaredNorms, ranking);
  }

  /**
   * A snapshot scorer for full ranking: propagates once, then scores blocks of users against
   * every item, row-major [users.length, numItems] (rankingMetrics' `scores`). Later training
   * does not change a scorer already made.
   */
  scorer(): UserScorer {
    const dim = this.embedding.maxDim;
    const U = this.numUsers;
    const table = noGrad(() => this.finalEmbeddings().value);
    const host = table.toArray();
    const items = this.device === "cpu"
      ? Tensor.from(host.subarray(U * dim), { shape: [this.numItems, dim] })
      : Tensor.from(host.slice(U * dim), { shape: [this.numItems, dim], device: this.device });
    return (users: Int32Array) => {
      const ids = batchIds(users, "users", U, "numUsers");
      const rows = new Float32Array(ids.length * dim);
      ids.forEach((user, b) => rows.set(host.subarray(user * dim, (user + 1) * dim), b * dim));
      const userRows = Tensor.from(rows, { shape: [ids.length, dim], device: this.device });
      const scores = matmul(userRows, items, { transB: true });
      const out = scores.toArray();
      if (this.device !== "cpu") {
        userRows.dispose();
        scores.dispose();
      }
      return out;
    };
  }

  /** s(u, i) for every item i, row-major [users.length, numItems]: the model as it is now. */
  scoreUsers(users: Int32Array | readonly number[]): Float32Array {
    return this.scorer()(int32Array(users, "users"));
  }

  protected override children(): Record<string, Module> {
    return { embedding: this.embedding };
  }

  // ⟨a_b, b_b⟩ per row: [B, D] × [B, D] → [B, 1].
  private rowDot(a: Variable, b: Variable): Variable {
    return linear(times(a, b), this.#ones);
  }

  private checkBatch(batch: BprBatch): BprBatch {
    if (typeof batch !== "object" || batch === null) {
      throw new TypeError(`batch must be an object { users, positives, negatives }, got ${describe(batch)}`);
    }
    const users = batchIds(batch.users, "batch.users", this.numUsers, "numUsers");
    const positives = batchIds(batch.positives, "batch.positives", this.numItems, "numItems");
    const negatives = batchIds(batch.negatives, "batch.negatives", this.numItems, "numItems");
    if (users.length === 0) throw new RangeError("batch.users is empty; a batch needs at least one triple");
    if (positives.length !== users.length) {
      throw new RangeError(`batch.positives has length ${positives.length} but must have ${users.length} (batch.users.length)`);
    }
    if (negatives.length !== users.length) {
      throw new RangeError(`batch.negatives has length ${negatives.length} but must have ${users.length} (batch.users.length)`);
    }
    return { users, positives, negatives };
  }
}
