/**
 * EsapnController: ESAPN's size search as a component of any training loop over mixdim's
 * MixedDimEmbedding and ProjectionChain (methods.md B §1–3). Per batch t the loop calls
 *
 *   controller.update(l)          update_controller(batch t−1): REINFORCE with r = mean_T(past losses) − l,
 *                                 l = each sample's loss of batch t−1 after the recommender's step on it
 *   controller.act(batch t)       greedy actions; each chosen id grows one candidate, d_k → d_{k+1}
 *   … forward, per-sample loss …
 *   controller.observe(batch t, losses)   each id's loss before the step joins its last-T history
 *   … the recommender's optimizer step …
 *
 * Enlarging writes W_k·e + b_k (the chain's link) into the row at d_{k+1} and frees the old row,
 * so the chain's output for the id is unchanged and the table holds only the current sizes
 * (methods.md A2: memory while training is the plan's memory). Sizes never shrink.
 *
 * Two departures from the reference:
 * - The reference applies the controller's sampled enlargements to its tables before the forward
 *   that measures l. Through a projection chain an enlarge leaves each row's output unchanged
 *   (the reference's per-branch batch norm made l depend on it only through that branch's
 *   statistics), so l is measured at the current sizes and the sampled actions are not written.
 *   The reward therefore does not depend on the action (see README.md).
 * - Actions at the largest size are masked to keep, and such samples, having no choice, add
 *   nothing to the policy gradient (the reference reinforces the masked "keep").
 */
