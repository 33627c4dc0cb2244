/**
 * A search as the CLI runs it: search() with the command's settings, progress and Ctrl-C, for
 * every method alike. Ctrl-C during the search saves the method's snapshot at the step where it
 * stopped (SearchOptions.checkpoint), from which --resume continues. On a rating task the
 * returned plan is retrained through plan_training.ts (search()'s planEvaluator, the same
 * figures as evaluatePlan), so that Ctrl-C there checkpoints the model, --resume continues it,
 * and --out can save it.
 */
import { evaluatePlan, ratingOrder } from "../search/plan_evaluation.js";
import { search } from "../search/search.js";
import { numberSetting } from "../search/settings.js";
import type { PlanEvaluator, SearchData, SearchOptions, SearchResult } from "../search/search_types.js";
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
  /** The retrained model, when the CLI trained one (a rating task). */
  training?: PlanTraining;
}

export async function runSearch(spec: RunSpec, data: SearchData, io: SearchIo = {}): Promise<SearchRun> {
  const dir = io.checkpointDir;
  let last: ProgressUpdate | undefined;
  let saved = false;
  let training: PlanTraining | undefined;
  const planEvaluator: PlanEvaluator = async (plan, context) => {
    const { task } = context;
    if (task !== "binary" && task !== "multiclass") return evaluatePlan(plan, context);
    training = await trainPlan(context.data, plan, {
      task,
      order: ratingOrder(context.settings),
      seed: context.seed,
      epochs: numberSetting(context.settings, "retrainEpochs", 1),
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(io.onProgress === undefined ? {} : { onProgress: io.onProgress }),
      ...(io.resume?.hasModel && dir !== undefined ? { resumeFrom: dir } : {}),
      ...(dir === undefined ? {} : { interruptTo: { dir, state: { spec, task } } }),
    });
    return training.metrics;
  };
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
    planEvaluator,
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
    const result = await search(options);
    return training === undefined ? { result } : { result, training };
  } catch (error) {
    if (error instanceof RunInterrupted || !io.signal?.aborted || dir === undefined) throw error;
    // Stopped before the method's first step: the settings are all there is to continue from.
    if (!saved) await saveRunSpec(dir, spec);
    const at = last === undefined ? "before the first step"
      : `at ${last.phase} ${last.step + 1}${last.total === undefined ? "" : `/${last.total}`}`;
    throw new RunInterrupted(`interrupted ${at}; checkpoint written to ${dir}; add --resume to continue`);
  }
}
