/**
 * Writes the benchmark's results to bench/results/: kernels.json and kernels.md (the store
 * kernels), training_kernels.json and training_kernels.md (the core training kernels).
 *
 * GPU figures are scarce (most runs happen on machines without one), so a run with no GPU
 * keeps the cuda section of the previous JSON file, with that run's own date, instead of
 * dropping it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { BenchResults } from "./figures.js";
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

function writePair<T extends WithCuda>(name: string, results: T, markdown: (results: T) => string,
                                       complete: (cuda: object) => boolean): string[] {
  const jsonPath = `${resultsDirectory}${name}.json`;
  const markdownPath = `${resultsDirectory}${name}.md`;
  let merged = results;
  if (results.cuda === undefined) {
    const cuda = previousCudaSection<T>(jsonPath, complete);
    if (cuda !== undefined) merged = { ...results, cuda, cudaFromEarlierRun: true };
  }
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
  writeFileSync(markdownPath, markdown(merged));
  return [jsonPath, markdownPath];
}

/** Writes kernels.json and kernels.md and returns their paths. */
export function writeResults(results: BenchResults): string[] {
  return writePair("kernels", results, resultsMarkdown,
                   (cuda) => Array.isArray((cuda as { kernels?: unknown }).kernels));
}

/** Writes training_kernels.json and training_kernels.md and returns their paths. */
export function writeTrainingResults(results: TrainingBenchResults): string[] {
  return writePair("training_kernels", results, trainingResultsMarkdown,
                   (cuda) => Array.isArray((cuda as { targets?: unknown }).targets));
}
