/**
 * SCALL's settings (search()'s `settings`), with the reference's values as defaults (methods.md
 * D): the table search() checks them against, and readScallSettings(), which reads them for
 * runScall with the same defaults and the checks the table cannot make (rewardHigh > rewardLow,
 * meanSize within the candidates).
 */
import { integerInRange, numberInRange, oneOf } from "../../arguments.js";
import type { SettingSpec } from "../setting_table.js";
import type { SizeRange } from "./size_sampler.js";
import type { StreamOrder } from "./stream.js";

/**
 * The settings (all optional; defaults are the reference's unless marked, bounded ones for tests):
 * - meanSize: c, budget mode "mean size" (default 10 when search() has no budget)
 * - newEntityThreshold 15000, reservoirFraction 0.2, trainFraction 0.8, validationFraction 0.1
 * - maxSegments: process only D_0..D_{maxSegments−1} (default all)
 * - envSteps 30 (most per segment), minEnvSteps 10 (the reference stops once the ratio moved
 *   less than 0.01 for 5 steps in a row after 10 steps)
 * - envTrainSteps 200: steps of each fresh env model, and where conv_fitness is read
 * - trainSteps 4000 (most deployment steps), evalEvery 200, patience 3
 * - batchSize 2048 (the reference: 10000), learningRate 0.03 (× 0.95 every 200 steps, ≥ 1e-3)
 * - rewardLow 0.9, rewardHigh 1.1 (Yelp: 0.7, 1.2)
 * - stateGroups 256, hidden 512 (the agent's layers)
 * - order "time" (the reference) or "shuffle" (stream.ts): the stream's order before it is cut
 * - policy "learned" (SCALL), "frozen" or "uniform": what sizes each segment (SizePolicy)
 */
export interface ScallSettings {
  meanSize: number | undefined;
  newEntityThreshold: number;
  reservoirFraction: number;
  trainFraction: number;
  validationFraction: number;
  maxSegments: number;
  envSteps: number;
  minEnvSteps: number;
  envTrainSteps: number;
  trainSteps: number;
  evalEvery: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  rewardLow: number;
  rewardHigh: number;
  stateGroups: number;
  hidden: number;
  order: StreamOrder;
  policy: SizePolicy;
}

/**
 * What sizes segments 1..T (D_0 is always uniform), for comparing learned against not-learned
 * sizes at the same bytes, on the same segments, warm starts, training and evaluation:
 * - "learned": SCALL. The agent searches on D_{t−1} (env steps, SAC updates) and deploys
 *   tanh(μ(s)) on D_t.
 * - "frozen": the agent never learns. Its untrained mean action tanh(μ(s)) at the state where the
 *   learned run first acts (segment 1's search) is deployed in every segment, through the same
 *   sampler with each segment's frequencies: what SCALL's figures owe to learning rather than to
 *   its power-law sizing by recent frequency. No env steps run.
 * - "uniform": every segment sized as D_0 (uniformSizes): every id at ⌊P/(|U|+|V|)⌋, and as
 *   many ids as the remainder one float more, so that Σ = P as for the other policies (all at
 *   exactly P/(|U|+|V|) when it is an integer, as with an integer meanSize). The gain over FIXED
 *   in the stream, the control the SCALL paper measures against. No agent, no env steps.
 * The settings only the learned agent reads (envSteps, minEnvSteps, rewardLow, rewardHigh; and
 * for "uniform", which has no agent, stateGroups and hidden) are refused under the controls
 * (settingsUnreadBy). envTrainSteps stays: deployment reads conv_fitness at that step whatever the
 * policy. stateGroups and hidden shape the frozen action.
 */
export type SizePolicy = "learned" | "frozen" | "uniform";

