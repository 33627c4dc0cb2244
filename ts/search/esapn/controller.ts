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
 * (methods.md A2: memory while training is the plan's memory). Without a budget sizes never shrink.
 *
 * That is the reference's immediate reward (reward "immediate"). Departures from the reference:
 * - The reference applies the controller's sampled enlargements to its tables before the forward
 *   that measures l. Through a projection chain an enlarge leaves each row's output unchanged
 *   (the reference's per-branch batch norm made l depend on it only through that branch's
 *   statistics), so l is measured at the current sizes and the sampled actions are not written.
 *   The immediate reward therefore does not depend on the action (see README.md).
 * - reward "delayed" makes it depend on it: act() samples a ~ π(· | s) and applies it for real,
 *   and the action is rewarded at the id's next occurrence, after the recommender has trained at
 *   the new size, with r = mean_T(losses before the action) − the loss there (pending_actions.ts).
 *   observe() takes that policy step; there is no update().
 * - With budgetBytes the live tables never exceed the budget after act() (live_budget.ts): new
 *   ids that push them past it make the least frequent ids step down, an enlargement that does not
 *   fit is refused, and the policy's state holds β, the fraction of the budget left.
 * - policy "frozen" never takes a policy step: the control that tells whether learning matters.
 *   A function in its place (EsapnActionRule) decides instead of the policy network, under the
 *   same acting schedule, rewards and budget: a hand-set rule to measure the policy against.
 * - Actions at the largest size are masked to keep, and such samples, having no choice, add
 *   nothing to the policy gradient (the reference reinforces the masked "keep").
 */
import { integerInRange, numberInRange, oneOf, optionsObject } from "../../arguments.js";
import { uniformStream } from "../../data/seeds.js";
import type { Mulberry32 } from "../../data/random.js";
import { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import type { ModuleState } from "../../modules/module.js";
import { ProjectionChain } from "../../modules/projection_chain.js";
import type { SizePlan } from "../../plan/size_plan.js";
import { moduleSnapshot, nestSnapshots, restoreModule, snapshotPart, snapshotTensor,
         type StateSnapshot } from "../../training/state_snapshot.js";
import { enlargeRows } from "./enlarge.js";
import { admitEnlargements, fitTablesToBudget, liveBytes, type BudgetTable, type EnlargeRequest } from "./live_budget.js";
import type { RewardedActions } from "./pending_actions.js";
import { enlarge, enlargeProbability, keep, type SizePolicy } from "./policy.js";
import { SideSearch, type SampledActions } from "./side_search.js";

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
  /**
   * A cap on the live tables, Σ d_i · 4 over every id of every side, held after every act()
   * (live_budget.ts). Default: none. Requires storage "lean".
   */
  budgetBytes?: number;
  /** "immediate" (the reference: update() after the step) or "delayed" (at the id's next occurrence). Default "immediate". */
  reward?: EsapnReward;
  /**
   * With reward "delayed": the id's occurrences after the action whose mean loss rewards it.
   * Default 1, the next occurrence alone; an id whose action still waits does not act again.
   */
  rewardHorizon?: number;
  /**
   * "learned" (default); "frozen": the policies keep their initial weights (a control); or a rule
   * that decides in their place (EsapnActionRule), e.g. a frequency threshold to compare against.
   */
  policy?: EsapnPolicyMode | EsapnActionRule;
  seed?: number;
}

/** When an action is rewarded: after the step on its batch (the reference) or at its id's next occurrence. */
export type EsapnReward = "immediate" | "delayed";
/** Whether the policies learn ("learned") or keep their initial weights ("frozen"). */
export type EsapnPolicyMode = "learned" | "frozen";

/**
 * The samples of a batch that decide, on one side: each id's last sample in the batch below the
 * largest size, as the policy sees them.
 */
export interface EsapnDecidingSamples {
  ids: Int32Array;
  /** Each id's running frequency, this sample counted. */
  frequencies: Int32Array;
  /** k, where the id is at candidates[k]. */
  sizeIndices: Int32Array;
  /** β, the fraction of the budget left; undefined without budgetBytes. */
  budgetLeft: number | undefined;
}

/**
 * A rule in place of a side's policy network. act() calls it with the samples that decide, and it
 * returns 1 (enlarge) or 0 (keep) for each, as a Uint8Array of the same length. Budget, refusals
 * and rewards apply as to the policy's actions; nothing learns.
 */
export type EsapnActionRule = (side: string, samples: EsapnDecidingSamples) => Uint8Array;

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

export class EsapnController {
  readonly storage: EsapnStorage;
  readonly baseline: "mean" | "last";
  readonly reward: EsapnReward;
  /** "rule" when options.policy was a rule. */
  readonly policyMode: EsapnPolicyMode | "rule";
  readonly budgetBytes: number | undefined;
  readonly #sides: SideSearch[];
  readonly #rule: EsapnActionRule | undefined;
  readonly #random: Mulberry32;
  #previousSamples: number | undefined;

  /**
   * @example
   * const controller = new EsapnController({ sides: { users: { embedding: users, chain: userChain },
   *                                                   items: { embedding: items, chain: itemChain } },
   *                                          budgetBytes: 256 * 1024, reward: "delayed" });
   */
  constructor(options: EsapnControllerOptions) {
    const opts = optionsObject(options);
    if (typeof opts.sides !== "object" || opts.sides === null || Object.keys(opts.sides).length === 0) {
      throw new TypeError("sides must name at least one { embedding, chain } (e.g. { users: { embedding, chain } })");
    }
    this.storage = oneOf(opts.storage ?? "lean", "storage", ["lean", "all-sizes"] as const);
    this.baseline = oneOf(opts.baseline ?? "mean", "baseline", ["mean", "last"] as const);
    this.reward = oneOf(opts.reward ?? "immediate", "reward", ["immediate", "delayed"] as const);
    this.#rule = typeof opts.policy === "function" ? opts.policy : undefined;
    this.policyMode = this.#rule !== undefined ? "rule" : oneOf(opts.policy ?? "learned", "policy", ["learned", "frozen"] as const);
    this.budgetBytes = opts.budgetBytes === undefined ? undefined
      : integerInRange(opts.budgetBytes, "budgetBytes", 0, Number.MAX_SAFE_INTEGER);
    if (this.budgetBytes !== undefined && this.storage !== "lean") {
      throw new RangeError(`budgetBytes needs storage "lean": "${this.storage}" counts every candidate of every id, ` +
                           "which no budget below that holds");
    }
    const seed = integerInRange(opts.seed ?? 0, "seed", 0, Number.MAX_SAFE_INTEGER);
    const settings = {
      historyLength: integerInRange(opts.historyLength ?? 5, "historyLength", 1, 1024),
      learningRate: numberInRange(opts.learningRate ?? 1e-4, "learningRate", 0, Infinity, true),
      hidden: integerInRange(opts.hidden ?? 512, "hidden", 1, 65536),
      frequencyDim: integerInRange(opts.frequencyDim ?? 32, "frequencyDim", 1, 65536),
      budgetFeature: this.budgetBytes !== undefined,
      rewardHorizon: integerInRange(opts.rewardHorizon ?? 1, "rewardHorizon", 1, 1024),
    };
    if (settings.rewardHorizon > 1 && this.reward !== "delayed") {
      throw new RangeError(`rewardHorizon = ${settings.rewardHorizon} needs reward "delayed": the immediate reward has no horizon`);
    }
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
    const first = this.#sides[0]!.candidates;
    for (const side of this.#sides) {
      if (side.candidates.length !== first.length || side.candidates.some((d, k) => d !== first[k])) {
        throw new RangeError(`sides.${side.name} has candidates [${side.candidates.join(", ")}] but sides.${this.#sides[0]!.name} ` +
                             `has [${first.join(", ")}]; every side must have the same`);
      }
    }
    this.#random = uniformStream(seed, 211);
  }

  /** The policy of a side, e.g. to inspect π. */
  policy(side: string): SizePolicy {
    return this.side(side).policy;
  }

  /**
   * update_RS's acting: an action for each id's last sample below the largest size, greedy
   * (argmax π, reward "immediate") or sampled (a ~ π, reward "delayed"); each id that chose to
   * enlarge grows one candidate. Under budgetBytes, the tables are first brought within it (new
   * ids may have pushed them past) and enlargements that would not fit are refused. Returns the
   * ids grown per side. A batch of fewer than two samples keeps every size (the policy's batch
   * norm needs two).
   */
  act(batch: EsapnBatch): Record<string, number> {
    this.checkBatch(batch, "batch");
    for (const side of this.#sides) side.countOccurrences(batch[side.name]!.ids, batch[side.name]!.frequencies);
    if (this.budgetBytes !== undefined) fitTablesToBudget(this.budgetTables(), this.budgetBytes);
    const beta = this.budgetLeft();
    const requests: EnlargeRequest[] = [];
    this.#sides.forEach((side, table) => {
      side.sampled = undefined;
      const { ids, frequencies } = batch[side.name]!;
      const indices = side.sizeIndices(ids);
      // With every sample at the largest size there is nothing to choose; with fewer than two
      // samples the policy's batch norm has no statistics (the reference would fail), so all keep.
      if (ids.length < 2 || indices.every((k) => k >= side.largest)) return;
      // Only each id's last sample decides, and only below the largest size: the policy computes
      // just those when they are few (a time-ordered batch holds ~11 distinct users).
      // An id whose delayed reward still waits beyond this occurrence keeps its size until it is rewarded.
      const deciding = this.reward === "delayed" ? side.decidingSamples(ids, indices).filter((b) => !side.pending.waitsBeyondNext(ids[b]!))
        : side.decidingSamples(ids, indices);
      const betaColumn = beta === undefined ? undefined : new Float32Array(ids.length).fill(beta);
      const pick = (values: Int32Array) => Int32Array.from(deciding, (b) => values[b]!);
      // The rule gets arrays of its own: what it does with them cannot reach the waiting actions below.
      const actions = this.#rule !== undefined
        ? this.ruleActions(side.name, { ids: pick(ids), frequencies: pick(frequencies), sizeIndices: pick(indices), budgetLeft: beta })
        : this.reward === "delayed" ? this.sampleActions(side.policy.actionLogits(frequencies, indices, deciding, betaColumn))
        : side.policy.greedyActions(frequencies, indices, deciding, betaColumn);
      deciding.forEach((b, r) => {
        if (actions[r] === enlarge) requests.push({ table, id: ids[b]!, level: indices[b]!, count: side.counts[ids[b]!]! });
      });
      if (this.reward === "delayed") {
        const deciders = pick(ids);
        side.sampled = { ids: deciders, frequencies: pick(frequencies), sizeIndices: pick(indices),
                         budgetLeft: new Float32Array(deciding.length).fill(beta ?? 0), actions,
                         baselines: this.baselines(side, deciders) };
      }
    });
    const admitted = this.budgetBytes === undefined ? requests.map((_, r) => r)
      : admitEnlargements(requests, this.#sides[0]!.candidates, this.budgetBytes - liveBytes(this.budgetTables()));
    const grown: Record<string, number> = {};
    this.#sides.forEach((side, table) => {
      const mine = admitted.map((r) => requests[r]!).filter((request) => request.table === table);
      if (side.sampled !== undefined) dropRefused(side.sampled, new Set(mine.map((request) => request.id)));
      grown[side.name] = mine.length;
      if (mine.length === 0) return;
      enlargeRows(side.embedding, side.chain, Int32Array.from(mine, (request) => request.id),
                  Int32Array.from(mine, (request) => side.candidates[request.level]!));
    });
    return grown;
  }

  /**
   * After the forward on a batch: losses[b] (sample b's loss before the recommender's step) joins
   * the history of each side's id. With reward "immediate" the batch becomes the one the next
   * update() learns from. With "delayed", the actions waiting for these ids are rewarded with
   * their first sample's loss here, the policy takes its step on them (when there are at least
   * two), and the actions act() sampled on this batch start to wait. Returns, per side, the
   * actions rewarded here (empty with "immediate"), to see what the policies learn from.
   *
   * The step weighs each action by r − r̄, r̄ the mean reward of the batch's rewarded actions: a
   * baseline, which leaves the expected policy gradient as it is (Σ_a π ∇log π = 0) and removes
   * what every reward shares. Losses fall as the recommender trains, so raw rewards are mostly
   * positive, and without it every sampled action is reinforced, the more so the more it is sampled.
   */
  observe(batch: EsapnBatch, losses: Float32Array): Record<string, RewardedActions> {
    const samples = this.checkBatch(batch, "batch");
    this.checkLosses(losses, samples);
    const beta = this.budgetLeft();
    const rewardedBySide: Record<string, RewardedActions> = {};
    for (const side of this.#sides) {
      const { ids, frequencies } = batch[side.name]!;
      side.history.grow(side.embedding.numRows);
      if (this.reward === "delayed") {
        const rewarded = side.pending.reward(ids, losses);
        rewardedBySide[side.name] = rewarded;
        if (this.policyMode === "learned" && rewarded.actions.length >= 2) {
          const logits = side.policy.forward(rewarded.frequencies, rewarded.sizeIndices,
                                             this.budgetBytes === undefined ? undefined : rewarded.budgetLeft);
          side.reinforce(logits, rewarded.actions, advantages(rewarded.rewards));
        }
      }
      side.history.record(ids, losses);
      if (side.sampled !== undefined) {
        const { ids: deciders, frequencies: f, sizeIndices, budgetLeft, actions, baselines } = side.sampled;
        side.pending.add(deciders, f, sizeIndices, budgetLeft, actions, baselines);
        side.sampled = undefined;
      }
      side.previous = { ids: Int32Array.from(ids), frequencies: Int32Array.from(frequencies), budgetLeft: beta };
    }
    this.#previousSamples = samples;
    return rewardedBySide;
  }

  /**
   * update_controller on the observed batch (reward "immediate" only): losses[b] is sample b's
   * loss after the recommender stepped on it. Samples actions a ~ π(· | f, k) at the current
   * sizes, rewards r = baseline − l (baseline: the id's mean of its last T losses, or its last
   * loss), and takes one Adam step on −Σ r · log π(a | s) per side (none for a batch of fewer
   * than two samples, nor with policy "frozen"). Returns each side's mean reward.
   */
  update(losses: Float32Array): Record<string, number> {
    if (this.reward !== "immediate") {
      throw new Error("update() is the immediate reward's step; with reward \"delayed\" the policy learns in observe()");
    }
    if (this.#previousSamples === undefined) throw new Error("update: observe() a batch before updating on it");
    this.checkLosses(losses, this.#previousSamples);
    const rewardsBySide: Record<string, number> = {};
    for (const side of this.#sides) {
      const { ids, frequencies, budgetLeft } = side.previous!;
      const indices = side.sizeIndices(ids);
      const baselines = this.baselines(side, ids);
      // Samples at the largest size had no choice, and ids with no history have no baseline: no step without either.
      if (ids.length < 2 || !indices.some((k, b) => k < side.largest && !Number.isNaN(baselines[b]!))) {
        rewardsBySide[side.name] = 0;
        continue;
      }
      const logits = side.policy.forward(frequencies, indices,
                                         budgetLeft === undefined ? undefined : new Float32Array(ids.length).fill(budgetLeft));
      const z = logits.value.toArray();
      const actions = new Uint8Array(ids.length);
      const rewards = new Float32Array(ids.length);
      let total = 0;
      let counted = 0;
      for (let b = 0; b < ids.length; ++b) {
        const u = this.#random();
        if (indices[b]! >= side.largest || Number.isNaN(baselines[b]!)) continue;
        actions[b] = u < enlargeProbability(z, b) ? enlarge : keep;
        rewards[b] = baselines[b]! - losses[b]!;
        total += rewards[b]!;
        counted += 1;
      }
      if (this.policyMode === "learned") side.reinforce(logits, actions, rewards);
      rewardsBySide[side.name] = counted === 0 ? 0 : total / counted;
    }
    this.#previousSamples = undefined;
    return rewardsBySide;
  }

  /**
   * Everything the controller has learned and remembers, for a checkpoint: per side the policy and
   * its Adam, the loss history, the occurrence counts, the waiting actions and the observed batch;
   * the sampling stream's position. (The tables are the recommender's: checkpoint them with it.)
   */
  snapshot(): StateSnapshot {
    const sides: Record<string, StateSnapshot> = {};
    for (const side of this.#sides) {
      const previous: ModuleState = side.previous === undefined ? {}
        : { previousIds: side.previous.ids.slice(), previousFrequencies: side.previous.frequencies.slice() };
      sides[side.name] = nestSnapshots({ policy: moduleSnapshot(side.policy, side.optimizer), history: side.history.snapshot(),
                                         pending: side.pending.snapshot() },
                                       { state: { previousBudgetLeft: side.previous?.budgetLeft ?? null },
                                         tensors: { ...previous, counts: side.counts.slice() } });
    }
    return nestSnapshots(sides, { state: { random: this.#random.state, previousSamples: this.#previousSamples ?? null } });
  }

  /** Restores what snapshot() captured into a controller built with the same options over the same tables. */
  restore(snapshot: StateSnapshot): void {
    for (const side of this.#sides) {
      const part = snapshotPart(snapshot, side.name);
      restoreModule(snapshotPart(part, "policy"), side.policy, side.optimizer);
      side.history.restore(snapshotPart(part, "history"));
      side.pending.restore(snapshotPart(part, "pending"));
      side.counts = snapshotTensor(part, "counts", Int32Array).slice();
      const beta = part.state.previousBudgetLeft;
      side.previous = part.tensors.previousIds === undefined ? undefined
        : { ids: snapshotTensor(part, "previousIds", Int32Array).slice(),
            frequencies: snapshotTensor(part, "previousFrequencies", Int32Array).slice(),
            budgetLeft: beta === null ? undefined : numberInRange(beta, "snapshot.previousBudgetLeft", 0, 1) };
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

  /**
   * Under budgetBytes, steps the least frequent ids down until the tables leave `bytes` free: call
   * it before adding rows to a table (addRows) so that the new ids never push the tables past the
   * budget. (act() also brings tables that grew past it back within it.) Without a budget it does
   * nothing.
   */
  makeRoom(bytes: number): void {
    const reserved = numberInRange(bytes, "bytes", 0, Number.MAX_SAFE_INTEGER);
    if (this.budgetBytes !== undefined) fitTablesToBudget(this.budgetTables(), this.budgetBytes, reserved);
  }

  /**
   * Adds to each side's table, at the smallest candidate, the rows up to the batch's largest id:
   * with ids numbered by first appearance, the batch's new ids. Under budgetBytes it first makes
   * room for them (makeRoom), so that they never push the tables past the budget. Call it before
   * act(). Returns the rows added per side.
   */
  addNewIds(batch: EsapnBatch): Record<string, number> {
    if (typeof batch !== "object" || batch === null) throw new TypeError("batch must be an object of sides");
    const added = this.#sides.map((side) => {
      const ids = batch[side.name]?.ids;
      if (!(ids instanceof Int32Array)) throw new TypeError(`batch.${side.name}.ids must be an Int32Array`);
      let largest = -1;
      ids.forEach((id, b) => {
        if (id < 0) throw new RangeError(`batch.${side.name}.ids[${b}] = ${id} must be non-negative`);
        largest = Math.max(largest, id);
      });
      return Math.max(0, largest + 1 - side.embedding.numRows);
    });
    const smallest = this.#sides[0]!.candidates[0]!;
    this.makeRoom(4 * smallest * added.reduce((a, b) => a + b, 0));
    this.#sides.forEach((side, k) => { if (added[k]! > 0) side.embedding.addRows(new Int32Array(added[k]!).fill(smallest)); });
    return Object.fromEntries(this.#sides.map((side, k) => [side.name, added[k]!]));
  }

  /** β, the fraction of the budget the live tables leave free (undefined without a budget). */
  budgetLeft(): number | undefined {
    if (this.budgetBytes === undefined) return undefined;
    return this.budgetBytes === 0 ? 0 : Math.max(0, this.budgetBytes - liveBytes(this.budgetTables())) / this.budgetBytes;
  }

  private budgetTables(): BudgetTable[] {
    return this.#sides.map((side) => ({ name: side.name, embedding: side.embedding, chain: side.chain, counts: side.counts }));
  }

  /** Each id's baseline: the mean of its last T losses, or its last loss; NaN with none. */
  private baselines(side: SideSearch, ids: Int32Array): Float32Array {
    const out = new Float32Array(ids.length);
    return this.baseline === "mean" ? side.history.mean(ids, out) : side.history.last(ids, out);
  }

  /** a ~ π(· | s) for each row of logits [·, 2], from the controller's seeded stream. */
  private sampleActions(logits: Float32Array): Uint8Array {
    const actions = new Uint8Array(logits.length / 2);
    for (let r = 0; r < actions.length; ++r) {
      actions[r] = this.#random() < enlargeProbability(logits, r) ? enlarge : keep;
    }
    return actions;
  }

  /**
   * The rule's actions for the deciding samples, checked (a TypeError or RangeError naming policy),
   * as a copy: the waiting actions keep them, and a rule may reuse its array.
   */
  private ruleActions(side: string, samples: EsapnDecidingSamples): Uint8Array {
    const actions = this.#rule!(side, samples);
    if (!(actions instanceof Uint8Array)) throw new TypeError(`policy (a rule) must return a Uint8Array for side "${side}"`);
    if (actions.length !== samples.ids.length) {
      throw new RangeError(`policy (a rule) returned ${actions.length} actions for side "${side}" but ${samples.ids.length} samples decide`);
    }
    const bad = actions.findIndex((a) => a !== keep && a !== enlarge);
    if (bad >= 0) throw new RangeError(`policy (a rule) returned ${actions[bad]} at ${bad} for side "${side}": each action must be 0 (keep) or 1 (enlarge)`);
    return actions.slice();
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

/** r − r̄ for each reward r, r̄ their mean. */
function advantages(rewards: Float32Array): Float32Array {
  const mean = rewards.reduce((sum, r) => sum + r, 0) / rewards.length;
  return rewards.map((r) => r - mean);
}

/**
 * Keeps, of a batch's sampled actions, those that will be rewarded: every "keep", and every
 * "enlarge" the budget admitted. A refused enlargement changed nothing, so it has no reward to
 * wait for; an id with no loss history has no baseline yet.
 */
function dropRefused(sampled: SampledActions, admitted: Set<number>): void {
  const kept = sampled.actions.map((action, r) =>
    Number.isNaN(sampled.baselines[r]!) || (action === enlarge && !admitted.has(sampled.ids[r]!)) ? 0 : 1);
  const pick = <T extends Int32Array | Float32Array | Uint8Array>(values: T): T => values.filter((_, r) => kept[r] === 1) as T;
  Object.assign(sampled, { ids: pick(sampled.ids), frequencies: pick(sampled.frequencies), sizeIndices: pick(sampled.sizeIndices),
                           budgetLeft: pick(sampled.budgetLeft), actions: pick(sampled.actions), baselines: pick(sampled.baselines) });
}
