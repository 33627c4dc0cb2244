/**
 * AutoEmb's controller for one table (methods.md B §4; the ESAPN repo's AutoEmb baseline, Policy
 * type 1): the mixing weights of a sample come from its id's frequency and the id's previous
 * weights, not from a parameter per id:
 *
 *   s = [BN(E_freq[f]), w_prev(id)]            E_freq: a learned 32-d row per frequency value
 *   w = softmax(Linear(512, M)(tanh(BN(Linear(32 + M, 512)(s)))))
 *
 * It is trained first-order DARTS-style: the loss of the previous batch, recomputed with the
 * controller's weights, is back-propagated into the controller, and one Adam step (lr 1e-4) is
 * taken; the recommender trains on the current batch with the controller's weights as constants.
 * After that step each id remembers the weights it was mixed with (the last write wins for an id
 * seen twice in a batch), and those are its w_prev next time. The chosen size of an id is the
 * argmax of its last weights; an id never seen keeps its initial weights, whose argmax is d_1.
 *
 * Frequencies above maxFrequency share the last row of E_freq.
 *
 * In a loop of your own (one controller per table; f = each sample's running count of its id):
 *
 *   for each batch t:
 *     if (t > 0) {
 *       backward(lossOf(model.forward(prev.ids, controller.weights(prev.ids, prev.f)), prev.labels));
 *       controller.step();
 *     }
 *     const w = noGrad(() => controller.weights(batch.ids, batch.f));
 *     optimizer.zeroGrad();
 *     backward(lossOf(model.forward(batch.ids, w), batch.labels));
 *     optimizer.step();
 *     controller.remember(batch.ids, w);
 *   controller.resize(embedding);
 */
