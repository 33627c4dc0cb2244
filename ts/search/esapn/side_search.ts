/**
 * One side of ESAPN's search (a table such as users or items): its table and chain, its policy
 * with that policy's Adam, each id's loss history and occurrence count, the actions waiting for a
 * delayed reward, and the batch the immediate reward learns from next. EsapnController holds one
 * per side and runs the steps across them.
 */
import { backward } from "../../autograd/tape.js";
import type { Variable } from "../../autograd/variable.js";
import type { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import type { ProjectionChain } from "../../modules/projection_chain.js";
import { Adam } from "../../optim/adam.js";
import { Tensor } from "../../tensor.js";
import { LossHistory } from "./loss_history.js";
import { PendingActions } from "./pending_actions.js";
import { reinforceGradient, SizePolicy } from "./policy.js";

export interface SideSearchOptions {
  historyLength: number;
  learningRate: number;
  hidden: number;
  frequencyDim: number;
  /** Whether the policy's state holds the fraction of a budget left. */
  budgetFeature: boolean;
  /** The occurrences whose mean loss rewards a delayed action. */
  rewardHorizon: number;
  seed: number;
}

/** The states and actions of one batch's deciding samples, before the budget admits them (delayed reward). */
export interface SampledActions {
  ids: Int32Array;
  frequencies: Int32Array;
  sizeIndices: Int32Array;
  budgetLeft: Float32Array;
  actions: Uint8Array;
  baselines: Float32Array;
}

export class SideSearch {
  readonly candidates: Int32Array;
  readonly largest: number;
  /** size → candidate index, −1 for sizes that are not candidates. */
  readonly #indexOfSize: Int8Array;
  readonly policy: SizePolicy;
  readonly optimizer: Adam;
  readonly history: LossHistory;
  /** Each id's occurrences so far (the largest running frequency seen): who steps down first under a budget. */
  counts = new Int32Array(0);
  /** Actions waiting for their id's next occurrences (delayed reward). */
  readonly pending: PendingActions;
  /** This batch's sampled actions, which wait from observe() on (delayed reward). */
  sampled: SampledActions | undefined;
  /** The observed batch, which the immediate reward's update learns from. */
  previous: { ids: Int32Array; frequencies: Int32Array; budgetLeft: number | undefined } | undefined;

  constructor(readonly name: string, readonly embedding: MixedDimEmbedding, readonly chain: ProjectionChain,
              options: SideSearchOptions) {
    this.candidates = Int32Array.from(embedding.store.candidates);
    this.largest = this.candidates.length - 1;
    this.#indexOfSize = new Int8Array(embedding.maxDim + 1).fill(-1);
    this.candidates.forEach((d, k) => { this.#indexOfSize[d] = k; });
    this.policy = new SizePolicy({ numSizes: this.candidates.length, hidden: options.hidden, frequencyDim: options.frequencyDim,
                                   budgetFeature: options.budgetFeature, seed: options.seed, device: embedding.store.device });
    this.optimizer = new Adam(this.policy.parameters(), { learningRate: options.learningRate });
    this.history = new LossHistory(embedding.numRows, options.historyLength);
    this.pending = new PendingActions(options.rewardHorizon);
  }

  /** Each sample's size index now. */
  sizeIndices(ids: Int32Array): Int32Array {
    const sizes = this.embedding.sizes();
    const out = new Int32Array(ids.length);
    for (let b = 0; b < ids.length; ++b) out[b] = this.#indexOfSize[sizes[ids[b]!]!]!;
    return out;
  }

  /** The samples whose action counts: each id's last sample in the batch, where the id is below the largest size. */
  decidingSamples(ids: Int32Array, indices: Int32Array): Int32Array {
    const seen = new Set<number>();
    const rows: number[] = [];
    for (let b = ids.length - 1; b >= 0; --b) {
      if (seen.has(ids[b]!)) continue;
      seen.add(ids[b]!);
      if (indices[b]! < this.largest) rows.push(b);
    }
    return Int32Array.from(rows.reverse());
  }

  /** Counts the batch's occurrences: each id's count becomes its running frequency. */
  countOccurrences(ids: Int32Array, frequencies: Int32Array): void {
    if (this.counts.length < this.embedding.numRows) {
      const counts = new Int32Array(Math.max(this.embedding.numRows, 2 * this.counts.length));
      counts.set(this.counts);
      this.counts = counts;
    }
    for (let b = 0; b < ids.length; ++b) this.counts[ids[b]!] = Math.max(this.counts[ids[b]!]!, frequencies[b]!);
  }

  /** One Adam step of the policy on −Σ_b r_b · log π(a_b | s_b) (REINFORCE), from the policy's logits on the tape. */
  reinforce(logits: Variable, actions: Uint8Array, rewards: Float32Array): void {
    const z = logits.value.toArray();
    this.optimizer.zeroGrad();
    backward(logits, Tensor.from(reinforceGradient(z, actions, rewards), { shape: [actions.length, 2], device: logits.device }));
    this.optimizer.step();
  }
}
