/**
 * mixdim frontier [--data FILE] [--task T] [--methods mde,darts,...] [--budgets 1/64,1/32,...]
 * [--seeds N] [--candidates ...] [--set key=value] [--method-set method.key=value] [--report FILE] [--json]
 *
 * The accuracy–memory frontier (runFrontier): FIXED and each method's budget-held plan at every
 * budget and seed, then per budget the bytes, each method's mean ± std and which beat FIXED
 * beyond the spread. Progress is one bar over the runs, with its ETA.
 */
import { Command, InvalidArgumentError } from "commander";

import { writeReport } from "../report/report.js";
import { defaultFrontierBudgets, runFrontier, type FrontierVariant } from "../search/frontier.js";
import type { SearchMethod, SearchTask } from "../search/search_types.js";
import { dataSpec, loadData } from "./data_source.js";
import { frontierTable } from "./frontier_table.js";
import { interruptOnSigint } from "./interrupt.js";
import {
  addDataOptions, addOutputOptions, methodNames, parseCandidates, parseSetting, type DataFlags, type OutputFlags,
} from "./option_parsers.js";
import { progressReporter } from "./progress_reporter.js";
import { jsonText } from "./run_outputs.js";

interface FrontierFlags extends DataFlags, OutputFlags {
  methods?: SearchMethod[];
  budgets?: number[];
  seeds?: number;
  candidates?: number[];
  set?: Record<string, string | number | boolean>;
  methodSet?: Partial<Record<SearchMethod, Record<string, string | number | boolean>>>;
  report?: string;
}

/** "esapn.batchSize=250": a setting for one method only, as --set parses its key=value. */
function parseMethodSetting(text: string, previous: FrontierFlags["methodSet"] = {}): NonNullable<FrontierFlags["methodSet"]> {
  const match = /^([a-z]+)\.(.*)$/.exec(text);
  if (match === null || !(methodNames as readonly string[]).includes(match[1]!)) {
    throw new InvalidArgumentError(`expected method.key=value with a method of ${methodNames.join(", ")}, e.g. esapn.batchSize=250; got "${text}"`);
  }
  const method = match[1] as SearchMethod;
  return { ...previous, [method]: parseSetting(match[2]!, previous[method]) };
}

/** The methods compared by default on each task (FIXED always runs). */
export const defaultFrontierMethods: Record<SearchTask, SearchMethod[]> = {
  binary: ["mde", "darts", "autoemb", "esapn"],
  multiclass: ["mde", "darts", "autoemb", "esapn"],
  ctr: ["mde", "darts", "autodim"],
  implicit: ["scall"],
};

function parseMethods(text: string): SearchMethod[] {
  const names = text.split(",").map((name) => name.trim());
  const unknown = names.find((name) => !(methodNames as readonly string[]).includes(name) || name === "fixed");
  if (unknown !== undefined) {
    throw new InvalidArgumentError(`"${unknown}" is not a method to compare with FIXED (one of ${methodNames.filter((m) => m !== "fixed").join(", ")}).`);
  }
  return names as SearchMethod[];
}

/** "1/64,1/32,0.25" → [0.015625, 0.03125, 0.25]: fractions in (0, 1]. */
export function parseBudgets(text: string): number[] {
  return text.split(",").map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(part);
    const value = match === null ? NaN : Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2]));
    if (!(value > 0 && value <= 1)) throw new InvalidArgumentError(`budgets are fractions in (0, 1], e.g. 1/64,1/32,0.25; got "${part}".`);
    return value;
  });
}

function parseSeedCount(text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < 1 || value > 100) throw new InvalidArgumentError("seeds is a whole number in [1, 100].");
  return value;
}

export function registerFrontier(program: Command): void {
  const command = program.command("frontier").description("accuracy against memory: FIXED and each method's plan at several budgets and seeds");
  addDataOptions(command)
    .option("--methods <list>", "methods to compare with FIXED, comma-separated (default: the task's: " +
            "mde,darts,autoemb,esapn on ratings; mde,darts,autodim on ctr; scall on implicit)", parseMethods)
    .option("--budgets <list>", "budgets as fractions of every id at the largest candidate (default 1/64,1/32,1/16,1/8,1/4,1/2)", parseBudgets)
    .option("--seeds <n>", "seeds 1 … n per budget (default 3)", parseSeedCount)
    .option("--candidates <sizes>", "candidate sizes for every method (default 2,4,8,16,64,128)", parseCandidates)
    .option("--set <key=value>", "a setting for every method, FIXED included (repeatable), e.g. --set order=shuffle", parseSetting)
    .option("--method-set <method.key=value>", "a setting for one method (repeatable), e.g. --method-set esapn.batchSize=250",
            parseMethodSetting)
    .option("--report <file>", "write an HTML report: each metric against bytes, with error bars");
  addOutputOptions(command).action((flags: FrontierFlags) => frontierAction(flags));
}

async function frontierAction(flags: FrontierFlags): Promise<void> {
  const reporter = progressReporter({ quiet: flags.quiet ?? false });
  const interrupt = interruptOnSigint();
  try {
    const { data, description } = await loadData(dataSpec(flags.data, flags.limit), interrupt.signal);
    const task: SearchTask = flags.task ?? "binary";
    const variants: FrontierVariant[] = (flags.methods ?? defaultFrontierMethods[task])
      .map((method) => ({ method, settings: flags.methodSet?.[method] ?? {} }));
    const fixedSettings = flags.methodSet?.fixed;
    const seeds = Array.from({ length: flags.seeds ?? 3 }, (_, i) => i + 1);
    reporter.note(`frontier: FIXED, ${variants.map((v) => v.method).join(", ")} on ${description}, task ${task}, ` +
                  `${(flags.budgets ?? defaultFrontierBudgets).length} budgets × ${seeds.length} seeds`);
    const frontier = await runFrontier({
      data, task, variants, seeds, signal: interrupt.signal,
      ...(flags.budgets === undefined ? {} : { budgets: flags.budgets }),
      ...(flags.candidates === undefined ? {} : { candidates: flags.candidates }),
      ...(flags.set === undefined ? {} : { settings: flags.set }),
      ...(fixedSettings === undefined ? {} : { fixedSettings }),
      onProgress: ({ done, total }) => reporter.update({ phase: "runs", step: done, total }),
    });
    reporter.stop();
    if (flags.report !== undefined) {
      await writeReport(flags.report, {
        title: `mixdim frontier on ${description}`,
        description: `Task ${task}; seeds ${seeds.join(", ")}; every plan held to the budget and retrained by the common protocol.`,
        runs: [], frontier,
      });
    }
    if (flags.json) {
      process.stdout.write(`${jsonText({ data: description, ...frontier })}\n`);
      return;
    }
    const lines = [frontierTable(frontier)];
    if (flags.report !== undefined) lines.push(`wrote ${flags.report}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}
