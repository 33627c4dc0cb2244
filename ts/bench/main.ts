/**
 * `npm run bench:kernels` (also `npm run bench` and `mixdim bench`), on the CPU and, when one is
 * present, on a CUDA GPU:
 *   - the embedding store's kernels in effective GB/s, each beside the copy bandwidth measured in
 *     the same run (bench/results/kernels.json and kernels.md);
 *   - the core training kernels (training_kernels.ts): the projection chain precomposed against
 *     step by step at each size class, the Gumbel mix and propagation in GB/s beside the copy, and
 *     the CPU GEMM in GFLOP/s against OpenBLAS (bench/results/training_kernels.json and .md);
 *   - every kernel, forward and backward (kernel_table.ts), at 1 and 2 threads, in GB/s against the
 *     copy or GFLOP/s against OpenBLAS's sgemm, with its thread scaling and the chain's two paths
 *     side by side (bench/results/all_kernels.json and .md).
 * Prints the figures as they come, then the store table and every target.
 *
 * --quick: smaller inputs and a few runs per kernel (bench_profile.ts), well under a minute, for
 * development. Its results go to a temporary directory unless --out names one, so that a quick run
 * never replaces the committed figures by accident. --out DIR: where the results go.
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { backend } from "../index.js";
import { fullProfile, quickProfile } from "./bench_profile.js";
import { consoleTable, targetsConsoleTable } from "./console_table.js";
import { benchDevice } from "./device_bench.js";
import type { BenchResults, DeviceFigures } from "./figures.js";
import { untimed } from "./kernel_catalogue.js";
import { benchKernelTable } from "./kernel_table.js";
import type { KernelTableDevice, KernelTableResults } from "./kernel_table_figures.js";
import { describeMachine } from "./machine.js";
import { resultsDirectory, writeKernelTableResults, writeResults, writeTrainingResults } from "./results_files.js";
import { buildWorkload, describeWorkload } from "./store_workload.js";
import { storeTargetOutcomes } from "./targets.js";
import type { TrainingBenchResults, TrainingDeviceFigures } from "./training_figures.js";
import { benchTrainingKernels } from "./training_kernels.js";

function commandLine(): { quick: boolean; out?: string } {
  try {
    const { values } = parseArgs({ options: { quick: { type: "boolean" }, out: { type: "string" } } });
    return { quick: values.quick === true, ...(values.out === undefined ? {} : { out: values.out }) };
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: npm run bench:kernels [-- --quick] [-- --out DIR]`);
    process.exit(2);
  }
}

const options = commandLine();
const profile = options.quick ? quickProfile : fullProfile;
const directory = options.out ?? (options.quick ? path.join(os.tmpdir(), "mixdim-bench-quick") : resultsDirectory);

const log = (line: string) => console.log(line);
const timingNote = { statistic: "median of the timed runs", clock: "process.hrtime.bigint()", gigabyte: "10^9 bytes" };

const startedAt = new Date().toISOString();
const machine = describeMachine();
const info = backend();
const hasCuda = info.cudaDevices.length > 0;
const cudaUnavailable = info.cudaUnavailableReason ?? "no CUDA device was found";
const cudaSkip = `cuda: skipped, ${cudaUnavailable}`;
if (options.quick) log(`quick run: small inputs and repeats, figures for development only; results go to ${directory}`);

// The store kernels.
const workload = buildWorkload(profile.store);
const input = describeWorkload(workload);
log(`input: ${workload.options.rows} rows, batch ${workload.options.batch}, Zipf s = ${workload.options.zipfExponent}, ` +
    `mean row size ${String(input.meanRowSize)}, mean size per lookup ${String(input.meanSizePerLookup)}`);

log(`store kernels, cpu (${info.threads} threads):`);
const cpu = benchDevice("cpu", workload, profile, log);
let cuda: DeviceFigures | undefined;
if (hasCuda) {
  log(`store kernels, cuda (${info.cudaDevices[0]!.name}):`);
  cuda = benchDevice("cuda", workload, profile, log);
} else {
  log(cudaSkip);
}
const results: BenchResults = {
  date: startedAt,
  machine,
  input,
  timing: { ...profile.storeTiming, ...timingNote },
  cpu,
  ...(cuda === undefined ? {} : { cuda }),
};
const written = writeResults(results, directory);

// The core training kernels.
log("");
log(`training kernels, cpu (${info.threads} threads):`);
const trainingCpu = benchTrainingKernels("cpu", profile, log);
let trainingCuda: TrainingDeviceFigures | undefined;
if (hasCuda) {
  log(`training kernels, cuda (${info.cudaDevices[0]!.name}):`);
  trainingCuda = benchTrainingKernels("cuda", profile, log);
} else {
  log(cudaSkip);
}
const training: TrainingBenchResults = {
  date: startedAt,
  machine,
  timing: { ...profile.training.timing, ...timingNote },
  cpu: trainingCpu,
  ...(trainingCuda === undefined ? {} : { cuda: trainingCuda }),
};
written.push(...writeTrainingResults(training, directory));

const targets = [...storeTargetOutcomes(cpu), ...(cuda === undefined ? [] : storeTargetOutcomes(cuda)),
                 ...trainingCpu.targets, ...(trainingCuda?.targets ?? [])];

// Every kernel at 1 and 2 threads.
log("");
log("every kernel, cpu, at 1 and 2 threads:");
const tableCpu = benchKernelTable("cpu", profile.table, log);
let tableCuda: KernelTableDevice | undefined;
if (hasCuda) {
  log(`every kernel, cuda (${info.cudaDevices[0]!.name}):`);
  tableCuda = benchKernelTable("cuda", profile.table, log);
} else {
  log(cudaSkip);
}
const table: KernelTableResults = {
  date: startedAt,
  profile: profile.name,
  machine,
  timing: { ...profile.table.timing, ...timingNote },
  cpu: tableCpu,
  ...(tableCuda === undefined ? { cudaSkipped: cudaUnavailable } : { cuda: tableCuda }),
  untimed,
  targets,
};
written.push(...writeKernelTableResults(table, directory));

log("");
log(consoleTable(cuda === undefined ? [cpu] : [cpu, cuda]));
log(targetsConsoleTable(targets));
log("");
log(`wrote ${written.join(", ")}`);
