/**
 * `npm run bench`: the embedding store's kernels in effective GB/s, each beside the copy
 * bandwidth measured in the same run, on the CPU and, when one is present, on a CUDA GPU.
 * Prints a table and writes bench/results/kernels.json and kernels.md.
 */
import { backend } from "../index.js";
import { consoleTable } from "./console_table.js";
import { benchDevice } from "./device_bench.js";
import type { BenchResults, DeviceFigures } from "./figures.js";
import { describeMachine } from "./machine.js";
import { writeResults } from "./results_files.js";
import { buildWorkload, describeWorkload } from "./store_workload.js";
import { defaultTiming } from "./timing.js";

const log = (line: string) => console.log(line);

const startedAt = new Date().toISOString();
const workload = buildWorkload();
const input = describeWorkload(workload);
log(`input: ${workload.options.rows} rows, batch ${workload.options.batch}, Zipf s = ${workload.options.zipfExponent}, ` +
    `mean row size ${String(input.meanRowSize)}, mean size per lookup ${String(input.meanSizePerLookup)}`);

log(`cpu (${backend().threads} threads):`);
const cpu = benchDevice("cpu", workload, log);

const info = backend();
let cuda: DeviceFigures | undefined;
if (info.cudaDevices.length > 0) {
  log(`cuda (${info.cudaDevices[0]!.name}):`);
  cuda = benchDevice("cuda", workload, log);
} else {
  log(`cuda: skipped, ${info.cudaUnavailableReason ?? "no CUDA device was found"}`);
}

const results: BenchResults = {
  date: startedAt,
  machine: describeMachine(),
  input,
  timing: { ...defaultTiming, statistic: "median of the timed runs", clock: "process.hrtime.bigint()",
            gigabyte: "10^9 bytes" },
  cpu,
  ...(cuda === undefined ? {} : { cuda }),
};
const written = writeResults(results);

log("");
log(consoleTable(cuda === undefined ? [cpu] : [cpu, cuda]));
log(`wrote ${written.join(", ")}`);
