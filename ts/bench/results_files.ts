/**
 * Writes the benchmark's results to bench/results/ (or another directory): kernels.json and
 * kernels.md (the store kernels), training_kernels.json and training_kernels.md (the core training
 * kernels), all_kernels.json and all_kernels.md (every kernel at 1 and 2 threads).
 *
 * GPU figures are scarce (most runs happen on machines without one), so a run with no GPU
 * keeps the cuda section of the previous JSON file, with that run's own date, instead of
 * dropping it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { BenchResults } from "./figures.js";
import type { KernelTableResults } from "./kernel_table_figures.js";
import { kernelTableMarkdown } from "./kernel_table_markdown.js";
import { resultsMarkdown } from "./results_markdown.js";
import type { TrainingBenchResults } from "./training_figures.js";
import { trainingResultsMarkdown } from "./training_markdown.js";

// dist/bench/ → the repository root.
export const resultsDirectory = fileURLToPath(new URL("../../bench/results/", import.meta.url));

interface WithCuda {
  cuda?: { date: string };
  cudaFromEarlierRun?: boolean;
}

// The previous file's cuda section, if it has one that looks whole (`complete` checks its figures).
function previousCudaSection<T extends WithCuda>(jsonPath: string, complete: (cuda: object) => boolean):
    T["cuda"] | undefined {
  if (!existsSync(jsonPath)) return undefined;
  try {
    const cuda = (JSON.parse(readFileSync(jsonPath, "utf8")) as Partial<T>).cuda;
    return cuda !== undefined && typeof cuda.date === "string" && complete(cuda) ? cuda : undefined;
  } catch {
    // An unreadable file has nothing worth keeping; this run's results replace it.
    return undefined;
  }
}

function writePair<T extends WithCuda>(directory: string, name: string, results: T, markdown: (results: T) => string,
                                       complete: (cuda: object) => boolean): string[] {
  const jsonPath = path.join(directory, `${name}.json`);
  const markdownPath = path.join(directory, `${name}.md`);
  let merged = results;
  if (results.cuda === undefined) {
    const cuda = previousCudaSection<T>(jsonPath, complete);
    if (cuda !== undefined) merged = { ...results, cuda, cudaFromEarlierRun: true };
  }
  mkdirSync(directory, { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
  writeFileSync(markdownPath, markdown(merged));
  return [jsonPath, markdownPath];
}

/** Writes kernels.json and kernels.md and returns their paths. */
export function writeResults(results: BenchResults, directory = resultsDirectory): string[] {
  return writePair(directory, "kernels", results, resultsMarkdown,
                   (cuda) => Array.isArray((cuda as { kernels?: unknown }).kernels));
}

/** Writes training_kernels.json and training_kernels.md and returns their paths. */
export function writeTrainingResults(results: TrainingBenchResults, directory = resultsDirectory): string[] {
  return writePair(directory, "training_kernels", results, trainingResultsMarkdown,
                   (cuda) => Array.isArray((cuda as { targets?: unknown }).targets));
}

/** Writes all_kernels.json and all_kernels.md and returns their paths. */
export function writeKernelTableResults(results: KernelTableResults, directory = resultsDirectory): string[] {
  return writePair(directory, "all_kernels", results, kernelTableMarkdown,
                   (cuda) => Array.isArray((cuda as { rows?: unknown }).rows));
}
