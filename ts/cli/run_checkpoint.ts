/**
 * What Ctrl-C leaves behind: one checkpoint directory (ts/checkpoint/checkpoint.ts) holding the
 * command's settings, so that `--resume` needs no other flag, and the run's state: for FIXED's
 * retraining on a rating task, the model's weights, optimizer state and position
 * (ts/training/training_checkpoint.ts); for every other search, the method's snapshot at the
 * step where it stopped (ts/search/search_snapshot.ts). A run stopped before its first step
 * saves its settings only, and --resume starts it afresh.
 */
import path from "node:path";

import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "../checkpoint/checkpoint.js";
import { planFromJson } from "../export/plan_export.js";
import type { SizePlan } from "../plan/size_plan.js";
import { saveSearchSnapshot, searchSnapshotOf } from "../search/search_snapshot.js";
import type { Budget, SearchMethod, SearchSnapshot, SearchTask } from "../search/search_types.js";
import { UsageError } from "./cli_errors.js";
import type { DataSpec } from "./data_source.js";

/** A run's settings: what the flags said, as JSON. */
export interface RunSpec {
  command: "search" | "retrain";
  method?: SearchMethod;
  data: DataSpec;
  task?: SearchTask;
  candidates?: number[];
  budget?: Budget;
  seed: number;
  epochs: number;
  /** Method-specific settings (`--set key=value`), passed to search(). */
  settings?: Record<string, string | number | boolean>;
}

export interface SavedRun {
  spec: RunSpec;
  /** The plan being retrained, when a model was saved. */
  plan: SizePlan | null;
  /** Whether the checkpoint holds a model to continue (FIXED's retraining). */
  hasModel: boolean;
  /** The search's snapshot, when a search method stopped mid-run. */
  search?: SearchSnapshot;
}

/** --checkpoint, else <out>/checkpoint, else ./mixdim-checkpoint. */
export function checkpointDir(checkpoint: string | undefined, out: string | undefined): string {
  return path.resolve(checkpoint ?? (out === undefined ? "mixdim-checkpoint" : path.join(out, "checkpoint")));
}

/** Saves the settings alone (no model), in the same layout saveTraining writes. */
export async function saveRunSpec(dir: string, spec: RunSpec): Promise<void> {
  await saveCheckpoint(dir, { plan: null, state: { trainer: { spec }, optimizerSteps: 0, storeSteps: [] }, weights: {}, optimizer: {} });
}

/** Saves a stopped search's snapshot with the settings beside it. */
export async function saveSearchRun(dir: string, spec: RunSpec, snapshot: SearchSnapshot): Promise<void> {
  await saveSearchSnapshot(dir, snapshot, { spec });
}

export async function readSavedRun(dir: string, command: RunSpec["command"]): Promise<SavedRun> {
  if (!await hasCheckpoint(dir)) throw new UsageError(`--resume: there is no checkpoint in ${dir}`);
  const contents = await loadCheckpoint(dir);
  const spec = (contents.state as { trainer?: { spec?: RunSpec } } | null)?.trainer?.spec;
  if (spec === undefined || typeof spec !== "object") throw new UsageError(`--resume: ${dir} was not written by the mixdim CLI`);
  if (spec.command !== command) throw new UsageError(`--resume: ${dir} holds an interrupted "${spec.command}", not a "${command}"`);
  const search = searchSnapshotOf(contents);
  return {
    spec,
    plan: contents.plan === null ? null : planFromJson(contents.plan, `${dir}/plan.json`),
    // A search snapshot holds tensors too, but no plan: only saveTraining's checkpoints have both.
    hasModel: contents.plan !== null && Object.keys(contents.weights).length > 0,
    ...(search === undefined ? {} : { search }),
  };
}

/**
 * The saved settings, checked against the flags given again on the command line: the same
 * command line plus --resume is fine, a different value is a usage error.
 */
export function resumedSpec(saved: RunSpec, given: Partial<RunSpec>): RunSpec {
  for (const [key, value] of Object.entries(given) as [keyof RunSpec, unknown][]) {
    if (value === undefined) continue;
    if (JSON.stringify(value) !== JSON.stringify(saved[key])) {
      throw new UsageError(`--resume: the checkpoint's ${key} is ${JSON.stringify(saved[key] ?? null)}, the command line's ` +
                           `${JSON.stringify(value)}; drop the flag, or start afresh without --resume`);
    }
  }
  return saved;
}
