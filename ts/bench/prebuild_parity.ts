/**
 * `npm run bench:parity`: the CPU speed of the binary the package ships (prebuilds/linux-x64/
 * mixdim.node, the CUDA build, made by `npm run prebuild`) beside the node-gyp build a user gets
 * from source (build/Release, made by `npm ci`), on the same machine, one after the other.
 *
 * Runs `npm run bench:kernels` (dist/bench/main.js) on each binary in turn, each run in its own
 * process, for --rounds rounds (default 2): node-gyp's with the loader's default order, the
 * prebuild's with PREBUILDS_ONLY=1. Alternating, and keeping each kernel's fastest median over the
 * rounds, keeps a burst of load from other processes from landing on one binary only. Each run's
 * full results go to bench/results/prebuild_parity/<binary>/round-<r>/; prebuild_parity.md puts
 * every kernel's time under each binary side by side, with their ratio. --quick passes on to every
 * run, and then everything goes to a temporary directory, so that a quick run never replaces the
 * figures.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import type { KernelTableResults } from "./kernel_table_figures.js";
import { describeRun } from "./machine.js";
import { markdownTable } from "./markdown_table.js";
import { resultsDirectory } from "./results_files.js";

interface Binary {
  name: string;
  description: string;
  env: Record<string, string>;
  cudaCompiled: boolean;
}

const binaries: Binary[] = [
  { name: "node-gyp", description: "build/Release from `npm ci` (node-gyp, CPU only)", env: {}, cudaCompiled: false },
  {
    name: "prebuild",
    description: "prebuilds/linux-x64/mixdim.node from `npm run prebuild` (cmake-js, CUDA compiled in, stripped)",
    env: { PREBUILDS_ONLY: "1" },
    cudaCompiled: true,
  },
];

const { values: flags } = parseArgs({ options: { quick: { type: "boolean" }, rounds: { type: "string", default: "2" } } });
const quick = flags.quick === true;
const rounds = Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds must be a positive integer, got ${flags.rounds}`);
const summaryDirectory = quick ? path.join(os.tmpdir(), "mixdim-parity-quick") : resultsDirectory;
const directory = path.join(summaryDirectory, "prebuild_parity");
const benchMain = fileURLToPath(new URL("./main.js", import.meta.url));

function benchKernels(binary: Binary, round: number): KernelTableResults {
  const out = path.join(directory, binary.name, `round-${round}`);
  console.log(`::: round ${round} of ${rounds}: bench:kernels on ${binary.name}: ${binary.description}`);
  execFileSync(process.execPath, [benchMain, "--out", out, ...(quick ? ["--quick"] : [])], {
    env: { ...process.env, ...binary.env },
    stdio: "inherit",
  });
  const run = JSON.parse(readFileSync(path.join(out, "all_kernels.json"), "utf8")) as KernelTableResults;
  // The figures are only worth comparing if each run loaded the binary it is named for.
  const loaded = (run.machine.backend as { cudaCompiled: boolean }).cudaCompiled;
  if (loaded !== binary.cudaCompiled) {
    throw new Error(`the ${binary.name} run loaded a binary with cudaCompiled = ${loaded}; is build/Release the node-gyp build, and has \`npm run prebuild\` run?`);
  }
  return run;
}

/** Each kernel's fastest median over the rounds, keyed by kernel, shape, pass and threads. */
function fastestMedians(runs: KernelTableResults[]): Map<string, number> {
  const fastest = new Map<string, number>();
  for (const run of runs) {
    for (const row of run.cpu.rows) {
      for (const measurement of row.measurements) {
        const key = JSON.stringify([row.label, row.shape, row.pass, measurement.threads]);
        fastest.set(key, Math.min(fastest.get(key) ?? Infinity, measurement.medianMs));
      }
    }
  }
  return fastest;
}

const runs: KernelTableResults[][] = binaries.map(() => []);
for (let round = 1; round <= rounds; ++round) {
  binaries.forEach((binary, i) => runs[i]!.push(benchKernels(binary, round)));
}

const [fromSource, prebuild] = runs.map(fastestMedians) as [Map<string, number>, Map<string, number>];
const rows: string[][] = [];
const ratios: number[] = [];
for (const [key, fromSourceMs] of fromSource) {
  const prebuildMs = prebuild.get(key);
  if (prebuildMs === undefined) continue;
  const [label, shape, pass, threads] = JSON.parse(key) as [string, string, string, number];
  const ratio = prebuildMs / fromSourceMs;
  ratios.push(ratio);
  rows.push([label, shape, pass, String(threads), fromSourceMs.toFixed(4), prebuildMs.toFixed(4), ratio.toFixed(3)]);
}
const geometricMean = Math.exp(ratios.reduce((sum, ratio) => sum + Math.log(ratio), 0) / ratios.length);
const sorted = [...ratios].sort((a, b) => a - b);

const lines = [
  "# CPU speed: the shipped prebuild beside the node-gyp build",
  "",
  `Written by \`npm run bench:parity\` (ts/bench/prebuild_parity.ts): \`npm run bench:kernels\` on each binary in turn, ${rounds} rounds, on the same machine; each run's full results are in prebuild_parity/<binary>/round-<r>/. A time is the kernel's fastest median over the rounds, in milliseconds; the ratio is the prebuild's time over node-gyp's (below 1: the prebuild is faster). Other processes shared the 2 cores (load averages below), so single rows scatter well beyond any difference between the binaries; the summary over all rows is the figure to read.`,
  "",
  ...binaries.flatMap((binary, i) => [
    `- **${binary.name}**: ${binary.description}. CPU GEMM: ${runs[i]![0]!.cpu.gemm ?? "-"}.`,
    ...runs[i]!.map((run, r) => `  - round ${r + 1}: ${describeRun(run.date, run.machine)}`),
  ]),
  "",
  `Over ${ratios.length} kernel and thread-count pairs, the prebuild's time over node-gyp's: geometric mean ${geometricMean.toFixed(3)}, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)}, range ${sorted[0]!.toFixed(3)} to ${sorted[sorted.length - 1]!.toFixed(3)}.`,
  "",
  ...markdownTable(["kernel", "shape", "pass", "threads", "node-gyp ms", "prebuild ms", "prebuild / node-gyp"], "lllrrrr", rows),
];
writeFileSync(path.join(summaryDirectory, "prebuild_parity.md"), lines.join("\n"));
console.log([...lines.slice(4, 8), `written to ${path.join(summaryDirectory, "prebuild_parity.md")}`].join("\n"));