const count = (min: number) => ({ kind: "integer", min, max: Number.MAX_SAFE_INTEGER }) as const;
const fraction = { kind: "number", min: 0, max: 1 } as const;
export const scallSettings: readonly SettingSpec[] = [
  { name: "meanSize", type: { kind: "number", min: 0, max: 65536, exclusiveMin: true }, default: "10 without a budget",
    doc: "c, the budget as a mean size per id (P = c·ids, growing with the ids), in [d_min, d_max]" },
  { name: "newEntityThreshold", type: count(1), default: 15000, doc: "new ids that start a segment" },
  { name: "reservoirFraction", type: fraction, default: 0.2, doc: "the replayed share of earlier segments" },
  { name: "trainFraction", type: fraction, default: 0.8, doc: "each segment's training share" },
  { name: "validationFraction", type: fraction, default: 0.1, doc: "each segment's validation share" },
  { name: "maxSegments", type: count(1), default: "all", doc: "stop after this many segments" },
  { name: "envSteps", type: count(0), default: 30, doc: "the agent's environment steps per segment, at most" },
  { name: "minEnvSteps", type: count(0), default: 10, doc: "environment steps before the search may settle" },
  { name: "envTrainSteps", type: count(1), default: 200, doc: "LightGCN steps per environment step" },
  { name: "trainSteps", type: count(1), default: 4000, doc: "LightGCN steps per deployed segment, at most" },
  { name: "evalEvery", type: count(1), default: 200, doc: "steps between early-stopping checks" },
  { name: "patience", type: count(1), default: 3, doc: "checks without improvement before stopping" },
  { name: "batchSize", type: count(1), default: 2048, doc: "BPR batch, also the retraining's" },
  { name: "learningRate", type: { kind: "number", min: 0, max: Infinity }, default: 0.03, doc: "LightGCN's Adam learning rate, also the retraining's" },
  { name: "rewardLow", type: { kind: "number", min: -Infinity, max: Infinity }, default: 0.9, doc: "the reward's low scaling bound" },
  { name: "rewardHigh", type: { kind: "number", min: -Infinity, max: Infinity }, default: 1.1, doc: "the reward's high scaling bound" },
  { name: "stateGroups", type: { kind: "integer", min: 1, max: 1 << 16 }, default: 256, doc: "state pooling groups" },
  { name: "hidden", type: { kind: "integer", min: 1, max: 1 << 16 }, default: 512, doc: "the agent's hidden width" },
  { name: "policy", type: { kind: "choice", values: ["learned", "frozen", "uniform"] }, default: "learned",
    doc: "what sizes each segment: the SAC agent (SCALL), its untrained action fixed (never learns), or every id at P/ids (FIXED in the stream)" },
  { name: "order", type: { kind: "choice", values: ["time", "shuffle"] }, default: "time",
    doc: "the stream's order before it is cut into segments: by time (the reference), or one seeded random permutation (a control without drift)" },
];

/** The settings each policy never reads, refused when given: only the learned agent takes environment steps and rewards. */
const settingsUnreadBy: Record<SizePolicy, readonly string[]> = {
  learned: [],
  frozen: ["envSteps", "minEnvSteps", "rewardLow", "rewardHigh"],
  uniform: ["envSteps", "minEnvSteps", "rewardLow", "rewardHigh", "stateGroups", "hidden"],
};

/** settings less those the policy does not read: one set of settings for every policy of a comparison. */
export function settingsReadBy(policy: SizePolicy, settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([name]) => !settingsUnreadBy[policy].includes(name)));
}

function setting(settings: Record<string, unknown>, name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const value = settings[name] ?? fallback;
  return integer ? integerInRange(value, `settings.${name}`, min, max) : numberInRange(value, `settings.${name}`, min, max);
}

export function readScallSettings(settings: Record<string, unknown>, range: SizeRange): ScallSettings {
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => setting(settings, name, fallback, min, max, true);
  const real = (name: string, fallback: number, min = 0, max = Infinity) => setting(settings, name, fallback, min, max, false);
  const read: ScallSettings = {
    meanSize: settings.meanSize === undefined ? undefined : real("meanSize", 10, range.minSize, range.maxSize),
    newEntityThreshold: int("newEntityThreshold", 15000, 1),
    reservoirFraction: real("reservoirFraction", 0.2, 0, 1),
    trainFraction: real("trainFraction", 0.8, 0, 1),
    validationFraction: real("validationFraction", 0.1, 0, 1),
    maxSegments: int("maxSegments", Number.MAX_SAFE_INTEGER, 1),
    envSteps: int("envSteps", 30),
    minEnvSteps: int("minEnvSteps", 10),
    envTrainSteps: int("envTrainSteps", 200, 1),
    trainSteps: int("trainSteps", 4000, 1),
    evalEvery: int("evalEvery", 200, 1),
    patience: int("patience", 3, 1),
    batchSize: int("batchSize", 2048, 1),
    learningRate: real("learningRate", 0.03),
    rewardLow: real("rewardLow", 0.9, -Infinity),
    rewardHigh: real("rewardHigh", 1.1, -Infinity),
    stateGroups: int("stateGroups", 256, 1, 1 << 16),
    hidden: int("hidden", 512, 1, 1 << 16),
    order: oneOf(settings.order ?? "time", "settings.order", ["time", "shuffle"] as const),
    policy: oneOf(settings.policy ?? "learned", "settings.policy", ["learned", "frozen", "uniform"] as const),
  };
  if (!(read.rewardHigh > read.rewardLow)) throw new RangeError("settings.rewardHigh must be above settings.rewardLow");
  const unread = settingsUnreadBy[read.policy].find((name) => settings[name] !== undefined);
  if (unread !== undefined) {
    throw new RangeError(`settings.${unread} is not read with settings.policy "${read.policy}": ` +
                         (read.policy === "frozen" ? "the frozen agent runs no environment step and never learns" : "no agent sizes the segments"));
  }
  return read;
}
