/**
 * `npm run bench`, on the CPU and, when one is present, on a CUDA GPU:
 *   - the embedding store's kernels in effective GB/s, each beside the copy bandwidth measured in
 *     the same run (bench/results/kernels.json and kernels.md);
 *   - the core training kernels (training_kernels.ts): the projection chain precomposed against
 *     step by step at each size class, the Gumbel mix and propagation in GB/s beside the copy, and
 *     the CPU GEMM in GFLOP/s against OpenBLAS (bench/results/training_kernels.json and .md).
 * Prints the figures as they come, then the tables and every target.
 */
import { backend } from "../index.js";
import { consoleTable, targetsConsoleTable } from "./console_table.js";
import { benchDevice } from "./device_bench.js";
import type { BenchResults, DeviceFigures } from "./figures.js";
import { describeMachine } from "./machine.js";
import { writeResults, writeTrainingResults } from "./results_files.js";
import { buildWorkload, describeWorkload } from "./store_workload.js";
import { defaultTiming } from "./timing.js";
import type { TrainingBenchResults, TrainingDeviceFigures } from "./training_figures.js";
import { benchTrainingKernels, trainingTiming } from "./training_kernels.js";

const log = (line: string) => console.log(line);
const timingNote = { statistic: "median of the timed runs", clock: "process.hrtime.bigint()", gigabyte: "10^9 bytes" };

const startedAt = new Date().toISOString();
const info = backend();
const hasCuda = info.cudaDevices.length > 0;
const cudaSkip = `cuda: skipped, ${info.cudaUnavailableReason ?? "no CUDA device was found"}`;

// The store kernels.
const workload = buildWorkload();
const input = describeWorkload(workload);
log(`input: ${workload.options.rows} rows, batch ${workload.options.batch}, Zipf s = ${workload.options.zipfExponent}, ` +
    `mean row size ${String(input.meanRowSize)}, mean size per lookup ${String(input.meanSizePerLookup)}`);

log(`store kernels, cpu (${info.threads} threads):`);
const cpu = benchDevice("cpu", workload, log);
let cuda: DeviceFigures | undefined;
if (hasCuda) {
  log(`store kernels, cuda (${info.cudaDevices[0]!.name}):`);
  cuda = benchDevice("cuda", workload, log);
} else {
  log(cudaSkip);
}
const results: BenchResults = {
  date: startedAt,
  machine: describeMachine(),
  input,
  timing: { ...defaultTiming, ...timingNote },
  cpu,
  ...(cuda === undefined ? {} : { cuda }),
};
const written = writeResults(results);

// The core training kernels.
log("");
log(`training kernels, cpu (${info.threads} threads):`);
const trainingCpu = benchTrainingKernels("cpu", log);
let trainingCuda: TrainingDeviceFigures | undefined;
if (hasCuda) {
  log(`training kernels, cuda (${info.cudaDevices[0]!.name}):`);
  trainingCuda = benchTrainingKernels("cuda", log);
} else {
  log(cudaSkip);
}
const training: TrainingBenchResults = {
  date: startedAt,
  machine: results.machine,
  timing: { ...trainingTiming, ...timingNote },
  cpu: trainingCpu,
  ...(trainingCuda === undefined ? {} : { cuda: trainingCuda }),
};
written.push(...writeTrainingResults(training));

log("");
log(consoleTable(cuda === undefined ? [cpu] : [cpu, cuda]));
log(targetsConsoleTable([...trainingCpu.targets, ...(trainingCuda?.targets ?? [])]));
log("");
log(`wrote ${written.join(", ")}`);
