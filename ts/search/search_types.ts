/**
 * The one vocabulary of every search method: what search() takes and what it returns.
 */
import type { DeviceOption } from "../backend.js";
import type { RatingsDataset } from "../data/dataset.js";
import type { CategoricalFields } from "../data/synthetic.js";
import type { SizePlan } from "../plan/size_plan.js";

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
  /** Method-specific settings (batch size, epochs, learning rates, …), documented per method. */
  settings?: Record<string, unknown>;
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
  /** The method's own evaluation: e.g. test accuracy and loss, AUC and log loss, Recall@20. */
  metrics: Record<string, number>;
}
