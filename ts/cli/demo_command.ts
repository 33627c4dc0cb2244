/**
 * mixdim demo: what mixdim is for, in under a minute on two cores: a small accuracy–memory
 * frontier on the synthetic default (or --data). FIXED, MDE, DARTS and ESAPN at three budgets
 * (1/32, 1/8 and 1/2 of every id at the largest size), one seed, every figure the budget-held
 * plan's; DARTS and ESAPN with narrower networks than their defaults so that it stays short.
 * Ends with the frontier's table; --report adds the chart.
 */
import { Command } from "commander";

import { writeReport } from "../report/report.js";
import { runFrontier, type FrontierVariant } from "../search/frontier.js";
import { dataSpec, loadData } from "./data_source.js";
import { frontierTable } from "./frontier_table.js";
import { interruptOnSigint } from "./interrupt.js";
import { addOutputOptions, parseLimit, parseSeed, type OutputFlags } from "./option_parsers.js";
import { progressReporter } from "./progress_reporter.js";
import { jsonText } from "./run_outputs.js";

interface DemoFlags extends OutputFlags {
  data?: string;
  limit?: number;
  seed?: number;
  report?: string;
}

/** The demo's methods, with the settings that keep it short (they are shown in the output). */
export const demoVariants: FrontierVariant[] = [
  { method: "mde" },
  { method: "darts", settings: { hidden: 64 } },
  { method: "esapn", settings: { hidden: 64, policyHidden: 64 } },
];
export const demoBudgets = [1 / 32, 1 / 8, 1 / 2];

export function registerDemo(program: Command): void {
  const command = program.command("demo").description("a small accuracy–memory frontier: FIXED, MDE, DARTS and ESAPN at three budgets")
    .option("--data <file>", "a ratings file instead of the synthetic default")
    .option("--limit <n>", "use only the first n ratings", parseLimit)
    .option("--seed <n>", "seed (default 1)", parseSeed)
    .option("--report <file>", "write an HTML report with the frontier's chart");
  addOutputOptions(command).action((flags: DemoFlags) => demoAction(flags));
}

async function demoAction(flags: DemoFlags): Promise<void> {
  const reporter = progressReporter({ quiet: flags.quiet ?? false });
  const interrupt = interruptOnSigint();
  try {
    const loaded = await loadData(dataSpec(flags.data, flags.limit), interrupt.signal);
    reporter.note(`demo on ${loaded.description}: FIXED, ${demoVariants.map((v) => v.method.toUpperCase()).join(", ")} at ` +
                  `three budgets, one seed`);
    const frontier = await runFrontier({
      data: loaded.data, task: "binary", variants: demoVariants, budgets: demoBudgets, seeds: [flags.seed ?? 1],
      signal: interrupt.signal, onProgress: ({ done, total }) => reporter.update({ phase: "runs", step: done, total }),
    });
    reporter.stop();
    if (flags.report !== undefined) {
      await writeReport(flags.report, { title: `mixdim demo on ${loaded.description}`, runs: [], frontier });
    }
    if (flags.json) {
      process.stdout.write(`${jsonText({ data: loaded.description, ...frontier })}\n`);
      return;
    }
    const settings = demoVariants.filter((v) => v.settings !== undefined)
      .map((v) => `${v.method.toUpperCase()} ${Object.entries(v.settings!).map(([k, x]) => `${k}=${String(x)}`).join(" ")}`);
    process.stdout.write(`${[frontierTable(frontier), "", `settings besides the defaults: ${settings.join("; ")}`,
                              "every figure is the budget-held plan's, retrained by the common protocol; " +
                              "mixdim frontier runs more budgets and seeds",
                              ...(flags.report === undefined ? [] : [`wrote ${flags.report}`])].join("\n")}\n`);
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}
