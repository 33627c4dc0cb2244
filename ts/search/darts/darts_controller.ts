/**
 * DARTS per id (methods.md B §4, C §3): every id holds free architecture logits α_i ∈ R^M, and its
 * candidates are mixed with w_i = softmax(α_i), no noise and no temperature. α is trained
 * first-order on the previous batch with an Adam of its own, the model's weights on the current
 * batch. The chosen size of an id is its argmax candidate.
 *
 * α lives in an embedding store (one M-wide row per id, all zero at the start: equal weights, as
 * the reference's 1/M), so its Adam is the store's lazy row-sparse one: only the ids of the batch
 * the loss came from move. (The reference steps a dense α with dense Adam, whose momentum keeps
 * moving ids that were not in the batch.)
 *
 * In a loop of your own, with `model` mixing the candidates by the weights it is given:
 *
 *   for each batch t:
 *     if (t > 0) {                                            // α on the previous batch
 *       backward(lossOf(model.forward(prev.ids, controller.weights(prev.ids)), prev.labels));
 *       controller.step();
 *     }
 *     const w = noGrad(() => controller.weights(batch.ids));  // constants for the weights' step
 *     optimizer.zeroGrad();                                   // drops what the α step left in the model
 *     backward(lossOf(model.forward(batch.ids, w), batch.labels));
 *     optimizer.step();
 *   controller.resize(embedding);                             // each id's row cut to its argmax size
 */
import { idsBelow, integerInRange, numberInRange } from "../../arguments.js";
import { mixtureWeightsOp } from "../../autograd/ops/gumbel_mixture_op.js";
import { isGradEnabled } from "../../autograd/tape.js";
import type { Variable } from "../../autograd/variable.js";
import { resolveDevice, type Device, type DeviceOption } from "../../backend.js";
import { Embedding, type MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import { Adam } from "../../optim/adam.js";
import { describe } from "../../tensor.js";
import { moduleSnapshot, nestSnapshots, restoreModule, snapshotPart, snapshotTensor, type StateSnapshot } from "../../training/state_snapshot.js";
import { checkCandidates } from "../soft_selection/soft_selection_embedding.js";

export interface DartsControllerOptions {
  /** Ids of the table (rows of α). */
  numIds: number;
  /** Candidate sizes d_1 < … < d_M. */
  candidates: readonly number[];
  /** Adam's learning rate for α. Default 1e-4 (the reference's LR_darts). */
  learningRate?: number;
  device?: DeviceOption;
}

/** Index of the largest value in values[offset, offset + m), the first on a tie. */
function argmaxAt(values: Float32Array, offset: number, m: number): number {
  let best = 0;
  for (let c = 1; c < m; ++c) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

export class DartsController {
  readonly numIds: number;
  readonly candidates: readonly number[];
  readonly device: Device;
  /** α: numIds × M logits. */
  readonly alpha: Embedding;
  readonly optimizer: Adam;
  // Each id's argmax size, kept up to date as α moves, and their sum.
  readonly #sizes: Int32Array;
  #floats: number;
  // Ids whose α received gradient since the last step.
  #pending: Int32Array[] = [];

  /**
   * @example
   * const users = new DartsController({ numIds: data.numUsers, candidates: [2, 4, 8, 16, 64, 128] });
   * const w = users.weights(batchUsers);   // Variable [B, 6], softmax(α) of each sample's user
   */
  constructor(options: DartsControllerOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.numIds = integerInRange(options.numIds, "numIds", 1, 2 ** 31 - 1);
    this.candidates = checkCandidates(options.candidates);
    this.device = resolveDevice(options.device ?? "cpu");
    const learningRate = numberInRange(options.learningRate ?? 1e-4, "learningRate", 0, Infinity, true);
    this.alpha = new Embedding({ numRows: this.numIds, dim: this.candidates.length, initStd: 0, device: this.device });
    this.optimizer = new Adam(this.alpha.parameters(), { learningRate });
    // Equal logits: the argmax is the first candidate until α says otherwise.
    this.#sizes = new Int32Array(this.numIds).fill(this.candidates[0]!);
    this.#floats = this.numIds * this.candidates[0]!;
  }

  /**
   * w [B, M] = softmax(α[ids]) row by row. With gradients on (not inside noGrad) the lookup is on
   * the tape, and a backward through it leaves α's gradient for step().
   */
  weights(ids: Int32Array | readonly number[]): Variable {
    const rows = idsBelow(ids, "ids", this.numIds);
    const logits = this.alpha.forward(rows);
    if (isGradEnabled()) this.#pending.push(rows);
    return mixtureWeightsOp(logits, { tau: 1, mode: "softmax", seed: 0, step: 0 });
  }

  /** One Adam step of α on the rows that received gradient, then clears it. */
  step(): void {
    this.optimizer.step();
    this.optimizer.zeroGrad();
    const touched = new Set<number>();
    for (const rows of this.#pending) for (const id of rows) touched.add(id);
    this.#pending = [];
    if (touched.size === 0) return;
    const ids = Int32Array.from(touched);
    const logits = this.alpha.store.readRows(ids);
    const m = this.candidates.length;
    ids.forEach((id, i) => {
      const size = this.candidates[argmaxAt(logits, i * m, m)]!;
      this.#floats += size - this.#sizes[id]!;
      this.#sizes[id] = size;
    });
  }

  /** Drops α's gradient without a step. */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
    this.#pending = [];
  }

  /** α of the listed ids (all by default), [n, M] row-major. */
  logits(ids?: Int32Array | readonly number[]): Float32Array {
    return this.alpha.store.readRows(ids === undefined ? Int32Array.from({ length: this.numIds }, (_, i) => i) : idsBelow(ids, "ids", this.numIds));
  }

  /** Each id's argmax candidate index (the first on a tie). */
  argmax(): Int32Array {
    return Int32Array.from(this.#sizes, (d) => this.candidates.indexOf(d));
  }

  /** Each id's argmax size: the plan's table. */
  sizes(): Int32Array {
    return this.#sizes.slice();
  }

  /** Σ_i d_i · 4 over the argmax sizes. */
  bytes(): number {
    return this.#floats * 4;
  }

  /** α, its Adam's state and the argmax sizes, for a checkpoint (call it after step(), with no gradient pending). */
  snapshot(): StateSnapshot {
    return nestSnapshots({ alpha: moduleSnapshot(this.alpha, this.optimizer) }, { tensors: { sizes: this.#sizes.slice() } });
  }

  /** Restores what snapshot() captured into a controller built with the same options. */
  restore(snapshot: StateSnapshot): void {
    const sizes = snapshotTensor(snapshot, "sizes", Int32Array);
    if (sizes.length !== this.numIds) throw new RangeError(`snapshot.sizes has ${sizes.length} ids but the controller has ${this.numIds}`);
    restoreModule(snapshotPart(snapshot, "alpha"), this.alpha, this.optimizer);
    this.#sizes.set(sizes);
    this.#floats = sizes.reduce((sum, d) => sum + d, 0);
    this.#pending = [];
  }

  /**
   * Cuts each row of a MixedDimEmbedding (numIds rows, candidates including these) to its id's
   * argmax size; with weight sharing the kept prefix is what the search trained.
   */
  resize(embedding: MixedDimEmbedding): void {
    if (embedding.numRows !== this.numIds) {
      throw new RangeError(`embedding has ${embedding.numRows} rows but the controller has ${this.numIds} ids`);
    }
    embedding.resize(Int32Array.from({ length: this.numIds }, (_, i) => i), this.#sizes);
  }
}
