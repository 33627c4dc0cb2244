/**
 * ESAPN's settings (search()'s `settings`), with the reference's values as defaults
 * (methods.md B §1–3): the table search() checks them against (an unknown key is an error there),
 * and esapnSettings(), which reads them for runEsapnStream, called with or without search().
 */
import { integerInRange, numberInRange, oneOf } from "../../arguments.js";
import type { SettingSpec } from "../setting_table.js";
import type { EsapnPolicyMode, EsapnReward, EsapnStorage } from "./controller.js";

export interface EsapnSettings {
  /** Samples per batch, at least 2 (batch norm needs two). Default 500. */
  batchSize: number;
  /** The recommender's Adam learning rate. Default 1e-3. */
  learningRate: number;
  /** The policies' Adam learning rate. Default 1e-4. */
  policyLearningRate: number;
  /** T, the losses kept per id for the reward's baseline. Default 5. */
  historyLength: number;
  /** "mean" (ave_loss, default) or "last" (last_loss). */
  baseline: "mean" | "last";
  /** "lean" (default) or "all-sizes" (the reference's memory; see EsapnStorage). */
  storage: EsapnStorage;
  /** "time" (default) or "shuffle" (the reference's random order). */
  order: "time" | "shuffle";
  /** The stream's head that trains; the tail is scored online, training on. Default 0.75. */
  trainFraction: number;
  /** The recommender's hidden width. Default 512. */
  hidden: number;
  /** The policies' hidden width. Default 512. */
  policyHidden: number;
  /** Std of the initial embedding rows. Default 0.01. */
  initStd: number;
  /** When an action is rewarded: "immediate" (the reference) or "delayed" (at the id's next occurrence). */
  reward: EsapnReward;
  /** With the delayed reward, the occurrences after an action whose mean loss rewards it. Default 1 (the next). */
  rewardHorizon: number;
  /** "learned" (default) or "frozen" (the policies keep their initial weights: the control for learning). */
  policy: EsapnPolicyMode;
  /**
   * With a budget: "while-training" (default) holds the live table to it at every batch; "at-end" lets the table
   * grow as the policies choose and steps the final plan down (search()'s constrainPlanToBudget).
   */
  holdBudget: "while-training" | "at-end";
}

/** The table search() checks `settings` against; esapnSettings() reads them with the same defaults. */
export const esapnSettingTable: readonly SettingSpec[] = [
  { name: "batchSize", type: { kind: "integer", min: 2, max: 2 ** 24 }, default: 500, doc: "samples per batch (batch norm needs two)" },
  { name: "learningRate", type: { kind: "number", min: 0, max: Infinity }, default: 1e-3, doc: "the recommender's Adam learning rate" },
  { name: "policyLearningRate", type: { kind: "number", min: 0, max: Infinity }, default: 1e-4, doc: "the policies' Adam learning rate" },
  { name: "historyLength", type: { kind: "integer", min: 1, max: 1024 }, default: 5, doc: "T, the losses kept per id for the reward's baseline" },
  { name: "baseline", type: { kind: "choice", values: ["mean", "last"] }, default: "mean", doc: "the reward's baseline: ave_loss or last_loss" },
  { name: "storage", type: { kind: "choice", values: ["lean", "all-sizes"] }, default: "lean",
    doc: "hold only each id's current size, or every size (the reference's memory)" },
  { name: "order", type: { kind: "choice", values: ["time", "shuffle"] }, default: "time",
    doc: "the stream's order: by time, or shuffled (the reference's random order)" },
  { name: "trainFraction", type: { kind: "number", min: 0, max: 1 }, default: 0.75, doc: "the stream's head that trains; the tail is scored online" },
  { name: "hidden", type: { kind: "integer", min: 1, max: 65536 }, default: 512, doc: "the recommender's hidden width" },
  { name: "policyHidden", type: { kind: "integer", min: 1, max: 65536 }, default: 512, doc: "the policies' hidden width" },
  { name: "initStd", type: { kind: "number", min: 0, max: Infinity }, default: 0.01, doc: "std of the initial embedding rows" },
  { name: "reward", type: { kind: "choice", values: ["immediate", "delayed"] }, default: "immediate",
    doc: "when an action is rewarded: after the step on its batch, or at the id's next occurrence" },
  { name: "rewardHorizon", type: { kind: "integer", min: 1, max: 1024 }, default: 1,
    doc: "with the delayed reward: the occurrences after an action whose mean loss rewards it" },
  { name: "holdBudget", type: { kind: "choice", values: ["while-training", "at-end"] }, default: "while-training",
    doc: "with a budget: hold the live table to it at every batch, or only step the final plan down to it" },
  { name: "policy", type: { kind: "choice", values: ["learned", "frozen"] }, default: "learned",
    doc: "train the policies, or keep their initial weights (a control)" },
];

function number(settings: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  return numberInRange(settings[name] ?? fallback, `settings.${name}`, min, max, true);
}

function integer(settings: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  return integerInRange(settings[name] ?? fallback, `settings.${name}`, min, max);
}

export function esapnSettings(settings: Record<string, unknown>): EsapnSettings {
  if (typeof settings !== "object" || settings === null) throw new TypeError("settings must be an object");
  return {
    batchSize: integer(settings, "batchSize", 500, 2, 2 ** 24),
    learningRate: number(settings, "learningRate", 1e-3, 0, Infinity),
    policyLearningRate: number(settings, "policyLearningRate", 1e-4, 0, Infinity),
    historyLength: integer(settings, "historyLength", 5, 1, 1024),
    baseline: oneOf(settings.baseline ?? "mean", "settings.baseline", ["mean", "last"] as const),
    storage: oneOf(settings.storage ?? "lean", "settings.storage", ["lean", "all-sizes"] as const),
    order: oneOf(settings.order ?? "time", "settings.order", ["time", "shuffle"] as const),
    trainFraction: number(settings, "trainFraction", 0.75, 0, 1),
    hidden: integer(settings, "hidden", 512, 1, 65536),
    policyHidden: integer(settings, "policyHidden", 512, 1, 65536),
    initStd: number(settings, "initStd", 0.01, 0, Infinity),
    reward: oneOf(settings.reward ?? "immediate", "settings.reward", ["immediate", "delayed"] as const),
    rewardHorizon: integer(settings, "rewardHorizon", 1, 1, 1024),
    policy: oneOf(settings.policy ?? "learned", "settings.policy", ["learned", "frozen"] as const),
    holdBudget: oneOf(settings.holdBudget ?? "while-training", "settings.holdBudget", ["while-training", "at-end"] as const),
  };
}
