/**
 * The report's input checked at the boundary, once, so that the charts can trust it: a bad
 * field is a TypeError or RangeError naming it (input.runs[1].frequencies.items[7] = -1 …).
 * Values a history may legitimately lack or leave NaN (loss, accuracy) are not errors: the
 * charts skip them.
 */
import { integerInRange, numberInRange } from "../arguments.js";
import { describe } from "../describe_value.js";
import type { ReportInput, ReportRun } from "./report_types.js";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function checkReportInput(input: unknown, argument = "input"): ReportInput {
  if (!isObject(input)) throw new TypeError(`${argument} must be an object, got ${describe(input)}`);
  if (typeof input.title !== "string") throw new TypeError(`${argument}.title must be a string, got ${describe(input.title)}`);
  if (input.description !== undefined && typeof input.description !== "string") {
    throw new TypeError(`${argument}.description must be a string, got ${describe(input.description)}`);
  }
  if (!Array.isArray(input.runs)) throw new TypeError(`${argument}.runs must be an array of runs, got ${describe(input.runs)}`);
  input.runs.forEach((run, i) => checkRun(run, `${argument}.runs[${i}]`));
  if (input.frontier !== undefined) checkFrontier(input.frontier, `${argument}.frontier`);
  return input as unknown as ReportInput;
}

/** What the frontier chart reads: budgets of points, each with a label, bytes and metrics of { mean, std }. */
function checkFrontier(frontier: unknown, argument: string): void {
  if (!isObject(frontier)) throw new TypeError(`${argument} must be what runFrontier returned, got ${describe(frontier)}`);
  if (!Array.isArray(frontier.seeds)) throw new TypeError(`${argument}.seeds must be an array, got ${describe(frontier.seeds)}`);
  if (!Array.isArray(frontier.metricNames)) throw new TypeError(`${argument}.metricNames must be an array, got ${describe(frontier.metricNames)}`);
  if (!Array.isArray(frontier.budgets)) throw new TypeError(`${argument}.budgets must be an array, got ${describe(frontier.budgets)}`);
  frontier.budgets.forEach((budget: unknown, b) => {
    const at = `${argument}.budgets[${b}]`;
    if (!isObject(budget) || !Array.isArray(budget.points)) throw new TypeError(`${at}.points must be an array, got ${describe(budget)}`);
    budget.points.forEach((point: unknown, p) => {
      const here = `${at}.points[${p}]`;
      if (!isObject(point) || typeof point.label !== "string") throw new TypeError(`${here}.label must be a string`);
      numberInRange(point.bytes, `${here}.bytes`, 0, Number.MAX_SAFE_INTEGER);
      if (!isObject(point.metrics)) throw new TypeError(`${here}.metrics must be an object, got ${describe(point.metrics)}`);
      for (const [name, value] of Object.entries(point.metrics)) {
        if (!isObject(value) || typeof value.mean !== "number" || typeof value.std !== "number") {
          throw new TypeError(`${here}.metrics.${name} must be { mean, std }, got ${describe(value)}`);
        }
      }
    });
  });
}

function checkRun(run: unknown, argument: string): asserts run is ReportRun {
  if (!isObject(run)) throw new TypeError(`${argument} must be an object, got ${describe(run)}`);
  for (const key of ["label", "method"] as const) {
    if (typeof run[key] !== "string") throw new TypeError(`${argument}.${key} must be a string, got ${describe(run[key])}`);
  }
  const tables = checkPlan(run.plan, `${argument}.plan`);
  if (!Array.isArray(run.history)) throw new TypeError(`${argument}.history must be an array of events, got ${describe(run.history)}`);
  run.history.forEach((event, i) => {
    if (!isObject(event)) throw new TypeError(`${argument}.history[${i}] must be an event object, got ${describe(event)}`);
  });
  if (run.frequencies !== undefined) checkFrequencies(run.frequencies, tables, `${argument}.frequencies`);
  for (const key of ["metrics", "searchMetrics"] as const) {
    const metrics = run[key];
    if (metrics === undefined) continue;
    if (!isObject(metrics)) throw new TypeError(`${argument}.${key} must be an object, got ${describe(metrics)}`);
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value !== "number") throw new TypeError(`${argument}.${key}.${name} must be a number, got ${describe(value)}`);
    }
  }
  for (const key of ["bytes", "ratio", "peakSearchBytes"] as const) {
    if (run[key] !== undefined) numberInRange(run[key], `${argument}.${key}`, 0, Number.MAX_SAFE_INTEGER);
  }
}

/** The plan's tables, once its candidates are sizes and its tables Int32Arrays. */
function checkPlan(plan: unknown, argument: string): Record<string, Int32Array> {
  if (!isObject(plan)) throw new TypeError(`${argument} must be a size plan, got ${describe(plan)}`);
  if (!Array.isArray(plan.candidates)) throw new TypeError(`${argument}.candidates must be an array, got ${describe(plan.candidates)}`);
  if (plan.candidates.length === 0) throw new RangeError(`${argument}.candidates must hold at least one size`);
  plan.candidates.forEach((d, i) => integerInRange(d, `${argument}.candidates[${i}]`, 1, 65536));
  if (!isObject(plan.tables)) throw new TypeError(`${argument}.tables must be an object, got ${describe(plan.tables)}`);
  for (const [name, sizes] of Object.entries(plan.tables)) {
    if (!(sizes instanceof Int32Array)) throw new TypeError(`${argument}.tables.${name} must be an Int32Array, got ${describe(sizes)}`);
  }
  return plan.tables as Record<string, Int32Array>;
}

function checkFrequencies(frequencies: unknown, tables: Record<string, Int32Array>, argument: string): void {
  if (!isObject(frequencies)) throw new TypeError(`${argument} must be an object of tables, got ${describe(frequencies)}`);
  for (const [name, counts] of Object.entries(frequencies)) {
    const sizes = tables[name];
    if (sizes === undefined) {
      throw new RangeError(`${argument}.${name} names no table of the plan (it has ${Object.keys(tables).map((t) => `"${t}"`).join(", ")})`);
    }
    const length = (counts as { length?: unknown } | null)?.length;
    if (typeof counts !== "object" || typeof length !== "number") {
      throw new TypeError(`${argument}.${name} must be an array of frequencies, got ${describe(counts)}`);
    }
    if (length !== sizes.length) {
      throw new RangeError(`${argument}.${name} has ${length} frequencies, but the plan's table has ${sizes.length} ids`);
    }
    const values = counts as ArrayLike<unknown>;
    for (let id = 0; id < length; ++id) numberInRange(values[id], `${argument}.${name}[${id}]`, 0, Number.MAX_SAFE_INTEGER);
  }
}
