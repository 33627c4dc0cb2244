/**
 * What a report shows: one or more size-search runs, each with its plan, its history and
 * (optionally) each id's frequency, so that runs of different methods can be set side by side.
 */
import type { SizePlan } from "../plan/size_plan.js";
import type { FrontierResult } from "../search/frontier.js";
import type { SearchEvent, SearchMethod } from "../search/search_types.js";

export interface ReportRun {
  /** What the legend says, e.g. "ESAPN" or "ESAPN, seed 2". */
  label: string;
  method: SearchMethod;
  plan: SizePlan;
  /** The search's history (search() returns it in SearchResult.history). */
  history: readonly SearchEvent[];
  /**
   * Per table of the plan: each id's frequency in the data searched on (optional: without it the
   * size-vs-frequency chart is left out for that run).
   */
  frequencies?: Record<string, ArrayLike<number>>;
  /** The plan's evaluation, shown in the summary table (e.g. SearchResult.metrics). */
  metrics?: Record<string, number>;
  /** The search's own figures (SearchResult.searchMetrics), shown as "search: name" rows. */
  searchMetrics?: Record<string, number>;
  /** Embedding bytes of the plan; default planBytes(plan). */
  bytes?: number;
  /** Embedding bytes held at the search's peak (SearchResult.peakSearchBytes). */
  peakSearchBytes?: number;
  /** bytes over every id at the largest candidate; default planRatio(plan). */
  ratio?: number;
}

export interface ReportInput {
  /** The page's title and heading. */
  title: string;
  /** A paragraph under the heading: the data, the settings, anything a reader needs to know. */
  description?: string;
  runs: readonly ReportRun[];
  /** The accuracy–memory frontier (runFrontier): charted as each metric against bytes. */
  frontier?: FrontierResult;
}
