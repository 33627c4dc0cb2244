/**
 * The planted-signal experiment of issue #14: on one planted stream (planted_stream.ts), ESAPN's
 * controller in the two-tower model (planted_run.ts) with each reward learned, frozen, and with the
 * planted rule in the policy's place, every run under the same budget, so that all end at equal
 * bytes, over several seeds. The budget is the planted allocation's, so where the bytes go is the
 * policy's doing: the rule shows how much a policy on ESAPN's state can gain over the frozen one.
 * Also the question under it: does the delayed reward depend on the action at all? A frozen policy
 * samples both actions in every state, so its rewards, enlarge against keep, measure that directly.
 */
import { compareSpreads, type Verdict } from "../e2e/orderings.js";
import { spreadOf, type Spread } from "../e2e/seed_summary.js";
import { plantedCandidates, runPlanted, type PlantedRunOptions, type PlantedRunResult, type RewardTally } from "./planted_run.js";
import { plantedStream, type PlantedStreamOptions } from "./planted_stream.js";

export interface PlantedVariant {
  label: string;
  reward: "immediate" | "delayed";
  rewardHorizon: number;
}

export const plantedVariants: readonly PlantedVariant[] = [
  { label: "immediate", reward: "immediate", rewardHorizon: 1 },
  { label: "delayed (next occurrence)", reward: "delayed", rewardHorizon: 1 },
  { label: "delayed (10 occurrences)", reward: "delayed", rewardHorizon: 10 },
];

export interface PlantedExperimentOptions {
  stream?: PlantedStreamOptions;
  seeds?: readonly number[];
  /**
   * The budget as a mean size per id. Default: the planted allocation's (frequent users and items
   * at 16, rare users at 2), so every float a rare user holds beyond 2 is one a frequent user lacks.
   * (A larger budget fits every frequent user at 16 whatever the policy does, and the rules that
   * hold it, least frequent first to step down, leave the policy nothing to decide.)
   */
  budgetMeanSize?: number;
  variants?: readonly PlantedVariant[];
  /** The policies' Adam learning rate (runPlanted's default otherwise). */
  policyLearningRate?: number;
}

/** Enlarge − keep: the mean reward difference, and its standard error, for one group below the largest size. */
export interface RewardGap {
  gap: number;
  standardError: number;
  actions: number;
}

export interface PlantedComparison {
  variant: string;
  budgetBytes: number;
  learned: PlantedRunResult[];
  frozen: PlantedRunResult[];
  /** The planted rule in the policy's place (plantedRule). */
  rule: PlantedRunResult[];
  /** Learned against frozen on the tail's loss (lower is better) and on the frequent users' preference loss. */
  testLoss: Versus;
  frequentPreferenceLoss: Versus;
  /** The rule against frozen, the same two: how much a policy could gain here. */
  ruleTestLoss: Versus;
  ruleFrequentPreferenceLoss: Versus;
  /** From the frozen runs, pooled over seeds (empty for the immediate reward, whose reward ignores the action). */
  rewardGap?: Record<"frequent" | "rare", RewardGap>;
}

/** Some runs against the frozen ones, lower is better: their spreads, Δ = frozen − other, the summed spread, the verdict. */
export interface Versus {
  frozen: Spread;
  other: Spread;
  delta: number;
  spread: number;
  verdict: Verdict;
}

export interface PlantedExperiment {
  stream: Required<PlantedStreamOptions>;
  seeds: number[];
  budgetMeanSize: number;
  /** The planted allocation's mean size per id: frequent users and items at the largest candidate, rare users at the smallest. */
  plantedMeanSize: number;
  ids: number;
  comparisons: PlantedComparison[];
}

const streamDefaults: Required<PlantedStreamOptions> = {
  frequentUsers: 1000, ratingsPerFrequentUser: 60, rareUsers: 5000, ratingsPerRareUser: 6, items: 32, noise: 0.1, seed: 7,
};

export function runPlantedExperiment(options: PlantedExperimentOptions = {}): PlantedExperiment {
  const stream = { ...streamDefaults, ...options.stream };
  const seeds = [...(options.seeds ?? [1, 2, 3])];
  const data = plantedStream(stream);
  const ids = data.numUsers + data.numItems;
  const top = plantedCandidates[plantedCandidates.length - 1]!;
  const plantedFloats = (stream.frequentUsers + stream.items) * top + stream.rareUsers * plantedCandidates[0];
  const plantedMeanSize = plantedFloats / ids;
  const budgetMeanSize = options.budgetMeanSize ?? plantedMeanSize;
  const budgetBytes = (options.budgetMeanSize === undefined ? plantedFloats : Math.floor(budgetMeanSize * ids)) * 4;
  const comparisons = (options.variants ?? plantedVariants).map((variant): PlantedComparison => {
    const run = (policy: PlantedRunOptions["policy"]) => seeds.map((seed) =>
      runPlanted(data, { reward: variant.reward, rewardHorizon: variant.rewardHorizon, policy, seed, budgetBytes,
                         ...(options.policyLearningRate === undefined ? {} : { policyLearningRate: options.policyLearningRate }) }));
    const learned = run("learned");
    const frozen = run("frozen");
    const rule = run("planted rule");
    const compare = (runs: readonly PlantedRunResult[], pick: (r: PlantedRunResult) => number): Versus => {
      const control = spreadOf(frozen.map(pick));
      const other = spreadOf(runs.map(pick));
      return { frozen: control, other, ...compareSpreads(control, other, false) };
    };
    const testLoss = (r: PlantedRunResult) => r.testLoss;
    const preferenceLoss = (r: PlantedRunResult) => r.frequentPreferenceLoss;
    return {
      variant: variant.label, budgetBytes, learned, frozen, rule,
      testLoss: compare(learned, testLoss), frequentPreferenceLoss: compare(learned, preferenceLoss),
      ruleTestLoss: compare(rule, testLoss), ruleFrequentPreferenceLoss: compare(rule, preferenceLoss),
      ...(variant.reward === "delayed" ? { rewardGap: { frequent: rewardGap(frozen, "frequent"), rare: rewardGap(frozen, "rare") } } : {}),
    };
  });
  return { stream, seeds, budgetMeanSize, plantedMeanSize, ids, comparisons };
}

function rewardGap(runs: readonly PlantedRunResult[], group: "frequent" | "rare"): RewardGap {
  const pool = (action: "keep" | "enlarge"): RewardTally => runs.reduce((sum, run) => {
    const cell = run.rewards[group][action];
    return { count: sum.count + cell.count, sum: sum.sum + cell.sum, sumOfSquares: sum.sumOfSquares + cell.sumOfSquares };
  }, { count: 0, sum: 0, sumOfSquares: 0 });
  const enlarged = pool("enlarge");
  const kept = pool("keep");
  const mean = (t: RewardTally) => t.sum / t.count;
  const variance = (t: RewardTally) => (t.sumOfSquares / t.count - mean(t) ** 2) / t.count;
  return { gap: mean(enlarged) - mean(kept), standardError: Math.sqrt(variance(enlarged) + variance(kept)),
           actions: enlarged.count + kept.count };
}

