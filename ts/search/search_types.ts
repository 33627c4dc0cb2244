/**
 * The one vocabulary of every search method: what search() takes and what it returns.
 */
import type { DeviceOption } from "../backend.js";
import type { RatingsDataset } from "../data/dataset.js";
import type { CategoricalFields } from "../data/synthetic.js";
import type { SizePlan } from "../plan/size_plan.js";
import type { StateSnapshot } from "../training/state_snapshot.js";

export type SearchMethod = "fixed" | "mde" | "darts" | "autoemb" | "autodim" | "esapn" | "scall";

/** A memory budget for the embeddings: bytes, or a ratio of every id at the largest candidate. */
export type Budget = { bytes: number } | { ratio: number };

/**
 * The task a search optimises: ESAPN's binary (rating > 3.5, MSE on sigmoid) or five-class
 * (cross-entropy) rating streams, CTR clicks over categorical fields (AutoDim, MDE, DARTS per
 * field), or implicit feedback ranked by LightGCN (SCALL).
 */
export type SearchTask = "binary" | "multiclass" | "ctr" | "implicit";

/** Ratings, optionally with categorical fields and clicks (generateSynthetic's numFields). */
export type SearchData = RatingsDataset & { fields?: CategoricalFields };

export interface SearchProgress {
  method: SearchMethod;
  /** e.g. "search", "retrain", "evaluate", "segment 3". */
  phase: string;
  step: number;
  /** Steps in this phase, when known. */
  total?: number;
  loss?: number;
  /** Embedding bytes the current sizes cost. */
  bytes?: number;
}

export interface SearchEvent {
  phase: string;
  step: number;
  loss?: number;
  accuracy?: number;
  bytes: number;
}

/**
 * Everything an aborted search needs to continue: the method's state at the step boundary where
 * it stopped (weights, optimizer and controller state, random-stream positions, its place in
 * the data) and the events reported until then. Host tensors and JSON; saveSearchSnapshot
 * writes one to a checkpoint directory.
 */
export interface SearchSnapshot extends StateSnapshot {
  method: SearchMethod;
  /** SHA-256 of what the search was given (data, task, candidates, budget, seed, settings): only that search resumes it. */
  fingerprint: string;
  /** The events reported so far, so that the resumed run's history is the whole run's. */
  history: SearchEvent[];
}

/**
 * Stopping a search with a snapshot and continuing it later. When `signal` aborts a search, its
 * method stops at the next step boundary (a batch or a step; a segment for SCALL), passes its
 * state to save() and, once that resolves, search() rejects with the signal's reason. Given that
 * snapshot as `resume`, the same search continues from the boundary and ends with the plan (and,
 * on the CPU, the metrics) of a run that was never stopped.
 *
 * @example
 * const controller = new AbortController();
 * let saved: SearchSnapshot | undefined;
 * await search({ ...options, signal: controller.signal, checkpoint: { save: async (s) => { saved = s; } } }).catch(() => {});
 * const result = await search({ ...options, checkpoint: { save: async () => {}, resume: saved } });
 */
export interface SearchCheckpointing {
  /** Receives the snapshot of an aborted search (e.g. saveSearchSnapshot to a directory). */
  save(snapshot: SearchSnapshot): Promise<void>;
  /** A snapshot save() received: the search continues from it instead of starting afresh. */
  resume?: SearchSnapshot;
}

export interface SearchOptions {
  method: SearchMethod;
  data: SearchData;
  /** Candidate sizes, strictly increasing. Default: the method's reference set. */
  candidates?: readonly number[];
  budget?: Budget;
  /** Default: "binary" for rating methods, "ctr" for AutoDim and MDE with fields, "implicit" for SCALL. */
  task?: SearchTask;
  device?: DeviceOption;
  seed?: number;
  onProgress?: (progress: SearchProgress) => void;
  signal?: AbortSignal;
  /** Save a snapshot when `signal` aborts the search, and continue from one. */
  checkpoint?: SearchCheckpointing;
  /**
   * Method settings (batch size, epochs, learning rates, …): each method's table
   * (methodSettings, `mixdim search --help`) lists what it reads; any other key is an error.
   */
  settings?: Record<string, unknown>;
  /**
   * Trains and scores the returned plan instead of evaluatePlan, giving the same figures (the
   * CLI passes its interruptible trainer for rating tasks). Default: evaluatePlan.
   */
  planEvaluator?: PlanEvaluator;
}

/** What trains and scores a plan: evaluatePlan, or a trainer that gives its figures. */
export type PlanEvaluator = (plan: SizePlan, context: PlanEvaluationContext) => Promise<Record<string, number>>;

/** What a plan's evaluation depends on. */
export interface PlanEvaluationContext {
  data: SearchData;
  task: SearchTask;
  seed: number;
  settings: Record<string, unknown>;
  signal: AbortSignal | undefined;
}

export interface SearchResult {
  method: SearchMethod;
  task: SearchTask;
  plan: SizePlan;
  /** Σ_i d_i · 4 over every table of the plan. */
  bytes: number;
  /** bytes over every id at the largest candidate. */
  ratio: number;
  /** The budget the plan was held to, in bytes, when one was given. */
  budgetBytes?: number;
  /** What the search saw, batch by batch or step by step. */
  history: SearchEvent[];
  /**
   * The returned plan's figures: `plan` (held to the budget) trained and scored by the common
   * protocol (evaluatePlan) in the order and split the settings name. Test accuracy and loss for
   * rating tasks, AUC and log loss for CTR, Recall@20 and NDCG@20 for implicit feedback. Empty
   * when settings.evaluatePlan is false.
   */
  metrics: Record<string, number>;
  /**
   * The search's own figures, not the plan's: e.g. the online accuracy of ESAPN's growing model
   * or of DARTS's supernet before the budget was applied, steps run, MDE's α.
   */
  searchMetrics: Record<string, number>;
  /** Embedding bytes held at the search's peak (the supernet, ESAPN's growing table), beside the plan's `bytes`. */
  peakSearchBytes: number;
}
