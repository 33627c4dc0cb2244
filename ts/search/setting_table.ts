/**
 * A method's settings, declared once as a table (name, type and range, default, doc line): the
 * one source of search()'s run-time check of `settings` (for input that arrives as JSON or from
 * `--set`), of its error messages (`settings.learningrate is not a setting of esapn; did you
 * mean learningRate?`), of `mixdim search --help` and of the README's settings table, so that
 * the four cannot drift apart. A setting a method does not read for the task at hand is an
 * error too, not silently ignored.
 */
import type { SearchTask } from "./search_types.js";

export type SettingType =
  | { kind: "number" | "integer"; min: number; max: number; exclusiveMin?: boolean }
  | { kind: "boolean" }
  | { kind: "choice"; values: readonly (string | number)[] }
  /** Layer widths, e.g. [64, 32] ([] for none). */
  | { kind: "sizes" };

export interface SettingSpec {
  name: string;
  type: SettingType;
  /** The value used when the setting is left out, or a phrase where it depends on the run ("the largest candidate"). */
  default: number | string | boolean | readonly number[];
  doc: string;
  /** The tasks for which the method reads it; all of the method's tasks when left out. */
  tasks?: readonly SearchTask[];
}

/**
 * Checks every key of `settings` against the table for `task`: a key the table lacks, or that
 * the method does not read for this task, and a value of the wrong type or out of range, throw
 * an error naming the setting and showing the value given.
 */
export function checkSettings(method: string, task: SearchTask, table: readonly SettingSpec[], settings: unknown): void {
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    throw new TypeError(`settings must be an object, got ${shown(settings)}`);
  }
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    const named = table.filter((spec) => spec.name === name);
    if (named.length === 0) {
      const near = nearestName(name, table.map((spec) => spec.name));
      throw new RangeError(`settings.${name} is not a setting of ${method}${near === undefined ? "" : `; did you mean ${near}?`}`);
    }
    const spec = named.find((s) => s.tasks === undefined || s.tasks.includes(task));
    if (spec === undefined) {
      const tasks = [...new Set(named.flatMap((s) => s.tasks ?? []))].map((t) => `"${t}"`).join(", ");
      throw new RangeError(`settings.${name} is not read by ${method} on task "${task}" (only on ${tasks})`);
    }
    checkValue(`settings.${name}`, spec.type, value);
  }
}

function checkValue(argument: string, type: SettingType, value: unknown): void {
  switch (type.kind) {
    case "boolean":
      if (typeof value !== "boolean") throw new TypeError(`${argument} must be a boolean, got ${shown(value)}`);
      return;
    case "choice":
      if (!type.values.includes(value as string | number)) {
        throw new RangeError(`${argument} must be ${type.values.map(shown).join(" or ")}, got ${shown(value)}`);
      }
      return;
    case "sizes":
      if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v >= 1 && v <= 65536)) {
        throw new TypeError(`${argument} must be an array of layer sizes (integers in [1, 65536]), got ${shown(value)}`);
      }
      return;
    default: {
      if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`${argument} must be a number, got ${shown(value)}`);
      const integer = type.kind === "integer";
      if (integer && !Number.isInteger(value)) throw new RangeError(`${argument} must be an integer, got ${shown(value)}`);
      if ((type.exclusiveMin === true ? value <= type.min : value < type.min) || value > type.max) {
        throw new RangeError(`${argument} must be ${integer ? "an integer" : "a number"} in ${rangeText(type)}, got ${shown(value)}`);
      }
    }
  }
}

/** A value as a setting's error shows it: NaN as NaN, strings quoted, arrays as JSON. */
export function shown(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean" || value === undefined) return String(value);
  if (typeof value === "string" || Array.isArray(value) || value === null) return JSON.stringify(value);
  return typeof value === "object" ? `a ${(value as object).constructor?.name ?? "object"}` : typeof value;
}

function rangeText(type: { min: number; max: number; exclusiveMin?: boolean }): string {
  const bound = (n: number) => (Math.abs(n) === Infinity ? `${n < 0 ? "-" : ""}∞` : String(n));
  return `${type.exclusiveMin === true ? "(" : "["}${bound(type.min)}, ${bound(type.max)}${type.max === Infinity ? ")" : "]"}`;
}

/** The name that differs from `name` only in case, or by at most two edits; undefined if none. */
function nearestName(name: string, names: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameLetters = names.find((n) => n.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of new Set(names)) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; ++i) {
    const current = [i];
    for (let j = 1; j <= b.length; ++j) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The type and range as the help text and the README show them, e.g. `integer in [2, 16777216]`. */
export function typeText(type: SettingType): string {
  switch (type.kind) {
    case "boolean": return "true | false";
    case "choice": return type.values.map(shown).join(" | ");
    case "sizes": return "layer sizes, e.g. [64, 32]";
    default: return `${type.kind} in ${rangeText(type)}`;
  }
}

/** The default as the help text and the README show it. */
export function defaultText(spec: SettingSpec): string {
  const value = spec.default;
  const phrase = typeof value === "string" && !(spec.type.kind === "choice" && spec.type.values.includes(value));
  return phrase ? value as string : shown(value);
}

/** One line per setting: `  name  type  (default d)  doc [tasks]`, for `--help`. */
export function settingsHelp(table: readonly SettingSpec[]): string[] {
  const width = Math.max(...table.map((spec) => spec.name.length));
  return table.map((spec) => `  ${spec.name.padEnd(width)}  ${spec.doc} (${typeText(spec.type)}; default ${defaultText(spec)})` +
                             (spec.tasks === undefined ? "" : ` [${spec.tasks.join(", ")}]`));
}

/** A Markdown table of the settings, for the README. */
export function settingsMarkdown(table: readonly SettingSpec[]): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  return ["| setting | type | default | tasks | meaning |", "|---|---|---|---|---|",
          ...table.map((spec) => `| \`${spec.name}\` | ${cell(typeText(spec.type))} | ${cell(defaultText(spec))} | ` +
                                 `${spec.tasks?.join(", ") ?? "all"} | ${cell(spec.doc)} |`)].join("\n");
}
