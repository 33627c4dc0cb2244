/**
 * What a finished run leaves in --out: the plan (plan.json), the result (result.json), and the
 * trained model as a checkpoint (model/), which `mixdim export` and `mixdim evaluate` read.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { writePlan, planToJson } from "../export/plan_export.js";
import type { SizePlan } from "../plan/size_plan.js";
import type { SearchResult, SearchTask } from "../search/search_types.js";
import { saveTraining } from "../training/training_checkpoint.js";
import type { PlanTraining } from "./plan_training.js";
import type { RunSpec } from "./run_checkpoint.js";

/**
 * JSON with two-space indentation, except that an array of numbers or strings stays on one line
 * (a plan's sizes would otherwise take a line per id).
 */
export function jsonText(value: unknown, indent = ""): string {
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) return JSON.stringify(value);
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  const inner = `${indent}  `;
  const entries = Array.isArray(value)
    ? value.map((v) => `${inner}${jsonText(v, inner)}`)
    : Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${jsonText(v, inner)}`);
  if (entries.length === 0) return Array.isArray(value) ? "[]" : "{}";
  return Array.isArray(value) ? `[\n${entries.join(",\n")}\n${indent}]` : `{\n${entries.join(",\n")}\n${indent}}`;
}

/** JSON has no NaN or Infinity: such metrics become null. */
export function jsonMetrics(metrics: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

/** A result as --json prints it and result.json holds it (the history only in the file). */
export function resultJson(result: SearchResult, data: string, withHistory = false): Record<string, unknown> {
  return {
    method: result.method,
    task: result.task,
    data,
    bytes: result.bytes,
    ratio: result.ratio,
    ...(result.budgetBytes === undefined ? {} : { budgetBytes: result.budgetBytes }),
    metrics: jsonMetrics(result.metrics),
    peakSearchBytes: result.peakSearchBytes,
    searchMetrics: jsonMetrics(result.searchMetrics),
    plan: planToJson(result.plan),
    ...(withHistory ? { history: result.history } : {}),
  };
}

export interface WrittenOutputs {
  plan: string;
  result?: string;
  model?: string;
}

export async function writeRunOutputs(out: string, run: {
  plan: SizePlan; spec: RunSpec; task: SearchTask; metrics: Record<string, number>; training?: PlanTraining;
  result?: Record<string, unknown>;
}): Promise<WrittenOutputs> {
  await mkdir(out, { recursive: true });
  const written: WrittenOutputs = { plan: path.join(out, "plan.json") };
  await writePlan(written.plan, run.plan);
  if (run.result !== undefined) {
    written.result = path.join(out, "result.json");
    await writeFile(written.result, `${jsonText(run.result)}\n`);
  }
  if (run.training !== undefined) {
    written.model = path.join(out, "model");
    await saveTraining(written.model, {
      model: run.training.model, optimizer: run.training.optimizer, plan: run.plan,
      state: { spec: run.spec, task: run.task, metrics: jsonMetrics(run.metrics) },
    });
  }
  return written;
}
