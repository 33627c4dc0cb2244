#!/usr/bin/env node
/**
 * `mixdim`: search, retrain, evaluate, export, bench, demo. `npx mixdim --help` lists them.
 *
 * Everything else is imported only once the error handling is in place, so that even a failure
 * to load the native addon ends in one line and a non-zero exit code, never a stack trace.
 */
import { reportFailure } from "./cli_errors.js";

try {
  const { runCli } = await import("./program.js");
  await runCli(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error, process.argv[2]);
}
