/**
 * Ctrl-C: the first SIGINT aborts the run's AbortSignal, and the run saves what it can and
 * ends with one line (exit 130); a second SIGINT quits at once. The handler runs between turns
 * of the event loop, so work that never yields (a search method without an await in its loop)
 * sees the abort only when it next yields or polls the signal after one.
 */
import { exitCodes } from "./cli_errors.js";

export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function interruptOnSigint(): Interrupt {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.stderr.write("mixdim: interrupted again; quitting without a checkpoint\n");
      process.exit(exitCodes.interrupted);
    }
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onSigint) };
}
