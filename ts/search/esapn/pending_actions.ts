/**
 * The delayed reward's bookkeeping (settings.reward "delayed"): each sampled action waits for its
 * id's next occurrence, when the recommender has trained at the size the action gave it. Then
 *
 *   r = (the mean of the id's last T losses before the action) − (its loss at that occurrence),
 *
 * and the action is rewarded once and forgotten. With a horizon H above 1 the action waits for
 * H occurrences and r uses the mean of their losses (each occurrence's first sample); the id
 * does not act again meanwhile (EsapnController). Actions still waiting when the stream ends are
 * never rewarded.
 */
import { snapshotTensor, type StateSnapshot } from "../../training/state_snapshot.js";

/** Actions rewarded in one batch: their ids, the states they were taken in, the actions, and their rewards. */
export interface RewardedActions {
  ids: Int32Array;
  frequencies: Int32Array;
  sizeIndices: Int32Array;
  budgetLeft: Float32Array;
  actions: Uint8Array;
  rewards: Float32Array;
}

/** Each id's waiting action, if any, with its state and baseline. */
export class PendingActions {
  /** −1: nothing waits; otherwise the action taken. */
  #action = new Int8Array(0);
  #frequency = new Int32Array(0);
  #sizeIndex = new Int32Array(0);
  #budgetLeft = new Float32Array(0);
  #baseline = new Float32Array(0);
  /** Occurrences seen since the action, and their summed first-sample losses (for a horizon above 1). */
  #waited = new Int32Array(0);
  #lossSum = new Float32Array(0);

  /** @param horizon the occurrences whose mean loss rewards an action: 1 (default) is the next occurrence alone. */
  constructor(readonly horizon = 1) {}

  /** Whether an id's action still waits after its next occurrence (so it should not act there). */
  waitsBeyondNext(id: number): boolean {
    return id < this.#action.length && this.#action[id]! >= 0 && this.#waited[id]! + 1 < this.horizon;
  }

  /** How many actions wait. */
  get size(): number {
    let count = 0;
    for (const a of this.#action) if (a >= 0) count += 1;
    return count;
  }

  /** Records that sample b's id took actions[b] in state (frequencies[b], sizeIndices[b], budgetLeft[b]) with baselines[b]. */
  add(ids: Int32Array, frequencies: Int32Array, sizeIndices: Int32Array, budgetLeft: Float32Array, actions: Uint8Array,
      baselines: Float32Array): void {
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      this.grow(id + 1);
      this.#action[id] = actions[b]!;
      this.#frequency[id] = frequencies[b]!;
      this.#sizeIndex[id] = sizeIndices[b]!;
      this.#budgetLeft[id] = budgetLeft[b]!;
      this.#baseline[id] = baselines[b]!;
      this.#waited[id] = 0;
      this.#lossSum[id] = 0;
    }
  }

  /**
   * The rewards of the actions whose ids occur in this batch: each id's first sample's loss is its
   * loss at the next occurrence. Those actions stop waiting.
   */
  reward(ids: Int32Array, losses: Float32Array): RewardedActions {
    const rows: number[] = [];
    const actions: number[] = [];
    const rewards: number[] = [];
    const seen = new Set<number>();
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      if (id >= this.#action.length || this.#action[id]! < 0 || seen.has(id)) continue;
      seen.add(id);
      this.#lossSum[id]! += losses[b]!;
      this.#waited[id]! += 1;
      if (this.#waited[id]! < this.horizon) continue;
      rows.push(id);
      actions.push(this.#action[id]!);
      rewards.push(this.#baseline[id]! - this.#lossSum[id]! / this.horizon);
      this.#action[id] = -1;
    }
    const taken = (values: ArrayLike<number>) => rows.map((id) => values[id]!);
    return {
      ids: Int32Array.from(rows), frequencies: Int32Array.from(taken(this.#frequency)), sizeIndices: Int32Array.from(taken(this.#sizeIndex)),
      budgetLeft: Float32Array.from(taken(this.#budgetLeft)), actions: Uint8Array.from(actions),
      rewards: Float32Array.from(rewards),
    };
  }

  /** Every waiting action, for a checkpoint. */
  snapshot(): StateSnapshot {
    return { state: {}, tensors: { action: Int32Array.from(this.#action), frequency: this.#frequency.slice(),
                                   sizeIndex: this.#sizeIndex.slice(), budgetLeft: this.#budgetLeft.slice(),
                                   baseline: this.#baseline.slice(), waited: this.#waited.slice(), lossSum: this.#lossSum.slice() } };
  }

  /** Restores what snapshot() captured. */
  restore(snapshot: StateSnapshot): void {
    const action = snapshotTensor(snapshot, "action", Int32Array);
    const parts = { frequency: snapshotTensor(snapshot, "frequency", Int32Array), sizeIndex: snapshotTensor(snapshot, "sizeIndex", Int32Array),
                    budgetLeft: snapshotTensor(snapshot, "budgetLeft", Float32Array), baseline: snapshotTensor(snapshot, "baseline", Float32Array),
                    waited: snapshotTensor(snapshot, "waited", Int32Array), lossSum: snapshotTensor(snapshot, "lossSum", Float32Array) };
    for (const [name, values] of Object.entries(parts)) {
      if (values.length !== action.length) throw new RangeError(`the snapshot holds ${action.length} actions but ${values.length} ${name} values`);
    }
    this.#action = Int8Array.from(action);
    this.#frequency = parts.frequency.slice();
    this.#sizeIndex = parts.sizeIndex.slice();
    this.#budgetLeft = parts.budgetLeft.slice();
    this.#baseline = parts.baseline.slice();
    this.#waited = parts.waited.slice();
    this.#lossSum = parts.lossSum.slice();
  }

  private grow(rows: number): void {
    if (rows <= this.#action.length) return;
    const length = Math.max(rows, 2 * this.#action.length);
    const action = new Int8Array(length).fill(-1);
    action.set(this.#action);
    this.#action = action;
    this.#frequency = extend(this.#frequency, new Int32Array(length));
    this.#sizeIndex = extend(this.#sizeIndex, new Int32Array(length));
    this.#budgetLeft = extend(this.#budgetLeft, new Float32Array(length));
    this.#baseline = extend(this.#baseline, new Float32Array(length));
    this.#waited = extend(this.#waited, new Int32Array(length));
    this.#lossSum = extend(this.#lossSum, new Float32Array(length));
  }
}

function extend<T extends Int32Array | Float32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