import { backward } from "../../autograd/tape.js";
import { integerInRange, numberInRange, oneOf, optionsObject } from "../../arguments.js";
import { uniformStream } from "../../data/seeds.js";
import type { Mulberry32 } from "../../data/random.js";
import { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import type { ModuleState } from "../../modules/module.js";
import { ProjectionChain } from "../../modules/projection_chain.js";
import { Adam } from "../../optim/adam.js";
import type { SizePlan } from "../../plan/size_plan.js";
import { Tensor } from "../../tensor.js";
import { moduleSnapshot, nestSnapshots, restoreModule, snapshotPart, snapshotTensor,
         type StateSnapshot } from "../../training/state_snapshot.js";
import { enlargeRows } from "./enlarge.js";
import { LossHistory } from "./loss_history.js";
import { enlarge, keep, reinforceGradient, SizePolicy } from "./policy.js";

export interface EsapnSide {
  embedding: MixedDimEmbedding;
  /** The links that carry a row from d_k to d_{k+1}; its dims must be the embedding's candidates. */
  chain: ProjectionChain;
}

/**
 * How training memory is held and counted.
 * - "lean" (default): each id holds only its current size; bytes = Σ_i d_i · 4.
 * - "all-sizes": the reference's accounting, every id holding every candidate (222 floats per id
 *   for {2, …, 128}, 222/128 of the fixed table). The rows are not duplicated: the reference's
 *   extra rows are overwritten by the enlarge before they are ever read, so holding them changes
 *   nothing but the bytes, which memory() reports as the reference would need them.
 */
export type EsapnStorage = "lean" | "all-sizes";

export interface EsapnControllerOptions {
  /** The tables to size, by name (e.g. { users, items }); each gets its own policy. */
  sides: Record<string, EsapnSide>;
  /** T, the losses kept per id for the baseline. Default 5. */
  historyLength?: number;
  /** "mean" (default, the reference's ave_loss): r = mean_T(past losses) − l; "last" (last_loss): r = l_prev − l. */
  baseline?: "mean" | "last";
  /** The policies' Adam learning rate. Default 1e-4. */
  learningRate?: number;
  /** The policies' hidden width. Default 512. */
  hidden?: number;
  /** Width of the frequency embedding. Default 32. */
  frequencyDim?: number;
  storage?: EsapnStorage;
  seed?: number;
}

/** One batch as the controller sees it: per side, each sample's id and its running frequency (the sample counted). */
export type EsapnBatch = Record<string, { ids: Int32Array; frequencies: Int32Array }>;

export interface EsapnMemory {
  /** What training holds under the storage mode: rowBytes ("lean") or allSizesBytes ("all-sizes"). */
  bytes: number;
  /** Σ_i d_i · 4: the plan's bytes. */
  rowBytes: number;
  /** The stores' weight storage, free slots and growth slack included. */
  allocatedBytes: number;
  /** Every id at every candidate, Σ_k d_k · 4 per id (the reference). */
  allSizesBytes: number;
  /** Every id at the largest candidate. */
  fixedBytes: number;
}

/** One side's search state: its table, policy, optimizer, loss history and the last batch it saw. */
class SideSearch {
  readonly candidates: Int32Array;
  readonly largest: number;
  /** size → candidate index, −1 for sizes that are not candidates. */
  readonly #indexOfSize: Int8Array;
  readonly policy: SizePolicy;
  readonly optimizer: Adam;
  readonly history: LossHistory;
  #decisions = new Uint8Array(0);
  #stamps = new Int32Array(0);
  #tick = 0;
  previous: { ids: Int32Array; frequencies: Int32Array } | undefined;

  constructor(readonly name: string, readonly embedding: MixedDimEmbedding, readonly chain: ProjectionChain,
              options: { historyLength: number; learningRate: number; hidden: number; frequencyDim: number; seed: number }) {
    this.candidates = Int32Array.from(embedding.store.candidates);
    this.largest = this.candidates.length - 1;
    this.#indexOfSize = new Int8Array(embedding.maxDim + 1).fill(-1);
    this.candidates.forEach((d, k) => { this.#indexOfSize[d] = k; });
    this.policy = new SizePolicy({ numSizes: this.candidates.length, hidden: options.hidden,
                                   frequencyDim: options.frequencyDim, seed: options.seed, device: embedding.store.device });
    this.optimizer = new Adam(this.policy.parameters(), { learningRate: options.learningRate });
    this.history = new LossHistory(embedding.numRows, options.historyLength);
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

  /**
   * Enlarges each id whose last sample in the batch chose to (numpy's last write wins), one
   * step, d_k → d_{k+1}, with the row W_k·e + b_k. Returns how many ids grew.
   */
  enlargeChosen(ids: Int32Array, indices: Int32Array, actions: Uint8Array): number {
    const rows = this.embedding.numRows;
    if (this.#stamps.length < rows) {
      this.#stamps = new Int32Array(rows);
      this.#decisions = new Uint8Array(rows);
      this.#tick = 0;
    }
    const tick = ++this.#tick;
    for (let b = 0; b < ids.length; ++b) {
      this.#decisions[ids[b]!] = actions[b]!;
      this.#stamps[ids[b]!] = tick;
    }
    const chosen = new Int32Array(ids.length);
    const from = new Int32Array(ids.length);
    let count = 0;
    for (let b = 0; b < ids.length; ++b) {
      const id = ids[b]!;
      if (this.#stamps[id] !== tick) continue;
      this.#stamps[id] = 0;
      if (this.#decisions[id] !== enlarge || indices[b]! >= this.largest) continue;
      chosen[count] = id;
      from[count] = this.candidates[indices[b]!]!;
      count += 1;
    }
    if (count > 0) enlargeRows(this.embedding, this.chain, chosen.subarray(0, count), from.subarray(0, count));
    return count;
  }
}

export class EsapnController {
  readonly storage: EsapnStorage;
  readonly baseline: "mean" | "last";
  readonly #sides: SideSearch[];
  readonly #random: Mulberry32;
  #previousSamples: number | undefined;

  /**
   * @example
   * const controller = new EsapnController({ sides: { users: { embedding: users, chain: userChain },
   *                                                   items: { embedding: items, chain: itemChain } } });
   */
  constructor(options: EsapnControllerOptions) {
    const opts = optionsObject(options);
    if (typeof opts.sides !== "object" || opts.sides === null || Object.keys(opts.sides).length === 0) {
      throw new TypeError("sides must name at least one { embedding, chain } (e.g. { users: { embedding, chain } })");
    }
    this.storage = oneOf(opts.storage ?? "lean", "storage", ["lean", "all-sizes"] as const);
    this.baseline = oneOf(opts.baseline ?? "mean", "baseline", ["mean", "last"] as const);
    const seed = integerInRange(opts.seed ?? 0, "seed", 0, Number.MAX_SAFE_INTEGER);
    const settings = {
      historyLength: integerInRange(opts.historyLength ?? 5, "historyLength", 1, 1024),
      learningRate: numberInRange(opts.learningRate ?? 1e-4, "learningRate", 0, Infinity, true),
      hidden: integerInRange(opts.hidden ?? 512, "hidden", 1, 65536),
      frequencyDim: integerInRange(opts.frequencyDim ?? 32, "frequencyDim", 1, 65536),
    };
    this.#sides = Object.entries(opts.sides).map(([name, side], k) => {
      if (typeof side !== "object" || side === null || !(side.embedding instanceof MixedDimEmbedding)) {
        throw new TypeError(`sides.${name}.embedding must be a MixedDimEmbedding`);
      }
      if (!(side.chain instanceof ProjectionChain)) throw new TypeError(`sides.${name}.chain must be a ProjectionChain`);
      const candidates = side.embedding.store.candidates;
      const dims = side.chain.dims;
      if (candidates.length < 2 || dims.length !== candidates.length || dims.some((d, i) => d !== candidates[i])) {
        throw new RangeError(`sides.${name}.chain has dims [${dims.join(", ")}] but must have the embedding's ` +
                             `candidates [${candidates.join(", ")}], at least two`);
      }
      return new SideSearch(name, side.embedding, side.chain, { ...settings, seed: seed + 1000 * (k + 1) });
    });
    this.#random = uniformStream(seed, 211);
  }

  /** The policy of a side, e.g. to inspect π. */
  policy(side: string): SizePolicy {
    return this.side(side).policy;
  }

  /**
   * update_RS's acting: for every sample the greedy action argmax π(· | f, k) (keep at the largest
   * size); each id whose (last) sample chose to enlarge grows one candidate. Returns the ids
   * grown per side. A batch of fewer than two samples keeps every size (the policy's batch norm
   * needs two).
   */
  act(batch: EsapnBatch): Record<string, number> {
    this.checkBatch(batch, "batch");
    const grown: Record<string, number> = {};
    for (const side of this.#sides) {
      const { ids, frequencies } = batch[side.name]!;
      const indices = side.sizeIndices(ids);
      // With every sample at the largest size there is nothing to choose; with fewer than two
      // samples the policy's batch norm has no statistics (the reference would fail), so all keep.
      if (ids.length < 2 || indices.every((k) => k >= side.largest)) {
        grown[side.name] = 0;
        continue;
      }
      // Only each id's last sample decides (enlargeChosen), and only below the largest size: the
      // policy computes just those when they are few (a time-ordered batch holds ~11 distinct users).
      const deciding = side.decidingSamples(ids, indices);
      const chosen = side.policy.greedyActions(frequencies, indices, deciding);
      const actions = new Uint8Array(ids.length);
      deciding.forEach((b, r) => { actions[b] = chosen[r]!; });
      grown[side.name] = side.enlargeChosen(ids, indices, actions);
    }
    return grown;
  }

  /**
   * After the forward on a batch: losses[b] (sample b's loss before the recommender's step) joins
   * the history of each side's id, and the batch becomes the one the next update() learns from.
   */
  observe(batch: EsapnBatch, losses: Float32Array): void {
    const samples = this.checkBatch(batch, "batch");
    this.checkLosses(losses, samples);
    for (const side of this.#sides) {
      const { ids, frequencies } = batch[side.name]!;
      side.history.grow(side.embedding.numRows);
      side.history.record(ids, losses);
      side.previous = { ids: Int32Array.from(ids), frequencies: Int32Array.from(frequencies) };
    }
    this.#previousSamples = samples;
  }

  /**
   * update_controller on the observed batch: losses[b] is sample b's loss after the recommender
   * stepped on it. Samples actions a ~ π(· | f, k) at the current sizes, rewards
   * r = baseline − l (baseline: the id's mean of its last T losses, or its last loss), and takes
   * one Adam step on −Σ r · log π(a | s) per side (none for a batch of fewer than two samples).
   * Returns each side's mean reward.
   */
  update(losses: Float32Array): Record<string, number> {
    if (this.#previousSamples === undefined) throw new Error("update: observe() a batch before updating on it");
    this.checkLosses(losses, this.#previousSamples);
    const rewardsBySide: Record<string, number> = {};
    for (const side of this.#sides) {
      const { ids, frequencies } = side.previous!;
      const indices = side.sizeIndices(ids);
      const baselines = new Float32Array(ids.length);
      if (this.baseline === "mean") side.history.mean(ids, baselines);
      else side.history.last(ids, baselines);
      // Samples at the largest size had no choice, and ids with no history have no baseline: no step without either.
      if (ids.length < 2 || !indices.some((k, b) => k < side.largest && !Number.isNaN(baselines[b]!))) {
        rewardsBySide[side.name] = 0;
        continue;
      }
      const logits = side.policy.forward(frequencies, indices);
      const z = logits.value.toArray();
      const actions = new Uint8Array(ids.length);
      const rewards = new Float32Array(ids.length);
      let total = 0;
      let counted = 0;
      for (let b = 0; b < ids.length; ++b) {
        const pEnlarge = 1 / (1 + Math.exp(z[2 * b]! - z[2 * b + 1]!));
        const u = this.#random();
        if (indices[b]! >= side.largest || Number.isNaN(baselines[b]!)) continue;
        actions[b] = u < pEnlarge ? enlarge : keep;
        rewards[b] = baselines[b]! - losses[b]!;
        total += rewards[b]!;
        counted += 1;
      }
      side.optimizer.zeroGrad();
      backward(logits, Tensor.from(reinforceGradient(z, actions, rewards), { shape: [ids.length, 2], device: logits.device }));
      side.optimizer.step();
      rewardsBySide[side.name] = counted === 0 ? 0 : total / counted;
    }
    this.#previousSamples = undefined;
    return rewardsBySide;
  }

  /**
   * Everything the controller has learned and remembers, for a checkpoint: per side the policy and
   * its Adam, the loss history and the observed batch; the sampling stream's position. (The
   * tables are the recommender's: checkpoint them with it.)
   */
  snapshot(): StateSnapshot {
    const sides: Record<string, StateSnapshot> = {};
    for (const side of this.#sides) {
      const previous: ModuleState = side.previous === undefined ? {}
        : { previousIds: side.previous.ids.slice(), previousFrequencies: side.previous.frequencies.slice() };
      sides[side.name] = nestSnapshots({ policy: moduleSnapshot(side.policy, side.optimizer), history: side.history.snapshot() },
                                       { tensors: previous });
    }
    return nestSnapshots(sides, { state: { random: this.#random.state, previousSamples: this.#previousSamples ?? null } });
  }

  /** Restores what snapshot() captured into a controller built with the same options over the same tables. */
  restore(snapshot: StateSnapshot): void {
    for (const side of this.#sides) {
      const part = snapshotPart(snapshot, side.name);
      restoreModule(snapshotPart(part, "policy"), side.policy, side.optimizer);
      side.history.restore(snapshotPart(part, "history"));
      side.previous = part.tensors.previousIds === undefined ? undefined
        : { ids: snapshotTensor(part, "previousIds", Int32Array).slice(), frequencies: snapshotTensor(part, "previousFrequencies", Int32Array).slice() };
    }
    this.#random.state = integerInRange(snapshot.state.random, "snapshot.state.random", 0, 2 ** 32 - 1);
    const samples = snapshot.state.previousSamples;
    this.#previousSamples = samples === null ? undefined : integerInRange(samples, "snapshot.state.previousSamples", 0, 2 ** 31 - 1);
  }

  /** Each side's sizes now: the plan so far. */
  plan(): SizePlan {
    const candidates = Array.from(this.#sides[0]!.candidates);
    return { candidates, tables: Object.fromEntries(this.#sides.map((side) => [side.name, side.embedding.sizes()])) };
  }

  /** Embedding memory now, summed over the sides. */
  memory(): EsapnMemory {
    let rowBytes = 0;
    let allocatedBytes = 0;
    let allSizesBytes = 0;
    let fixedBytes = 0;
    for (const side of this.#sides) {
      const bytes = side.embedding.store.bytes();
      const rows = side.embedding.numRows;
      rowBytes += bytes.rows;
      allocatedBytes += bytes.weights;
      allSizesBytes += rows * side.candidates.reduce((a, d) => a + d, 0) * 4;
      fixedBytes += rows * side.candidates[side.largest]! * 4;
    }
    return { bytes: this.storage === "lean" ? rowBytes : allSizesBytes, rowBytes, allocatedBytes, allSizesBytes, fixedBytes };
  }

  private side(name: string): SideSearch {
    const side = this.#sides.find((s) => s.name === name);
    if (side === undefined) {
      throw new RangeError(`side must be one of ${this.#sides.map((s) => `"${s.name}"`).join(", ")}, got ${JSON.stringify(name)}`);
    }
    return side;
  }

  /** The batch's sample count; a TypeError or RangeError naming the first bad part. */
  private checkBatch(batch: EsapnBatch, argument: string): number {
    if (typeof batch !== "object" || batch === null) throw new TypeError(`${argument} must be an object of sides`);
    let samples: number | undefined;
    for (const side of this.#sides) {
      const part = batch[side.name];
      const where = `${argument}.${side.name}`;
      if (typeof part !== "object" || part === null) throw new TypeError(`${where} must be { ids, frequencies }`);
      if (!(part.ids instanceof Int32Array)) throw new TypeError(`${where}.ids must be an Int32Array`);
      if (!(part.frequencies instanceof Int32Array)) throw new TypeError(`${where}.frequencies must be an Int32Array`);
      if (part.frequencies.length !== part.ids.length) {
        throw new RangeError(`${where}.frequencies has length ${part.frequencies.length} but ids has ${part.ids.length}`);
      }
      if (samples !== undefined && part.ids.length !== samples) {
        throw new RangeError(`${where}.ids has length ${part.ids.length} but the other sides have ${samples}`);
      }
      samples = part.ids.length;
      const rows = side.embedding.numRows;
      for (let b = 0; b < samples; ++b) {
        const id = part.ids[b]!;
        if (id < 0 || id >= rows) throw new RangeError(`${where}.ids[${b}] = ${id} is out of range [0, ${rows})`);
        if (part.frequencies[b]! < 0) throw new RangeError(`${where}.frequencies[${b}] = ${part.frequencies[b]} must be non-negative`);
      }
    }
    return samples ?? 0;
  }

  private checkLosses(losses: Float32Array, samples: number): void {
    if (!(losses instanceof Float32Array)) throw new TypeError("losses must be a Float32Array of per-sample losses");
    if (losses.length !== samples) throw new RangeError(`losses has length ${losses.length} but the batch has ${samples} samples`);
    for (let b = 0; b < samples; ++b) {
      if (!Number.isFinite(losses[b]!)) throw new RangeError(`losses[${b}] = ${losses[b]} must be finite`);
    }
  }
}

