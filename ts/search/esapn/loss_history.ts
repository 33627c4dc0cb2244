/**
 * Each id's last T losses (ESAPN's `last_num`, T = 5), the baseline of its reward (methods.md
 * B §2): after every recommender step, each id of the batch stores that sample's loss from
 * before the step. As in the reference's numpy fancy assignment, an id seen twice in one batch
 * keeps the later sample's loss and its count grows by one per batch, not per sample.
 */
import { integerInRange } from "../../arguments.js";
import { snapshotTensor, type StateSnapshot } from "../../training/state_snapshot.js";

export class LossHistory {
  readonly length: number;
  #losses: Float32Array;
  #counts: Int32Array;
  /** The batch that last touched each id, so a count grows once per batch. */
  #stamps: Int32Array;
  #batch = 0;

  /** @param length T, the losses kept per id. */
  constructor(numRows: number, length = 5) {
    const rows = integerInRange(numRows, "numRows", 0, 2 ** 31 - 1);
    this.length = integerInRange(length, "length", 1, 1024);
    this.#losses = new Float32Array(rows * this.length);
    this.#counts = new Int32Array(rows);
    this.#stamps = new Int32Array(rows);
  }

  /** The ids it has room for, at least every id grow() was asked for. */
  get numRows(): number {
    return this.#counts.length;
  }

  /**
   * Makes room for ids up to numRows − 1 (new ids start with no history). The room at least
   * doubles, since a stream asks for one more batch's new ids every batch.
   */
  grow(numRows: number): void {
    if (numRows <= this.#counts.length) return;
    const rows = Math.max(numRows, 2 * this.#counts.length);
    const losses = new Float32Array(rows * this.length);
    losses.set(this.#losses);
    const counts = new Int32Array(rows);
    counts.set(this.#counts);
    const stamps = new Int32Array(rows);
    stamps.set(this.#stamps);
    this.#losses = losses;
    this.#counts = counts;
    this.#stamps = stamps;
  }

  /** Losses recorded for an id so far (not capped at T). */
  count(id: number): number {
    return this.#counts[id] ?? 0;
  }

  /** Stores losses[b] as the latest loss of ids[b]; ids must lie in [0, numRows). */
  record(ids: Int32Array, losses: Float32Array): void {
    const T = this.length;
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      this.#losses[id * T + (this.#counts[id]! % T)] = losses[b]!;
    }
    this.#batch += 1;
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      if (this.#stamps[id] === this.#batch) continue;
      this.#stamps[id] = this.#batch;
      this.#counts[id]! += 1;
    }
  }

  /** out[b] = the mean of ids[b]'s last min(count, T) losses (ESAPN's ave_loss), NaN with none. */
  mean(ids: Int32Array, out: Float32Array): Float32Array {
    const T = this.length;
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      const kept = Math.min(this.#counts[id]!, T);
      let sum = 0;
      for (let j = 0; j < kept; ++j) sum += this.#losses[id * T + j]!;
      out[b] = kept === 0 ? NaN : sum / kept;
    }
    return out;
  }

  /** Every id's ring of losses, count and last batch, for a checkpoint. */
  snapshot(): StateSnapshot {
    return { state: { batch: this.#batch },
             tensors: { losses: this.#losses.slice(), counts: this.#counts.slice(), stamps: this.#stamps.slice() } };
  }

  /** Restores what snapshot() captured into a history of the same length T. */
  restore(snapshot: StateSnapshot): void {
    const counts = snapshotTensor(snapshot, "counts", Int32Array);
    const losses = snapshotTensor(snapshot, "losses", Float32Array);
    const stamps = snapshotTensor(snapshot, "stamps", Int32Array);
    if (losses.length !== counts.length * this.length || stamps.length !== counts.length) {
      throw new RangeError(`the snapshot holds ${counts.length} ids' counts but ${losses.length} losses and ${stamps.length} stamps ` +
                           `(T = ${this.length})`);
    }
    this.#losses = losses.slice();
    this.#counts = counts.slice();
    this.#stamps = stamps.slice();
    this.#batch = integerInRange(snapshot.state.batch, "snapshot.state.batch", 0, 2 ** 31 - 1);
  }

  /** out[b] = ids[b]'s latest loss (ESAPN's last_loss), NaN with none. */
  last(ids: Int32Array, out: Float32Array): Float32Array {
    const T = this.length;
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      const count = this.#counts[id]!;
      out[b] = count === 0 ? NaN : this.#losses[id * T + ((count - 1) % T)]!;
    }
    return out;
  }
}
