/**
 * ESAPN's settings (search()'s `settings`), with the reference's values as defaults
 * (methods.md B §1–3). Keys other methods use are ignored here.
 */
import { integerInRange, numberInRange, oneOf } from "../../arguments.js";
import type { EsapnStorage } from "./controller.js";

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
  /** Also retrain the final plan (held to the budget) under the FIXED protocol (evaluatePlan). Default false. */
  retrain: boolean;
}

function number(settings: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  return numberInRange(settings[name] ?? fallback, `settings.${name}`, min, max, true);
}

function integer(settings: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  return integerInRange(settings[name] ?? fallback, `settings.${name}`, min, max);
}

export function esapnSettings(settings: Record<string, unknown>): EsapnSettings {
  if (typeof settings !== "object" || settings === null) throw new TypeError("settings must be an object");
  const retrain = settings.retrain ?? false;
  if (typeof retrain !== "boolean") throw new TypeError(`settings.retrain must be a boolean, got ${typeof retrain}`);
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
    retrain,
  };
}
