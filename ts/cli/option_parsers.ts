/**
 * The flags several commands share, and their parsers. A bad value is commander's
 * InvalidArgumentError: one line naming the flag, and exit code 2.
 */
import { Command, InvalidArgumentError, Option } from "commander";

import type { SearchMethod, SearchTask } from "../search/search_types.js";

export const methodNames: readonly SearchMethod[] = ["fixed", "mde", "darts", "autoemb", "autodim", "esapn", "scall"];
export const taskNames: readonly SearchTask[] = ["binary", "multiclass", "ctr", "implicit"];

export function parseRatio(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new InvalidArgumentError("a budget ratio is a number in (0, 1], e.g. 0.25 for a quarter of every id at the largest size.");
  }
  return value;
}

function parseCount(text: string, what: string, min: number): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new InvalidArgumentError(`${what} must be a whole number.`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${what} must be a whole number ≥ ${min}.`);
  return value;
}

export const parseBytes = (text: string) => parseCount(text, "a byte budget", 1);
export const parseSeed = (text: string) => parseCount(text, "a seed", 0);
export const parseEpochs = (text: string) => parseCount(text, "epochs", 1);
export const parseLimit = (text: string) => parseCount(text, "a rating limit", 1);

/** "2,4,8,16,64,128" → [2, 4, 8, 16, 64, 128]: whole sizes in [1, 65536], strictly increasing. */
export function parseCandidates(text: string): number[] {
  const sizes = text.split(",").map((part) => part.trim());
  const values = sizes.map((part) => Number(part));
  if (sizes.some((part) => !/^\d+$/.test(part)) || values.some((d) => d < 1 || d > 65536)) {
    throw new InvalidArgumentError("candidates are comma-separated sizes in [1, 65536], e.g. 2,4,8,16,64,128.");
  }
  if (values.some((d, i) => i > 0 && d <= values[i - 1]!)) throw new InvalidArgumentError("candidates must be strictly increasing.");
  return values;
}

/** --data, --limit and --task, as every command that trains takes them. */
export function addDataOptions(command: Command): Command {
  return command
    .option("--data <file>", "a ratings file (MovieLens u.data, ratings.dat, ratings.csv, or CSV); default: the synthetic data set")
    .option("--limit <n>", "use only the first n ratings of the file", parseLimit)
    .addOption(new Option("--task <task>", "what to learn: rating streams (binary, multiclass), CTR fields, or implicit feedback")
      .choices(taskNames));
}

/** --json and --quiet. */
export function addOutputOptions(command: Command): Command {
  return command
    .option("--json", "print the result as JSON on stdout (progress stays on stderr)")
    .option("--quiet", "no progress");
}

export interface DataFlags {
  data?: string;
  limit?: number;
  task?: SearchTask;
}

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

/**
 * One `--set key=value` (repeatable) into the settings so far: numbers and true/false become
 * numbers and booleans, anything else stays a string; the method checks the values.
 */
export function parseSetting(text: string, previous: Record<string, string | number | boolean> = {}):
    Record<string, string | number | boolean> {
  const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(text);
  if (match === null) throw new InvalidArgumentError(`expected key=value, got "${text}"`);
  const [, key, raw] = match as unknown as [string, string, string];
  const value = raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return { ...previous, [key]: value };
}
