/**
 * A search as the CLI runs it: search() with the command's settings, progress and Ctrl-C. For
 * FIXED on a rating task the retraining (all of FIXED's work) runs through plan_training.ts, so
 * that Ctrl-C checkpoints the model and --resume continues it; every other method runs as
 * search() runs it, and Ctrl-C saves the method's snapshot at the step where it stopped
 * (SearchOptions.checkpoint), from which --resume continues.
 */
import { fixedSearchPlan } from "../search/fixed/fixed.js";
import { planBytes } from "../plan/size_plan.js";
import { search } from "../search/search.js";
import type { SearchRunner } from "../search/search_context.js";
import { searchMethods } from "../search/search_methods.js";
import type { SearchData, SearchOptions, SearchResult } from "../search/search_types.js";
import { RunInterrupted } from "./cli_errors.js";
import { trainPlan, type PlanTraining } from "./plan_training.js";
import type { ProgressUpdate } from "./progress_reporter.js";
import { saveRunSpec, saveSearchRun, type RunSpec, type SavedRun } from "./run_checkpoint.js";

export interface SearchIo {
  signal?: AbortSignal;
  onProgress?: (progress: ProgressUpdate) => void;
  /** Where Ctrl-C saves; without one an interrupt just ends the run (AbortError). */
  checkpointDir?: string;
  /** The interrupted run being resumed (its checkpoint is checkpointDir). */
  resume?: SavedRun;
}

export interface SearchRun {
  result: SearchResult;
  /** The retrained model, when the CLI trained one (FIXED on a rating task). */
  training?: PlanTraining;
}

export async function runSearch(spec: RunSpec, data: SearchData, io: SearchIo = {}): Promise<SearchRun> {
  const dir = io.checkpointDir;
  let last: ProgressUpdate | undefined;
  let saved = false;
  const options: SearchOptions = {
    method: spec.method!,
    data,
    seed: spec.seed,
    ...(spec.task === undefined ? {} : { task: spec.task }),
    ...(spec.candidates === undefined ? {} : { candidates: spec.candidates }),
    ...(spec.budget === undefined ? {} : { budget: spec.budget }),
    ...(spec.settings === undefined ? {} : { settings: spec.settings }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onProgress: (progress) => {
      last = progress;
      io.onProgress?.(progress);
    },
    ...(dir === undefined ? {} : {
      checkpoint: {
        save: async (snapshot) => {
          await saveSearchRun(dir, spec, snapshot);
          saved = true;
        },
        ...(io.resume?.search === undefined ? {} : { resume: io.resume.search }),
      },
    }),
  };
  try {
    return spec.method === "fixed" ? await searchFixed(options, spec, io) : { result: await search(options) };
  } catch (error) {
    if (error instanceof RunInterrupted || !io.signal?.aborted || dir === undefined) throw error;
    // Stopped before the method's first step: the settings are all there is to continue from.
    if (!saved) await saveRunSpec(dir, spec);
    const at = last === undefined ? "before the first step"
      : `at ${last.phase} ${last.step + 1}${last.total === undefined ? "" : `/${last.total}`}`;
    throw new RunInterrupted(`interrupted ${at}; checkpoint written to ${dir}; add --resume to continue`);
  }
}

/**
 * search() with FIXED's definition, its runner swapped for the duration of the call so that a
 * rating task retrains through trainPlan; search() still checks the options, resolves the
 * budget and reports bytes and ratio.
 */
async function searchFixed(options: SearchOptions, spec: RunSpec, io: SearchIo): Promise<SearchRun> {
  const fixed = searchMethods.fixed!;
  let training: PlanTraining | undefined;
  const run: SearchRunner = async (context) => {
    if (context.task !== "binary" && context.task !== "multiclass") return fixed.run(context);
    const plan = fixedSearchPlan(context);
    context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
    training = await trainPlan(context.data, plan, {
      task: context.task,
      seed: context.seed,
      epochs: spec.epochs,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(io.onProgress === undefined ? {} : { onProgress: io.onProgress }),
      ...(io.resume?.hasModel && io.checkpointDir !== undefined ? { resumeFrom: io.checkpointDir } : {}),
      ...(io.checkpointDir === undefined ? {} : { interruptTo: { dir: io.checkpointDir, state: { spec, task: context.task } } }),
    });
    return { plan, metrics: training.metrics };
  };
  searchMethods.fixed = { ...fixed, run };
  try {
    const result = await search(options);
    return training === undefined ? { result } : { result, training };
  } finally {
    searchMethods.fixed = fixed;
  }
}
