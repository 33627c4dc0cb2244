/**
 * mixdim search --method <name> [--data FILE] [--task T] [--candidates 2,4,...] [--budget RATIO |
 * --budget-bytes N] [--seed N] [--out DIR] [--report FILE] [--json] [--checkpoint DIR] [--resume]
 *
 * Runs one size search and ends with its plan, bytes and metrics (a table, or JSON). Ctrl-C
 * saves a checkpoint (default <out>/checkpoint or ./mixdim-checkpoint) and exits 130; the same
 * command with --resume continues it.
 */
import { Command, Option } from "commander";

import { writeReport } from "../report/report.js";
import { reportRun } from "../report/report_run.js";
import { searchMethods, settingsOf } from "../search/search_methods.js";
import { settingsHelp, settingsMarkdown } from "../search/setting_table.js";
import type { Budget } from "../search/search_types.js";
import { UsageError } from "./cli_errors.js";
import { dataSpec, loadData } from "./data_source.js";
import { interruptOnSigint } from "./interrupt.js";
import {
  addDataOptions, addOutputOptions, methodNames, parseBytes, parseCandidates, parseEpochs, parseRatio, parseSeed, parseSetting,
  type DataFlags, type OutputFlags,
} from "./option_parsers.js";
import { progressReporter } from "./progress_reporter.js";
import { checkpointDir, readSavedRun, resumedSpec, type RunSpec, type SavedRun } from "./run_checkpoint.js";
import { jsonText, resultJson, writeRunOutputs } from "./run_outputs.js";
import { runSearch } from "./search_run.js";
import { planSummary, formatTable, resultRow } from "./summary_table.js";

interface SearchFlags extends DataFlags, OutputFlags {
  method?: RunSpec["method"];
  candidates?: number[];
  budget?: number;
  budgetBytes?: number;
  seed?: number;
  epochs?: number;
  set?: Record<string, string | number | boolean>;
  out?: string;
  report?: string;
  checkpoint?: string;
  resume?: boolean;
}

export function registerSearch(program: Command): void {
  const command = program.command("search").description("search a size plan within a memory budget");
  command.addOption(new Option("--method <name>", "the search method").choices(methodNames));
  addDataOptions(command)
    .option("--candidates <sizes>", "candidate sizes, comma-separated (default: the method's)", parseCandidates)
    .addOption(new Option("--budget <ratio>", "budget as a fraction of every id at the largest candidate").argParser(parseRatio)
      .conflicts("budgetBytes"))
    .option("--budget-bytes <n>", "budget in bytes of embeddings", parseBytes)
    .option("--seed <n>", "seed (default 0)", parseSeed)
    .option("--epochs <n>", "passes over the training head when the plan is retrained (settings.retrainEpochs; default 1)", parseEpochs)
    .option("--set <key=value>", "a method setting (repeatable), e.g. --set batchSize=250", parseSetting)
    .option("--out <dir>", "write plan.json, result.json and the trained model (model/) here")
    .option("--report <file>", "write an HTML report here: size against frequency, the search's history, the sizes chosen")
    .option("--checkpoint <dir>", "where Ctrl-C saves (default <out>/checkpoint, else ./mixdim-checkpoint)")
    .option("--resume", "continue the run saved in the checkpoint");
  addOutputOptions(command).action((flags: SearchFlags) => searchAction(flags));
  command.addHelpText("after", () => `\nSettings (--set name=value), per method; any other name is an error:\n${methodSettingsHelp()}`);
}

/** Each method's settings table (setting_table.ts), as the README shows it (a test keeps the two the same). */
export function methodSettingsMarkdown(): string {
  return Object.entries(searchMethods).map(([name, method]) =>
    `**${name}** (tasks: ${method!.tasks.join(", ")})\n\n${settingsMarkdown(settingsOf(method!))}`).join("\n\n");
}

/** Each method's settings table (setting_table.ts), as --help shows it. */
export function methodSettingsHelp(): string {
  return Object.entries(searchMethods).map(([name, method]) =>
    [`${name} (tasks ${method!.tasks.join(", ")}):`, ...settingsHelp(settingsOf(method!))].join("\n")).join("\n\n");
}

function flagsSpec(flags: SearchFlags): Partial<RunSpec> {
  if (flags.epochs !== undefined && flags.set?.retrainEpochs !== undefined) {
    throw new UsageError("--epochs and --set retrainEpochs say the same thing; give one");
  }
  const budget: Budget | undefined = flags.budget !== undefined ? { ratio: flags.budget }
    : flags.budgetBytes !== undefined ? { bytes: flags.budgetBytes } : undefined;
  return {
    method: flags.method,
    data: flags.data === undefined && flags.limit === undefined ? undefined : dataSpec(flags.data, flags.limit),
    task: flags.task,
    candidates: flags.candidates,
    budget,
    seed: flags.seed,
    epochs: flags.epochs,
    settings: flags.epochs === undefined ? flags.set : { ...flags.set, retrainEpochs: flags.epochs },
  };
}

async function searchAction(flags: SearchFlags): Promise<void> {
  const dir = checkpointDir(flags.checkpoint, flags.out);
  const given = flagsSpec(flags);
  let spec: RunSpec;
  let saved: SavedRun | undefined;
  if (flags.resume) {
    saved = await readSavedRun(dir, "search");
    spec = resumedSpec(saved.spec, given);
  } else {
    if (given.method === undefined) throw new UsageError("search needs --method (one of " + methodNames.join(", ") + ")");
    spec = { command: "search", method: given.method, data: given.data ?? dataSpec(undefined, undefined),
             ...(given.task === undefined ? {} : { task: given.task }),
             ...(given.candidates === undefined ? {} : { candidates: given.candidates }),
             ...(given.budget === undefined ? {} : { budget: given.budget }),
             seed: given.seed ?? 0, epochs: given.epochs ?? 1,
             ...(given.settings === undefined ? {} : { settings: given.settings }) };
  }
  // search() says the same, but only after the data has loaded.
  if (searchMethods[spec.method!] === undefined) throw new Error(`method "${spec.method}" is not available in this build of mixdim`);
  const reporter = progressReporter({ quiet: flags.quiet ?? false });
  const interrupt = interruptOnSigint();
  try {
    const { data, description } = await loadData(spec.data, interrupt.signal);
    reporter.note(`${saved === undefined ? "searching" : "resuming"}: ${spec.method} on ${description}`);
    const run = await runSearch(spec, data, {
      signal: interrupt.signal, onProgress: (p) => reporter.update(p), checkpointDir: dir,
      ...(saved === undefined ? {} : { resume: saved }),
    });
    reporter.stop();
    const { result } = run;
    const json = resultJson(result, description);
    const written = flags.out === undefined ? undefined : await writeRunOutputs(flags.out, {
      plan: result.plan, spec, task: result.task, metrics: result.metrics, result: resultJson(result, description, true),
      ...(run.training === undefined ? {} : { training: run.training }),
    });
    if (flags.report !== undefined) {
      await writeReport(flags.report, { title: `mixdim search: ${result.method} on ${description}`, runs: [reportRun(result, data)] });
    }
    if (flags.json) {
      process.stdout.write(`${jsonText(written === undefined ? json : { ...json, written })}\n`);
      return;
    }
    const lines = [formatTable([resultRow(result.method, result)]), "", `plan: ${planSummary(result.plan)}`];
    if (written !== undefined) lines.push(`wrote ${Object.values(written).join(", ")}`);
    if (flags.report !== undefined) lines.push(`wrote ${flags.report}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}
