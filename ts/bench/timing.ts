/**
 * Wall-clock timing of a synchronous call: warm up, repeat, take the median.
 *
 * The median rather than the mean because a 2-core machine shares its cores with the OS and
 * the garbage collector, and one preempted run would drag a mean; the runs repeat for at
 * least `minRuns` and `minSeconds` so that short kernels get many samples. Every mixdim
 * kernel returns only when its work is done (CUDA ones synchronise before returning), so
 * the host clock around the call measures the kernel.
 */

export interface TimingOptions {
  /** Untimed runs first: page faults, thread-pool start-up, caches and lazy allocations. */
  warmupRuns: number;
  minRuns: number;
  minSeconds: number;
  /** Stops a fast kernel from repeating for ever once minSeconds is reached. */
  maxRuns: number;
}

export const defaultTiming: TimingOptions = { warmupRuns: 3, minRuns: 10, minSeconds: 1, maxRuns: 2000 };

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

/**
 * Times `run(i)` (i counts runs, warm-up included, so callers can cycle through inputs).
 * `release` receives each run's result outside the timed region, e.g. to free device memory.
 */
export function timeMedian<T>(run: (i: number) => T, release: (result: T) => void = () => {},
                              options: TimingOptions = defaultTiming): Timing {
  let i = 0;
  for (; i < options.warmupRuns; ++i) release(run(i));
  const samplesMs: number[] = [];
  const start = process.hrtime.bigint();
  let elapsedSeconds = 0;
  while (samplesMs.length < options.maxRuns &&
         (samplesMs.length < options.minRuns || elapsedSeconds < options.minSeconds)) {
    const before = process.hrtime.bigint();
    const result = run(i++);
    const after = process.hrtime.bigint();
    release(result);
    samplesMs.push(Number(after - before) / 1e6);
    elapsedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { medianMs: median(samplesMs), minMs: Math.min(...samplesMs), maxMs: Math.max(...samplesMs),
           runs: samplesMs.length };
}

/**
 * Times calls against each other, e.g. two paths of one op: `rounds` rounds of one block per call
 * (each at least minRuns/rounds runs and minSeconds/rounds long), so that load from other processes
 * on a shared machine falls on all of them alike. Each Timing is the median of all that call's samples.
 */
export function timeInterleaved(runs: readonly (() => unknown)[], options: TimingOptions = defaultTiming,
                                rounds = 4): Timing[] {
  const samples = runs.map((): number[] => []);
  for (const run of runs) for (let i = 0; i < options.warmupRuns; ++i) run();
  for (let round = 0; round < rounds; ++round) {
    runs.forEach((run, r) => {
      const block = samples[r]!;
      const blockRuns = Math.ceil(options.minRuns / rounds);
      const start = process.hrtime.bigint();
      let count = 0;
      while (count < Math.ceil(options.maxRuns / rounds) &&
             (count < blockRuns || Number(process.hrtime.bigint() - start) / 1e9 < options.minSeconds / rounds)) {
        const before = process.hrtime.bigint();
        run();
        block.push(Number(process.hrtime.bigint() - before) / 1e6);
        ++count;
      }
    });
  }
  return samples.map((block) => ({ medianMs: median(block), minMs: Math.min(...block), maxMs: Math.max(...block),
                                   runs: block.length }));
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Bytes per second in GB/s (10^9 bytes, as memory bandwidth is quoted). */
export function gigabytesPerSecond(bytes: number, milliseconds: number): number {
  return bytes / (milliseconds * 1e6);
}
