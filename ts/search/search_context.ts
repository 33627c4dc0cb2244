/**
 * What search() hands a method: the checked options and the shared machinery (progress,
 * history, cancellation). A method returns its plan and its own evaluation; search() then
 * holds the plan to the budget and reports bytes and ratio.
 */
import type { Device } from "../backend.js";
import type { SizePlan } from "../plan/size_plan.js";
import type { SearchData, SearchEvent, SearchMethod, SearchProgress, SearchTask } from "./search_types.js";

export interface SearchContext {
  method: SearchMethod;
  data: SearchData;
  candidates: readonly number[];
  task: SearchTask;
  device: Device;
  seed: number;
  budgetBytes: number | undefined;
  settings: Record<string, unknown>;
  signal: AbortSignal | undefined;
  /** Records an event in the history and tells the caller. */
  report(event: SearchEvent & Omit<SearchProgress, "method">): void;
}

export interface SearchOutcome {
  plan: SizePlan;
  metrics: Record<string, number>;
}

export type SearchRunner = (context: SearchContext) => Promise<SearchOutcome>;

export interface SearchMethodDefinition {
  /** The reference's candidate sizes, used when the caller gives none. */
  defaultCandidates: readonly number[];
  tasks: readonly SearchTask[];
  run: SearchRunner;
}
