/**
 * Writes bench/results/kernels.json and kernels.md.
 *
 * GPU figures are scarce (most runs happen on machines without one), so a run with no GPU
 * keeps the cuda section of the previous kernels.json, with that run's own date, instead of
 * dropping it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { BenchResults, DeviceFigures } from "./figures.js";
import { resultsMarkdown } from "./results_markdown.js";

// dist/bench/ → the repository root.
export const resultsDirectory = fileURLToPath(new URL("../../bench/results/", import.meta.url));
const jsonPath = `${resultsDirectory}kernels.json`;
const markdownPath = `${resultsDirectory}kernels.md`;

function previousCudaSection(): DeviceFigures | undefined {
  if (!existsSync(jsonPath)) return undefined;
  try {
    const previous = JSON.parse(readFileSync(jsonPath, "utf8")) as Partial<BenchResults>;
    const cuda = previous.cuda;
    return cuda !== undefined && Array.isArray(cuda.kernels) && typeof cuda.date === "string" ? cuda : undefined;
  } catch {
    // An unreadable file has nothing worth keeping; this run's results replace it.
    return undefined;
  }
}

/** Writes both files and returns their paths. */
export function writeResults(results: BenchResults): string[] {
  let merged = results;
  if (results.cuda === undefined) {
    const cuda = previousCudaSection();
    if (cuda !== undefined) merged = { ...results, cuda, cudaFromEarlierRun: true };
  }
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
  writeFileSync(markdownPath, resultsMarkdown(merged));
  return [jsonPath, markdownPath];
}