import { idsBelow, integerInRange, int32Array, numberInRange } from "../../arguments.js";
import { concat } from "../../autograd/ops/concat_op.js";
import { mixtureWeightsOp } from "../../autograd/ops/gumbel_mixture_op.js";
import { Variable } from "../../autograd/variable.js";
import { resolveDevice, type Device, type DeviceOption } from "../../backend.js";
import { BatchNorm } from "../../modules/batch_norm.js";
import { Linear } from "../../modules/linear.js";
import { Embedding, type MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import { Module } from "../../modules/module.js";
import { Adam } from "../../optim/adam.js";
import { describe, Tensor } from "../../tensor.js";
import { moduleSnapshot, nestSnapshots, restoreModule, snapshotPart, snapshotTensor, type StateSnapshot } from "../../training/state_snapshot.js";
import { checkCandidates } from "../soft_selection/soft_selection_embedding.js";

export interface AutoEmbControllerOptions {
  /** Ids of the table. */
  numIds: number;
  /** Candidate sizes d_1 < … < d_M. */
  candidates: readonly number[];
  /** The largest frequency with a row of its own in E_freq (rows 0 … maxFrequency). */
  maxFrequency: number;
  /** Width of E_freq's rows. Default 32. */
  frequencyDim?: number;
  /** Default 512. */
  hidden?: number;
  /** Every id's initial previous weights: [initialWeight, 0, …, 0]. Default 1 (the reference uses 1.5 with cross-entropy). */
  initialWeight?: number;
  /** Adam's learning rate. Default 1e-4 (the reference's LR_darts). */
  learningRate?: number;
  seed?: number;
  device?: DeviceOption;
}

export class AutoEmbController extends Module {
  readonly numIds: number;
  readonly candidates: readonly number[];
  readonly maxFrequency: number;
  readonly device: Device;
  /** E_freq: (maxFrequency + 1) × 32, N(0, 1) as nn.Embedding. */
  readonly frequencyEmbedding: Embedding;
  readonly frequencyNorm: BatchNorm;
  readonly hidden: Linear;
  readonly hiddenNorm: BatchNorm;
  readonly output: Linear;
  readonly optimizer: Adam;
  /** Each id's previous weights, numIds × M. */
  readonly #previous: Float32Array;
  readonly #sizes: Int32Array;
  #floats: number;

  /**
   * @example
   * const users = new AutoEmbController({ numIds: data.numUsers, candidates: [2, 4, 8, 16, 64, 128], maxFrequency: 5000 });
   * const w = users.weights(batchUsers, batchUserFrequencies);   // Variable [B, 6]
   */
  constructor(options: AutoEmbControllerOptions) {
    super();
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.numIds = integerInRange(options.numIds, "numIds", 1, 2 ** 31 - 1);
    this.candidates = checkCandidates(options.candidates);
    this.maxFrequency = integerInRange(options.maxFrequency, "maxFrequency", 1, 2 ** 31 - 2);
    this.device = resolveDevice(options.device ?? "cpu");
    const frequencyDim = integerInRange(options.frequencyDim ?? 32, "frequencyDim", 1, 65536);
    const hidden = integerInRange(options.hidden ?? 512, "hidden", 1, 65536);
    const initialWeight = numberInRange(options.initialWeight ?? 1, "initialWeight", -Infinity, Infinity);
    const learningRate = numberInRange(options.learningRate ?? 1e-4, "learningRate", 0, Infinity, true);
    const seed = integerInRange(options.seed ?? 0, "seed", 0, 2 ** 32 - 1);
    const m = this.candidates.length;
    this.frequencyEmbedding = new Embedding({ numRows: this.maxFrequency + 1, dim: frequencyDim, initStd: 1, seed, device: this.device });
    this.frequencyNorm = new BatchNorm({ features: frequencyDim, device: this.device });
    this.hidden = new Linear({ inFeatures: frequencyDim + m, outFeatures: hidden, seed: seed + 1, device: this.device });
    this.hiddenNorm = new BatchNorm({ features: hidden, activation: "tanh", device: this.device });
    this.output = new Linear({ inFeatures: hidden, outFeatures: m, seed: seed + 3, device: this.device });
    this.optimizer = new Adam(this.parameters(), { learningRate });
    this.#previous = new Float32Array(this.numIds * m);
    for (let id = 0; id < this.numIds; ++id) this.#previous[id * m] = initialWeight;
    this.#sizes = new Int32Array(this.numIds).fill(this.candidates[0]!);
    this.#floats = this.numIds * this.candidates[0]!;
  }

  /**
   * The controller's input s [B, 32 + M] for a batch: the normalised frequency rows and each id's
   * previous weights. Needs B ≥ 2 in train() mode.
   */
  controllerInput(ids: Int32Array | readonly number[], frequencies: Int32Array | readonly number[]): Variable {
    return this.input(ids, frequencies);
  }

  /** w [B, M] for the batch's ids and their frequencies; on the tape unless inside noGrad. */
  weights(ids: Int32Array | readonly number[], frequencies: Int32Array | readonly number[]): Variable {
    const s = this.input(ids, frequencies);
    const logits = this.output.forward(this.hiddenNorm.forward(this.hidden.forward(s)));
    return mixtureWeightsOp(logits, { tau: 1, mode: "softmax", seed: 0, step: 0 });
  }

  /** One Adam step from the gradient a backward through weights() left, then clears it. */
  step(): void {
    this.optimizer.step();
    this.optimizer.zeroGrad();
  }

  /** Stores w [B, M] (a Variable or host values) as the listed ids' previous weights. */
  remember(ids: Int32Array | readonly number[], w: Variable | Float32Array): void {
    const rows = idsBelow(ids, "ids", this.numIds);
    const m = this.candidates.length;
    const values = w instanceof Variable ? w.value.toArray() : w;
    if (!(values instanceof Float32Array)) throw new TypeError(`w must be a Variable or a Float32Array, got ${describe(w)}`);
    if (values.length !== rows.length * m) {
      throw new RangeError(`w has ${values.length} values but ${rows.length} ids × ${m} candidates need ${rows.length * m}`);
    }
    rows.forEach((id, b) => {
      this.#previous.set(values.subarray(b * m, (b + 1) * m), id * m);
      let best = 0;
      for (let c = 1; c < m; ++c) if (values[b * m + c]! > values[b * m + best]!) best = c;
      const size = this.candidates[best]!;
      this.#floats += size - this.#sizes[id]!;
      this.#sizes[id] = size;
    });
  }

  /** The listed ids' previous weights, [n, M] row-major. */
  previousWeights(ids: Int32Array | readonly number[]): Float32Array {
    const rows = idsBelow(ids, "ids", this.numIds);
    const m = this.candidates.length;
    const out = new Float32Array(rows.length * m);
    rows.forEach((id, b) => out.set(this.#previous.subarray(id * m, (id + 1) * m), b * m));
    return out;
  }

  /** Each id's chosen size: the argmax of its last weights. */
  sizes(): Int32Array {
    return this.#sizes.slice();
  }

  /** Σ_i d_i · 4 over the chosen sizes. */
  bytes(): number {
    return this.#floats * 4;
  }

  /** The networks, their Adam's state, each id's previous weights and chosen size: for a checkpoint, between steps. */
  snapshot(): StateSnapshot {
    return nestSnapshots({ networks: moduleSnapshot(this, this.optimizer) },
                         { tensors: { previous: this.#previous.slice(), sizes: this.#sizes.slice() } });
  }

  /** Restores what snapshot() captured into a controller built with the same options. */
  restore(snapshot: StateSnapshot): void {
    const previous = snapshotTensor(snapshot, "previous", Float32Array);
    const sizes = snapshotTensor(snapshot, "sizes", Int32Array);
    if (previous.length !== this.#previous.length || sizes.length !== this.numIds) {
      throw new RangeError(`the snapshot holds ${sizes.length} ids but the controller has ${this.numIds}`);
    }
    restoreModule(snapshotPart(snapshot, "networks"), this, this.optimizer);
    this.#previous.set(previous);
    this.#sizes.set(sizes);
    this.#floats = sizes.reduce((sum, d) => sum + d, 0);
  }

  /** Cuts each row of a MixedDimEmbedding (numIds rows) to its id's chosen size. */
  resize(embedding: MixedDimEmbedding): void {
    if (embedding.numRows !== this.numIds) {
      throw new RangeError(`embedding has ${embedding.numRows} rows but the controller has ${this.numIds} ids`);
    }
    embedding.resize(Int32Array.from({ length: this.numIds }, (_, i) => i), this.#sizes);
  }

  private input(ids: Int32Array | readonly number[], frequencies: Int32Array | readonly number[]): Variable {
    const rows = idsBelow(ids, "ids", this.numIds);
    const f = int32Array(frequencies, "frequencies");
    if (f.length !== rows.length) throw new RangeError(`frequencies has ${f.length} values but ids has ${rows.length}`);
    const clamped = new Int32Array(f.length);
    f.forEach((value, b) => {
      if (value < 0) throw new RangeError(`frequencies[${b}] = ${value} must not be negative`);
      clamped[b] = Math.min(value, this.maxFrequency);
    });
    const m = this.candidates.length;
    const last = this.previousWeights(rows);
    const lastWeights = new Variable(Tensor.from(last, { shape: [rows.length, m], device: this.device }));
    return concat([this.frequencyNorm.forward(this.frequencyEmbedding.forward(clamped)), lastWeights]);
  }

  protected override children(): Record<string, Module> {
    return {
      frequencyEmbedding: this.frequencyEmbedding, frequencyNorm: this.frequencyNorm, hidden: this.hidden,
      hiddenNorm: this.hiddenNorm, output: this.output,
    };
  }
}
