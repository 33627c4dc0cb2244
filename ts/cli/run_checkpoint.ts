/**
 * What Ctrl-C leaves behind: one checkpoint directory (ts/checkpoint/checkpoint.ts) holding the
 * command's settings, so that `--resume` needs no other flag, and, when a model was training,
 * its weights, optimizer state and position (ts/training/training_checkpoint.ts). A search
 * that has no model at hand saves its settings only, and --resume runs it again from the start.
 */
import path from "node:path";

import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "../checkpoint/checkpoint.js";
import { planFromJson } from "../export/plan_export.js";
import type { SizePlan } from "../plan/size_plan.js";
import type { Budget, SearchMethod, SearchTask } from "../search/search_types.js";
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
  /** Whether the checkpoint holds a model to continue. */
  hasModel: boolean;
}

/** --checkpoint, else <out>/checkpoint, else ./mixdim-checkpoint. */
export function checkpointDir(checkpoint: string | undefined, out: string | undefined): string {
  return path.resolve(checkpoint ?? (out === undefined ? "mixdim-checkpoint" : path.join(out, "checkpoint")));
}

/** Saves the settings alone (no model), in the same layout saveTraining writes. */
export async function saveRunSpec(dir: string, spec: RunSpec): Promise<void> {
  await saveCheckpoint(dir, { plan: null, state: { trainer: { spec }, optimizerSteps: 0, storeSteps: [] }, weights: {}, optimizer: {} });
}

export async function readSavedRun(dir: string, command: RunSpec["command"]): Promise<SavedRun> {
  if (!await hasCheckpoint(dir)) throw new UsageError(`--resume: there is no checkpoint in ${dir}`);
  const contents = await loadCheckpoint(dir);
  const spec = (contents.state as { trainer?: { spec?: RunSpec } } | null)?.trainer?.spec;
  if (spec === undefined || typeof spec !== "object") throw new UsageError(`--resume: ${dir} was not written by the mixdim CLI`);
  if (spec.command !== command) throw new UsageError(`--resume: ${dir} holds an interrupted "${spec.command}", not a "${command}"`);
  return {
    spec,
    plan: contents.plan === null ? null : planFromJson(contents.plan, `${dir}/plan.json`),
    hasModel: Object.keys(contents.weights).length > 0,
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
