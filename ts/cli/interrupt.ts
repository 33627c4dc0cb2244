/**
 * Ctrl-C: the first SIGINT aborts the run's AbortSignal, and the run saves a checkpoint and
 * ends with one line (exit 130); a second SIGINT quits at once. The handler runs between turns
 * of the event loop: the search methods' loops give it one every ~50 ms of work (their
 * checkpoint points, ts/search/yield_point.ts) and FIXED's retraining one per batch, so the
 * abort is seen within a step. The final retraining of a searched plan (evaluatePlan) does not
 * yield: Ctrl-C during it is seen when it ends, and the checkpoint then holds the finished result.
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
