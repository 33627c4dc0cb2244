/**
 * mixdim demo: a short comparison on the synthetic default (or --data): FIXED at the largest
 * size, FIXED at a budget, and ESAPN at the same budget when this build has it. About ten
 * seconds on two cores; ends with the summary table.
 */
import { Command } from "commander";

import { searchMethods } from "../search/search_methods.js";
import type { SearchResult } from "../search/search_types.js";
import { dataSpec, loadData } from "./data_source.js";
import { interruptOnSigint } from "./interrupt.js";
import { addOutputOptions, parseLimit, parseRatio, parseSeed, type OutputFlags } from "./option_parsers.js";
import { progressReporter } from "./progress_reporter.js";
import type { RunSpec } from "./run_checkpoint.js";
import { jsonText, resultJson } from "./run_outputs.js";
import { runSearch } from "./search_run.js";
import { formatTable, planSummary, resultRow } from "./summary_table.js";

interface DemoFlags extends OutputFlags {
  data?: string;
  limit?: number;
  budget?: number;
  seed?: number;
}

export function registerDemo(program: Command): void {
  const command = program.command("demo").description("compare FIXED with a budgeted search on the synthetic data set")
    .option("--data <file>", "a ratings file instead of the synthetic default")
    .option("--limit <n>", "use only the first n ratings", parseLimit)
    .option("--budget <ratio>", "the budget, as a fraction of FIXED's bytes (default 0.25)", parseRatio)
    .option("--seed <n>", "seed (default 0)", parseSeed);
  addOutputOptions(command).action((flags: DemoFlags) => demoAction(flags));
}

async function demoAction(flags: DemoFlags): Promise<void> {
  const ratio = flags.budget ?? 0.25;
  const seed = flags.seed ?? 0;
  const data = dataSpec(flags.data, flags.limit);
  const runs: { label: string; spec: RunSpec }[] = [
    { label: "fixed", spec: { command: "search", method: "fixed", data, seed, epochs: 1 } },
    { label: `fixed @ ${ratio}`, spec: { command: "search", method: "fixed", data, budget: { ratio }, seed, epochs: 1 } },
  ];
  if (searchMethods.esapn !== undefined) {
    runs.push({ label: `esapn @ ${ratio}`, spec: { command: "search", method: "esapn", data, budget: { ratio }, seed, epochs: 1 } });
  }
  const reporter = progressReporter({ quiet: flags.quiet ?? false });
  const interrupt = interruptOnSigint();
  try {
    const loaded = await loadData(data, interrupt.signal);
    reporter.note(`demo on ${loaded.description}`);
    const results: { label: string; result: SearchResult }[] = [];
    for (const { label, spec } of runs) {
      reporter.note(`${label}:`);
      const { result } = await runSearch(spec, loaded.data, { signal: interrupt.signal, onProgress: (p) => reporter.update(p) });
      reporter.stop();
      results.push({ label, result });
    }
    if (flags.json) {
      process.stdout.write(`${jsonText(results.map(({ label, result }) => ({ run: label, ...resultJson(result, loaded.description) })))}\n`);
      return;
    }
    const lines = [formatTable(results.map(({ label, result }) => resultRow(label, result))), ""];
    for (const { label, result } of results) lines.push(`${label}: ${planSummary(result.plan)}`);
    if (searchMethods.esapn === undefined) lines.push("", "(ESAPN is not in this build; the budgeted run is FIXED at the largest size that fits)");
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}
