/**
 * Turns of the event loop for a long synchronous loop. A search method's loop is JavaScript
 * calling native kernels and never awaits anything, so while it runs no timer, no I/O callback
 * and no signal handler can: a SIGINT would abort the run's AbortSignal only after the search
 * had ended. A loop that awaits a yield point between its steps lets them in.
 *
 * A turn (setImmediate) costs tens of microseconds plus whatever the event loop has queued,
 * so a yield point takes one only when `intervalMs` of work has passed since the last:
 * throughput does not change measurably, and an abort is seen within one interval and one
 * step. Between turns a call costs a clock read and a resolved promise.
 *
 * @example
 * const point = new YieldPoint({ signal });
 * for (const batch of batches) {
 *   await point.check();     // a turn now and then; throws signal.reason once aborted
 *   train(batch);
 * }
 */
import { numberInRange } from "../arguments.js";

export interface YieldPointOptions {
  /** check() throws its reason once it has aborted. */
  signal?: AbortSignal;
  /** Work between two turns, in milliseconds. Default 50. */
  intervalMs?: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class YieldPoint {
  readonly signal: AbortSignal | undefined;
  readonly intervalMs: number;
  #lastTurn = performance.now();

  constructor(options: YieldPointOptions = {}) {
    this.signal = options.signal;
    this.intervalMs = numberInRange(options.intervalMs ?? 50, "intervalMs", 0, Infinity);
  }

  /** Gives the event loop a turn when intervalMs of work has passed since the last; resolves at once otherwise. */
  async turn(): Promise<void> {
    if (performance.now() - this.#lastTurn < this.intervalMs) return;
    await nextTurn();
    this.#lastTurn = performance.now();
  }

  /** turn(), then throws the signal's reason if it has aborted: the loop's stopping point. */
  async check(): Promise<void> {
    await this.turn();
    this.signal?.throwIfAborted();
  }
}
