/**
 * A size plan as JSON: what a search hands to `retrain`, `evaluate` and other trainers.
 *
 *   {
 *     "format": "mixdim-plan", "version": 1,
 *     "candidates": [2, 4, 8, 16, 64, 128],
 *     "bytes": 123456,
 *     "tables": {
 *       "users": [16, 2, 128, ...],     one size per dense id, in id order
 *       "items": [...]
 *     }
 *   }
 *
 * Each table's sizes are written on one line, so a plan of a million ids stays one short file.
 */
import { readFile } from "node:fs/promises";

import { writeFileAtomically } from "../checkpoint/atomic_write.js";
import { planBytes, type SizePlan } from "../plan/size_plan.js";

export const planFormat = "mixdim-plan";
export const planVersion = 1;

export interface PlanJson {
  format: typeof planFormat;
  version: typeof planVersion;
  candidates: number[];
  /** Σ_i d_i · 4 over every table. */
  bytes: number;
  tables: Record<string, number[]>;
}

export function planToJson(plan: SizePlan): PlanJson {
  return {
    format: planFormat,
    version: planVersion,
    candidates: [...plan.candidates],
    bytes: planBytes(plan),
    tables: Object.fromEntries(Object.entries(plan.tables).map(([name, sizes]) => [name, Array.from(sizes)])),
  };
}

/** The JSON text: two-space indentation, each table's sizes on one line. */
export function planText(plan: SizePlan): string {
  const json = planToJson(plan);
  const tables = Object.entries(json.tables).map(([name, sizes]) => `    ${JSON.stringify(name)}: ${JSON.stringify(sizes)}`);
  return [
    "{",
    `  "format": ${JSON.stringify(json.format)},`,
    `  "version": ${json.version},`,
    `  "candidates": ${JSON.stringify(json.candidates)},`,
    `  "bytes": ${json.bytes},`,
    `  "tables": {${tables.length === 0 ? "}" : `\n${tables.join(",\n")}\n  }`}`,
    "}",
    "",
  ].join("\n");
}

/** Checks a parsed plan (planToJson's shape; format and version may be left out) and returns it as a SizePlan. */
export function planFromJson(value: unknown, source = "plan"): SizePlan {
  const fail = (why: string): never => {
    throw new RangeError(`${source} is not a mixdim plan: ${why}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("it is not a JSON object");
  const json = value as Record<string, unknown>;
  if (json.format !== undefined && json.format !== planFormat) fail(`its format is ${JSON.stringify(json.format)}`);
  if (json.version !== undefined && json.version !== planVersion) {
    fail(`it is version ${JSON.stringify(json.version)}; this mixdim reads version ${planVersion}`);
  }
  const candidates = json.candidates;
  if (!Array.isArray(candidates) || candidates.length === 0) fail("candidates must be a non-empty array");
  (candidates as unknown[]).forEach((d, i) => {
    if (!Number.isInteger(d) || (d as number) < 1 || (d as number) > 65536) fail(`candidates[${i}] = ${JSON.stringify(d)} is not a size in [1, 65536]`);
    if (i > 0 && (d as number) <= (candidates as number[])[i - 1]!) fail("candidates must be strictly increasing");
  });
  if (typeof json.tables !== "object" || json.tables === null || Array.isArray(json.tables)) fail("tables must be an object");
  const allowed = new Set(candidates as number[]);
  const tables: Record<string, Int32Array> = {};
  for (const [name, sizes] of Object.entries(json.tables as Record<string, unknown>)) {
    if (!Array.isArray(sizes)) fail(`tables.${name} must be an array of sizes`);
    const array = Int32Array.from(sizes as unknown[], (d, id) => {
      if (!allowed.has(d as number)) fail(`tables.${name}[${id}] = ${JSON.stringify(d)} is not one of the candidates`);
      return d as number;
    });
    tables[name] = array;
  }
  return { candidates: [...(candidates as number[])], tables };
}

/** Writes the plan atomically (a reader sees the old file or the whole new one). */
export async function writePlan(path: string, plan: SizePlan): Promise<void> {
  const bytes = new TextEncoder().encode(planText(plan));
  await writeFileAtomically(path, (sink) => sink.write(bytes));
}

export async function readPlan(path: string): Promise<SizePlan> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the plan ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RangeError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return planFromJson(value, path);
}
