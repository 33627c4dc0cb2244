/**
 * The frequency in ESAPN's state (methods.md B §2): how often an id has occurred in the stream
 * so far, the current sample included, so its first occurrence has frequency 1 and an id seen
 * twice in one batch gets 1 and then 2. Unlike the reference, counts carry on from the training
 * head into the test tail (the reference restarts them at 1, B §6.1): it is one stream.
 */
import { integerInRange } from "../../arguments.js";
import { snapshotTensor, type StateSnapshot } from "../../training/state_snapshot.js";

export class RunningFrequency {
  #counts: Int32Array;

  constructor(numRows: number) {
    this.#counts = new Int32Array(integerInRange(numRows, "numRows", 0, 2 ** 31 - 1));
  }

  /** Counts the batch's ids and writes each sample's running count into out (ids must lie in [0, numRows)). */
  next(ids: Int32Array, out: Int32Array = new Int32Array(ids.length)): Int32Array {
    if (out.length < ids.length) throw new RangeError(`out has length ${out.length} but ids has ${ids.length}`);
    this.grow(ids);
    for (let b = 0; b < ids.length; ++b) out[b] = ++this.#counts[ids[b]!]!;
    return out;
  }

  /** The count of an id so far. */
  count(id: number): number {
    return this.#counts[id] ?? 0;
  }

  /** Every id's count, for a checkpoint. */
  snapshot(): StateSnapshot {
    return { state: {}, tensors: { counts: this.#counts.slice() } };
  }

  /** Restores what snapshot() captured. */
  restore(snapshot: StateSnapshot): void {
    this.#counts = snapshotTensor(snapshot, "counts", Int32Array).slice();
  }

  private grow(ids: Int32Array): void {
    let largest = -1;
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`ids[${b}] = ${id} must be a non-negative integer`);
      if (id > largest) largest = id;
    }
    if (largest < this.#counts.length) return;
    const counts = new Int32Array(Math.max(largest + 1, 2 * this.#counts.length));
    counts.set(this.#counts);
    this.#counts = counts;
  }
}
