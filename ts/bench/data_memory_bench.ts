/**
 * The data layer's memory benchmark: 20M synthetic ratings (ml-20m's shape) are written to a
 * temporary ratings.csv a chunk at a time, then streamed through loadRatings; the peak resident
 * memory of each step and its throughput go to bench/results/data_memory.json. The goal is a
 * load under 2 GB at its peak; the columns alone take 20 bytes a row (400 MB).
 *
 * Each step runs in a process of its own, so that each peak (process.resourceUsage().maxRSS,
 * a high-water mark) is that step's alone. It imports only the data layer, not the addon.
 *
 *   npm run build:ts && node dist/bench/data_memory_bench.js [--ratings N] [--users N] [--items N] [--seed N]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { loadRatings } from "../data/load_ratings.js";
import { generateSynthetic } from "../data/synthetic.js";
import { writeSyntheticRatings } from "../data/synthetic_csv.js";

// dist/bench/ → the repository root.
const resultsPath = fileURLToPath(new URL("../../bench/results/data_memory.json", import.meta.url));
const goalPeakMiB = 2048;
const mebibyte = 1 << 20;

interface Shape {
  ratings: number;
  users: number;
  items: number;
  seed: number;
}

type Step = "idle" | "write" | "load" | "generate";

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** One step, in this (child) process; its figures as one JSON line on stdout. */
async function runStep(step: Step, shape: Shape, path: string): Promise<Record<string, unknown>> {
  const cpu = process.cpuUsage();
  const figures = await stepFigures(step, shape, path);
  const used = process.cpuUsage(cpu);
  // CPU seconds as well as wall seconds: on a shared machine the wall clock includes waiting.
  return { ...figures, cpuSeconds: round((used.user + used.system) / 1e6, 2) };
}

async function stepFigures(step: Step, shape: Shape, path: string): Promise<Record<string, unknown>> {
  const synthetic = { numUsers: shape.users, numItems: shape.items, numRatings: shape.ratings, seed: shape.seed };
  const start = performance.now();
  switch (step) {
    case "idle":
      return { peakRssMiB: round(peakRssMiB()) };
    case "write": {
      const written = await writeSyntheticRatings(path, synthetic);
      const seconds = (performance.now() - start) / 1000;
      return {
        seconds: round(seconds, 2), rows: written.rows, bytes: written.bytes,
        numUsers: written.numUsers, numItems: written.numItems,
        rowsPerSecond: Math.round(written.rows / seconds), peakRssMiB: round(peakRssMiB()),
      };
    }
    case "load": {
      const { dataset, skippedLines } = await loadRatings(path);
      const seconds = (performance.now() - start) / 1000;
      const rows = dataset.ratings.length;
      const bytes = statSync(path).size;
      return {
        seconds: round(seconds, 2), rows, skippedLines, numUsers: dataset.numUsers, numItems: dataset.numItems,
        rowsPerSecond: Math.round(rows / seconds), megabytesPerSecond: round(bytes / 1e6 / seconds),
        columnsMiB: round((rows * 20) / mebibyte), peakRssMiB: round(peakRssMiB()),
      };
    }
    case "generate": {
      const dataset = generateSynthetic(synthetic);
      const seconds = (performance.now() - start) / 1000;
      return {
        seconds: round(seconds, 2), rows: dataset.ratings.length, numUsers: dataset.numUsers, numItems: dataset.numItems,
        rowsPerSecond: Math.round(dataset.ratings.length / seconds), peakRssMiB: round(peakRssMiB()),
      };
    }
  }
}

function parseShape(args: string[]): Shape {
  const shape: Shape = { ratings: 20_000_000, users: 138_493, items: 26_744, seed: 0 };
  for (let k = 0; k < args.length; k += 2) {
    const key = args[k]?.replace(/^--/, "");
    const value = Number(args[k + 1]);
    if (key === "step" || key === "path") continue;
    if (!(key === "ratings" || key === "users" || key === "items" || key === "seed") || !Number.isInteger(value)) {
      throw new RangeError(`unknown option ${args[k]} ${args[k + 1]}; expected --ratings, --users, --items or --seed with an integer`);
    }
    shape[key] = value;
  }
  return shape;
}

function optionValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const shape = parseShape(args);
  const step = optionValue(args, "step") as Step | undefined;
  if (step !== undefined) {
    process.stdout.write(`${JSON.stringify(await runStep(step, shape, optionValue(args, "path")!))}\n`);
    return;
  }

  const directory = mkdtempSync(join(os.tmpdir(), "mixdim-data-bench-"));
  const path = join(directory, "ratings.csv");
  const shapeArgs = ["--ratings", `${shape.ratings}`, "--users", `${shape.users}`, "--items", `${shape.items}`, "--seed", `${shape.seed}`];
  const figures: Record<string, Record<string, unknown>> = {};
  try {
    for (const name of ["idle", "write", "load", "generate"] as const) {
      console.log(`${name}: ${shape.ratings.toLocaleString("en")} ratings…`);
      const output = execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...shapeArgs, "--step", name, "--path", path], {
        encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20,
      });
      figures[name] = JSON.parse(output.trim().split("\n").pop()!) as Record<string, unknown>;
      console.log(`  ${JSON.stringify(figures[name])}`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }

  const load = figures.load!;
  const write = figures.write!;
  const consistent = load.rows === shape.ratings && load.numUsers === write.numUsers && load.numItems === write.numItems;
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? "unknown", cpuCores: os.cpus().length,
      totalMemoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    shape,
    goal: { loadPeakRssMiB: goalPeakMiB, met: (load.peakRssMiB as number) < goalPeakMiB },
    loadMatchesWrite: consistent,
    notes: "Each step in its own process; peakRssMiB is process.resourceUsage().maxRSS. idle is a bare node process. "
      + "seconds is wall time and cpuSeconds the step's CPU time (user + system); rates are per wall second. "
      + "write streams the CSV a 65,536-row chunk at a time; load streams it through loadRatings in 1 MiB chunks; "
      + "generate draws the same data set in memory with generateSynthetic.",
    steps: figures,
  };
  mkdirSync(fileURLToPath(new URL("../../bench/results/", import.meta.url)), { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`load peak ${String(load.peakRssMiB)} MiB (goal < ${goalPeakMiB} MiB): ${results.goal.met ? "met" : "NOT met"}`);
  console.log(`wrote ${resultsPath}`);
  if (!consistent) {
    console.error("the loaded data set does not match what was written");
    process.exitCode = 1;
  }
}

await main();
