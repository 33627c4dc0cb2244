/**
 * What search() hands a method: the checked options and the shared machinery (progress,
 * history, cancellation, checkpoints). A method returns its plan, its own online figures and the
 * peak bytes it held; search() then holds the plan to the budget, trains and scores that plan
 * (evaluatePlan), and reports bytes and ratio.
 *
 * A method's loop awaits checkpoint() between steps, with a function that captures its state
 * there; when it starts with `resume` it restores that state and continues from that step.
 */
import type { Device } from "../backend.js";
import type { SizePlan } from "../plan/size_plan.js";
import type { StateSnapshot } from "../training/state_snapshot.js";
import type { SettingSpec } from "./setting_table.js";
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
  /** The state a checkpoint() of an earlier, aborted run captured: continue from it. Undefined on a fresh start. */
  resume: StateSnapshot | undefined;
  /**
   * A step boundary, where the method's state is whole. Gives the event loop a turn now and then
   * (yield_point.ts), so that an abort can arrive; once the signal has aborted the search, it
   * saves capture() through SearchOptions.checkpoint (when given) and throws the signal's
   * reason. capture is called only then.
   */
  checkpoint(capture: () => BoundaryState): Promise<void>;
  /** Events reported so far: what a BoundaryState captured ahead of time records. */
  eventCount(): number;
}

/**
 * A method's state at a step boundary. A method that checkpoints coarsely (SCALL, per segment)
 * captures it at the boundary, ahead of time, and hands that capture to every checkpoint() until
 * the next boundary; `events` (eventCount() at the boundary) then keeps the events reported
 * since out of the snapshot's history, as the resumed run reports them again.
 */
export interface BoundaryState extends StateSnapshot {
  events?: number;
}

export interface SearchOutcome {
  plan: SizePlan;
  /** The search's own figures (its online model's accuracy, steps run, α, …): SearchResult.searchMetrics. */
  searchMetrics: Record<string, number>;
  /** Embedding bytes held at the search's peak (a supernet, a growing table; the plan's own bytes for FIXED and MDE). */
  peakSearchBytes: number;
  /**
   * The plan's figures when the method trains it another way than evaluatePlan (AutoDim's
   * "inherit" retraining): search() uses them when `plan` already meets the budget, and
   * otherwise evaluates the held plan.
   */
  planMetrics?: Record<string, number>;
}

export type SearchRunner = (context: SearchContext) => Promise<SearchOutcome>;

export interface SearchMethodDefinition {
  /** The reference's candidate sizes, used when the caller gives none. */
  defaultCandidates: readonly number[];
  tasks: readonly SearchTask[];
  /** The settings it reads (besides evaluatePlan's, planEvaluationSettings), checked by search() before it runs. */
  settings: readonly SettingSpec[];
  /** Whether its plans may give an id any integer size (FIXED), so that a budget down to one float per id can be met. */
  anyIntegerSize?: boolean;
  run: SearchRunner;
}
