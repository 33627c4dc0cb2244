/**
 * The CPU thread counts kernels are timed at for thread scaling, and running a measurement at one
 * of them. 1 and 2: what a two-core machine can show, and the first doubling on any machine.
 */
import { backend, setThreads } from "../backend.js";

export const scalingThreads: readonly number[] = [1, 2];

/** Runs `measure` on `threads` CPU threads, restoring the thread count it found afterwards, whatever happens. */
export function withThreads<T>(threads: number, measure: () => T): T {
  const initial = backend().threads;
  if (threads === initial) return measure();
  setThreads(threads);
  try {
    return measure();
  } finally {
    setThreads(initial);
  }
}
