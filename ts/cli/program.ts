/**
 * The `mixdim` command line: one commander program, one file per command. Commander's own
 * errors (an unknown flag, a bad value) are not printed by commander but thrown, so that
 * main.ts reports every failure the same way: one line and an exit code (cli_errors.ts).
 */
import { readFileSync } from "node:fs";

import { Command } from "commander";

import { registerBench } from "./bench_command.js";
import { registerDemo } from "./demo_command.js";
import { registerEvaluate } from "./evaluate_command.js";
import { registerExport } from "./export_command.js";
import { registerFrontier } from "./frontier_command.js";
import { registerRetrain } from "./retrain_command.js";
import { registerSearch } from "./search_command.js";

function packageVersion(): string {
  try {
    const json = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return json.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function buildProgram(): Command {
  const program = new Command("mixdim")
    .description("mixed-dimension embeddings: search embedding sizes within a memory budget, retrain, export")
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError()
    .allowExcessArguments(false);
  for (const register of [registerSearch, registerFrontier, registerRetrain, registerEvaluate, registerExport, registerBench, registerDemo]) {
    register(program);
  }
  return program;
}

/** Runs the command line; resolves when the command is done (its exit code is in process.exitCode). */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  await program.parseAsync([...argv]);
}
