/**
 * ESAPN's controller in a two-tower dot-product recommender over a planted stream
 * (planted_stream.ts): score(u, i) = ⟨chain_u(e_u), chain_i(e_i)⟩ + b over candidates
 * {2, 4, 8, 16}, so an id's size is exactly the rank it can express, and BCE on the labels. The
 * mechanism test of issue #14 runs here rather than in MlpRecommender, whose MLP over the
 * concatenated rows does not learn the planted inner products from a stream this short.
 *
 * The loop is ESAPN's (esapn.ts): new ids join at d_min after the budget makes room, act,
 * forward, per-sample loss (the online figure, before the step), step, observe; with the
 * immediate reward, update() on the batch before. Ids are numbered by first appearance.
 */
import { backward, noGrad } from "../../autograd/tape.js";
import { Variable } from "../../autograd/variable.js";
import { firstAppearance } from "../../data/first_appearance.js";
import { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import { ProjectionChain } from "../../modules/projection_chain.js";
import { bceWithLogitsLoss } from "../../ops/loss.js";
import { Adam } from "../../optim/adam.js";
import { times } from "../../autograd/ops/arithmetic_op.js";
import { linear } from "../../autograd/ops/linear_op.js";
import { EsapnController, type EsapnActionRule, type EsapnPolicyMode, type EsapnReward } from "../../search/esapn/controller.js";
import { enlargeProbability } from "../../search/esapn/policy.js";
import { RunningFrequency } from "../../search/esapn/running_frequency.js";
import { Tensor } from "../../tensor.js";
import type { PlantedStream } from "./planted_stream.js";

export const plantedCandidates = [2, 4, 8, 16] as const;

export interface PlantedRunOptions {
  reward: EsapnReward;
  /** With the delayed reward, the occurrences whose mean loss rewards an action. Default 1. */
  rewardHorizon?: number;
  /** The policy learned or frozen, or "planted rule" (plantedRule) in its place. */
  policy: EsapnPolicyMode | "planted rule";
  /** A cap on both tables, Σ d_i · 4 over the ids seen so far; default none. */
  budgetBytes?: number;
  seed: number;
  batchSize?: number;
  /** The recommender's Adam learning rate. Default 0.03. */
  learningRate?: number;
  /** The policies'. Default 0.01. */
  policyLearningRate?: number;
  /** The stream's head that trains before the scored tail. Default 0.75. */
  trainFraction?: number;
}

/** Sums of the rewards the delayed reward gave, for one user group and action, below the largest size. */
export interface RewardTally {
  count: number;
  sum: number;
  sumOfSquares: number;
}

export interface PlantedRunResult {
  /** Mean BCE on the tail, each batch scored before the step: all users, the frequent ones, the rare ones. */
  testLoss: number;
  frequentTestLoss: number;
  rareTestLoss: number;
  /** The final model's mean BCE over every (frequent user, item) pair against the planted preferences. */
  frequentPreferenceLoss: number;
  /** Mean size at the end, per user group, and of the items. */
  frequentUserSize: number;
  rareUserSize: number;
  itemSize: number;
  /** Σ d_i · 4 at the end, and its largest value after any batch. */
  bytes: number;
  peakBytes: number;
  /** The users' delayed rewards by group and action (empty with the immediate reward). */
  rewards: Record<"frequent" | "rare", Record<"keep" | "enlarge", RewardTally>>;
  /**
   * What the users' policy says at the end (not with the rule): π(enlarge) for a user at size 2
   * with frequency f, at f = 1, 2, … up to the frequent users' ratings, computed as act() would on
   * a batch holding one such user per f (the policy's batch norms take that batch's statistics).
   */
  finalEnlargeProbability?: number[];
}

const tally = (): RewardTally => ({ count: 0, sum: 0, sumOfSquares: 0 });

export function runPlanted(stream: PlantedStream, options: PlantedRunOptions): PlantedRunResult {
  const { reward, rewardHorizon = 1, policy, budgetBytes, seed, batchSize = 250, learningRate = 0.03, policyLearningRate = 0.01,
          trainFraction = 0.75 } = options;
  const candidates = Array.from(plantedCandidates);
  const top = candidates[candidates.length - 1]!;
  const n = stream.users.length;
  const everyRow = Int32Array.from({ length: n }, (_, r) => r);
  const userNumbers = firstAppearance(stream.users, everyRow, stream.numUsers);
  const itemNumbers = firstAppearance(stream.items, everyRow, stream.numItems);
  const users = new MixedDimEmbedding({ candidates, sizes: new Int32Array(0), seed: 10 * seed + 1, initStd: 0.1 });
  const items = new MixedDimEmbedding({ candidates, sizes: new Int32Array(0), seed: 10 * seed + 2, initStd: 0.1 });
  const userChain = new ProjectionChain({ dims: candidates, seed: 10 * seed + 3 });
  const itemChain = new ProjectionChain({ dims: candidates, seed: 10 * seed + 4 });
  const sumColumns = new Variable(Tensor.from(new Float32Array(top).fill(1), { shape: [top, 1] }));
  const tower = (embedding: MixedDimEmbedding, chain: ProjectionChain, ids: Int32Array) => {
    const sizes = embedding.sizes();
    return chain.forward(embedding.forward(ids), Int32Array.from(ids, (id) => sizes[id]!));
  };
  const score = (u: Int32Array, i: Int32Array) => linear(times(tower(users, userChain, u), tower(items, itemChain, i)), sumColumns);
  const optimizer = new Adam([users, items, userChain, itemChain].flatMap((m) => m.parameters()), { learningRate });
  const controller = new EsapnController({
    sides: { users: { embedding: users, chain: userChain }, items: { embedding: items, chain: itemChain } },
    reward, rewardHorizon, policy: policy === "planted rule" ? plantedRule(stream) : policy, learningRate: policyLearningRate, hidden: 64, seed, ...(budgetBytes === undefined ? {} : { budgetBytes }),
  });
  const frequencies = { users: new RunningFrequency(userNumbers.seen), items: new RunningFrequency(itemNumbers.seen) };
  const isFrequent = (user: number) => userNumbers.originalOf[user]! < stream.frequentUsers;
  const rewards = { frequent: { keep: tally(), enlarge: tally() }, rare: { keep: tally(), enlarge: tally() } };
  const testFrom = Math.round(trainFraction * n);
  const test = { all: tally(), frequent: tally(), rare: tally() };
  let peakBytes = 0;
  let previous: { u: Int32Array; i: Int32Array; labels: Tensor<"float32"> } | undefined;
  for (let begin = 0; begin < n; begin += batchSize) {
    const end = Math.min(n, begin + batchSize);
    const u = userNumbers.renumbered.slice(begin, end);
    const i = itemNumbers.renumbered.slice(begin, end);
    const labels = Tensor.from(stream.labels.slice(begin, end), { shape: [end - begin, 1] });
    const state = { users: { ids: u, frequencies: frequencies.users.next(u) }, items: { ids: i, frequencies: frequencies.items.next(i) } };
    controller.addNewIds(state);
    if (previous !== undefined && reward === "immediate") {
      const after = noGrad(() => score(previous!.u, previous!.i));
      controller.update(bceWithLogitsLoss(after.value, previous.labels, { perSample: true, gradient: false }).perSample!.toArray());
    }
    controller.act(state);
    const logits = score(u, i);
    const loss = bceWithLogitsLoss(logits.value, labels, { perSample: true });
    const perSample = loss.perSample!.toArray();
    if (begin >= testFrom) {
      perSample.forEach((l, b) => {
        for (const part of [test.all, isFrequent(u[b]!) ? test.frequent : test.rare]) {
          part.count += 1;
          part.sum += l;
        }
      });
    }
    optimizer.zeroGrad();
    backward(logits, loss.grad);
    optimizer.step();
    const rewarded = controller.observe(state, perSample).users;
    rewarded?.ids.forEach((user, r) => {
      if (rewarded.sizeIndices[r]! >= candidates.length - 1) return;
      const cell = rewards[isFrequent(user) ? "frequent" : "rare"][rewarded.actions[r] === 1 ? "enlarge" : "keep"];
      cell.count += 1;
      cell.sum += rewarded.rewards[r]!;
      cell.sumOfSquares += rewarded.rewards[r]! ** 2;
    });
    previous = { u, i, labels };
    peakBytes = Math.max(peakBytes, controller.memory().rowBytes);
  }

  const userSizes = users.sizes();
  const groupSize = (frequent: boolean) => {
    let sum = 0;
    let count = 0;
    userSizes.forEach((d, user) => {
      if (isFrequent(user) !== frequent) return;
      sum += d;
      count += 1;
    });
    return sum / count;
  };
  return {
    testLoss: test.all.sum / test.all.count, frequentTestLoss: test.frequent.sum / test.frequent.count,
    rareTestLoss: test.rare.sum / test.rare.count,
    frequentPreferenceLoss: preferenceLoss(stream, score, userNumbers.originalOf, users.numRows, itemNumbers.originalOf, items.numRows),
    frequentUserSize: groupSize(true), rareUserSize: groupSize(false),
    itemSize: items.sizes().reduce((a, d) => a + d, 0) / items.numRows,
    bytes: controller.memory().rowBytes, peakBytes, rewards,
    ...(policy === "planted rule" ? {} : { finalEnlargeProbability: usersEnlargeProbability(controller, stream.ratingsPerFrequentUser) }),
  };
}

/** π(enlarge | f, size 2) of the users' policy for f = 1 … frequencies (PlantedRunResult.finalEnlargeProbability). */
function usersEnlargeProbability(controller: EsapnController, frequencies: number): number[] {
  const f = Int32Array.from({ length: frequencies }, (_, j) => j + 1);
  const beta = controller.budgetLeft();
  const logits = controller.policy("users").actionLogits(f, new Int32Array(frequencies), Int32Array.from(f, (_, j) => j),
                                                         beta === undefined ? undefined : new Float32Array(frequencies).fill(beta));
  return Array.from(f, (_, j) => enlargeProbability(logits, j));
}

/**
 * The planted answer as ESAPN's state can say it: a user grows once it has occurred more often than
 * any rare user does, and every item grows (items' vectors have 16 dimensions). A reference for what
 * a policy that sees (frequency, size) could reach, run under the same schedule and budget.
 */
export function plantedRule(stream: PlantedStream): EsapnActionRule {
  return (side, { frequencies }) => Uint8Array.from(frequencies, (f) => (side === "items" || f > stream.ratingsPerRareUser ? 1 : 0));
}

/** The model's mean BCE over every (frequent user seen, item seen) pair, against the planted (noiseless) preferences. */
function preferenceLoss(stream: PlantedStream, score: (u: Int32Array, i: Int32Array) => Variable, userOf: Int32Array,
                        users: number, itemOf: Int32Array, items: number): number {
  const u: number[] = [];
  const i: number[] = [];
  const y: number[] = [];
  for (let a = 0; a < users; ++a) {
    if (userOf[a]! >= stream.frequentUsers) continue;
    for (let b = 0; b < items; ++b) {
      u.push(a);
      i.push(b);
      y.push(stream.preferences[userOf[a]! * stream.numItems + itemOf[b]!]!);
    }
  }
  const logits = noGrad(() => score(Int32Array.from(u), Int32Array.from(i))).value;
  return bceWithLogitsLoss(logits, Tensor.from(Float32Array.from(y), { shape: [y.length, 1] }), { gradient: false }).loss;
}
