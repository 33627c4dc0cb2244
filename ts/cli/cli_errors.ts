/**
 * How the CLI fails: one line on stderr and an exit code, never a stack trace (set
 * MIXDIM_DEBUG=1 to see one). Exit codes:
 *   0    success (and --help, --version)
 *   1    the run failed: a missing or malformed file, a budget no plan can meet, ...
 *   2    the command line is wrong: an unknown flag, a bad value, a missing argument
 *   130  interrupted by Ctrl-C (128 + SIGINT), after writing a checkpoint
 */
import { CommanderError } from "commander";

export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** A mistake on the command line: exits with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Ctrl-C stopped the run; `message` says what was saved and how to resume. */
export class RunInterrupted extends Error {
  override name = "RunInterrupted";
}

/** The error's message on one line: the first line only, trimmed of commander's "error: ". */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  // Commander puts its "(Did you mean --budget?)" on a second line: keep it on this one.
  const suggestion = lines.find((line, i) => i > 0 && line.startsWith("(Did you mean"));
  const first = (lines[0] ?? (error instanceof Error ? error.name : "unknown error")).replace(/^error: /, "");
  return suggestion === undefined ? first : `${first} ${suggestion}`;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** The exit code an error ends the process with. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof RunInterrupted) return exitCodes.interrupted;
  if (error instanceof UsageError) return exitCodes.usage;
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  if (isAbort(error)) return exitCodes.interrupted;
  return exitCodes.failure;
}

/** Writes the one line (RunInterrupted's is not an error, so it has no "error:") and returns the exit code. */
export function reportFailure(error: unknown, command?: string, stderr: NodeJS.WritableStream = process.stderr): number {
  const code = exitCodeOf(error);
  if (error instanceof CommanderError && code === exitCodes.ok) return code;  // help or version, already printed
  const known = command !== undefined && /^[a-z]+$/.test(command) && error instanceof CommanderError &&
                error.code !== "commander.unknownCommand";
  const hint = error instanceof CommanderError ? ` (see mixdim${known ? ` ${command}` : ""} --help)` : "";
  if (isAbort(error)) {
    stderr.write("mixdim: interrupted\n");
    return code;
  }
  const prefix = error instanceof RunInterrupted ? "mixdim: " : "mixdim: error: ";
  stderr.write(`${prefix}${oneLine(error)}${hint}\n`);
  if (process.env.MIXDIM_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return code;
}
