/**
 * Reading back a model the CLI saved (search --out or retrain --out: <out>/model, or an
 * interrupted run's checkpoint): its plan, its settings, and the model itself.
 */
import path from "node:path";

import { hasCheckpoint, loadCheckpoint, type CheckpointContents } from "../checkpoint/checkpoint.js";
import { planFromJson } from "../export/plan_export.js";
import type { SizePlan } from "../plan/size_plan.js";
import type { SearchTask } from "../search/search_types.js";
import type { RunSpec } from "./run_checkpoint.js";

export interface SavedModel {
  dir: string;
  plan: SizePlan;
  /** The task it was trained for, when the CLI saved it. */
  task: SearchTask | undefined;
  spec: RunSpec | undefined;
  contents: CheckpointContents;
}

/** `dir` itself, or `dir`/model when `dir` is a run's --out. */
export async function findModelCheckpoint(dir: string): Promise<string> {
  const resolved = path.resolve(dir);
  if (await hasCheckpoint(resolved)) return resolved;
  const inside = path.join(resolved, "model");
  if (await hasCheckpoint(inside)) return inside;
  throw new Error(`there is no model checkpoint in ${dir} (search --out saves one for FIXED on a rating task, ` +
                  "retrain --out for any rating task; other runs save only plan.json)");
}

export async function readSavedModel(dir: string): Promise<SavedModel> {
  const found = await findModelCheckpoint(dir);
  const contents = await loadCheckpoint(found);
  if (contents.plan === null || Object.keys(contents.weights).length === 0) {
    throw new Error(`${found} holds no model weights (an interrupted search's checkpoint holds none; finish it with --resume)`);
  }
  const trainer = (contents.state as { trainer?: { spec?: RunSpec; task?: SearchTask } } | null)?.trainer;
  return { dir: found, plan: planFromJson(contents.plan, path.join(found, "plan.json")), task: trainer?.task, spec: trainer?.spec, contents };
}
