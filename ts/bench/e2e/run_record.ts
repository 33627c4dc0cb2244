/**
 * One run of the end-to-end benchmark: what the parent asks a worker process to run (RunSpec)
 * and what the worker measures and hands back (RunRecord). Both travel as JSON.
 */
import type { SearchMethod, SearchTask } from "../../search/search_types.js";
import type { DatasetName, DatasetScale, Protocol } from "./datasets.js";

/**
 * The three comparisons the suite makes (methods.md A4), each with its task(s) and metrics:
 * "rating": FIXED, DARTS, AutoEmb, ESAPN on binary and five-class rating streams (accuracy, loss);
 * "ctr": FIXED, MDE, DARTS, AutoDim on categorical fields (AUC, log loss);
 * "implicit": FIXED and SCALL ranking with LightGCN (Recall@20, NDCG@20);
 * "learning": ESAPN (binary) and SCALL (implicit) with their policies learning and frozen, at an
 * equal budget (issue #14), with both families' figures.
 */
export type Family = "rating" | "ctr" | "implicit" | "learning";

export interface RunSpec {
  /** Unique in a suite, and safe as a file name. */
  id: string;
  family: Family;
  dataset: DatasetName;
  protocol: Protocol;
  task: SearchTask;
  method: SearchMethod;
  /** The row's name in the tables: "FIXED", "FIXED (equal budget)", "AutoDim", … */
  label: string;
  seed: number;
  scale: DatasetScale;
  candidates?: number[];
  /**
   * The size ratios are taken against: FIXED's size in the comparison (128 for rating streams and
   * implicit feedback, 64 for CTR), whatever the method's own candidates (SCALL's reach 256).
   */
  referenceSize: number;
  /** An equal budget for every method of a comparison: this mean size per id, in bytes. */
  budgetMeanSize?: number;
  /**
   * A budget of the bytes of another row's plan (its label), in the same group and seed: the
   * parent runs that row first and fills in budgetBytes.
   */
  budgetBytesOf?: string;
  budgetBytes?: number;
  settings: Record<string, unknown>;
  /** Keep the plan and history for the HTML report (one seed per row is enough). */
  keepForReport: boolean;
}

/** Quality under common names, so that every family's table reads the same fields. */
export interface QualityFigures {
  /** Rating tasks: the method's own online test accuracy and mean loss (what the slides report). */
  accuracy?: number;
  loss?: number;
  /** Rating tasks: the final plan retrained under the FIXED protocol. */
  planAccuracy?: number;
  planLoss?: number;
  /** CTR: the plan retrained as DeepFM, on the held-out test rows. */
  auc?: number;
  logLoss?: number;
  /** Implicit: LightGCN with the plan, on the last 20% in time (the common protocol). */
  recall20?: number;
  ndcg20?: number;
  /** SCALL's own figures: the mean over segments 1..T of its segmented stream. */
  streamRecall20?: number;
  streamNdcg20?: number;
}

export interface RunRecord {
  spec: RunSpec;
  /** Wall-clock seconds of the run, data loading excluded. */
  seconds: number;
  /**
   * Rating tasks: training samples per second over the stream's training head, as
   * bench:esapn measures it (the method's own stream; FIXED's plan stream for FIXED).
   * CTR and implicit: rows of the data set per second of the whole run (search, retraining and
   * evaluation), since those methods pass over the data several times in several phases.
   */
  samplesPerSecond: number;
  /** The worker process's peak resident set (loading, search and evaluation of this run alone). */
  peakRssBytes: number;
  /** Rows of the data set the run used. */
  rows: number;
  /** Σ_i d_i · 4 over the final plan. */
  bytes: number;
  /** The budget search() held the run to (result.budgetBytes), when it had one. */
  budgetBytes?: number;
  /** Σ_i d_i / (ids × referenceSize) over every table. */
  ratio: number;
  /** Per table: ids, Σ_i d_i / (ids × referenceSize), Σ_i d_i, and ids at each size. */
  tables: Record<string, { ids: number; ratio: number; totalDim: number; idsAtSize: Record<string, number> }>;
  quality: QualityFigures;
  /** The method's metrics as search() returned them. */
  metrics: Record<string, number>;
}
