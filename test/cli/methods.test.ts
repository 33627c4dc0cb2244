/**
 * Every method through the CLI, on the synthetic default and on both MovieLens files
 * (skipped without ../shared/data), with small bounded settings: each run ends with a plan
 * within its budget, and on the synthetic default with the metrics search() gives for the same
 * inputs (FIXED with --set order=shuffle included). Full-size runs belong to the benchmarks.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

import { dataSpec, loadData } from "../../ts/cli/data_source.js";
import { jsonMetrics } from "../../ts/cli/run_outputs.js";
import { search } from "../../ts/search/search.js";
import type { SearchMethod, SearchTask } from "../../ts/search/search_types.js";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(repo, "dist/cli/main.js");
const shared = path.resolve(repo, "../shared/data");

const datasets: [string, string | undefined][] = [
  ["synthetic default", undefined],
  ["ml-100k", path.join(shared, "ml-100k/u.data")],
  ["ml-latest-small", path.join(shared, "ml-latest-small/ratings.csv")],
];

/** Each case's settings, given to the CLI as `--set name=value` and to search() as they are. */
const cases: { label: string; method: SearchMethod; task?: SearchTask; settings: Record<string, number | string> }[] = [
  { label: "fixed", method: "fixed", settings: {} },
  { label: "fixed --set order=shuffle", method: "fixed", settings: { order: "shuffle" } },
  { label: "mde", method: "mde", settings: {} },
  { label: "darts", method: "darts", settings: { hidden: 32 } },
  { label: "autoemb", method: "autoemb", settings: { hidden: 32, controllerHidden: 16, frequencyDim: 4 } },
  { label: "autodim", method: "autodim", task: "ctr", settings: {} },
  { label: "esapn", method: "esapn", settings: { batchSize: 250, hidden: 32, policyHidden: 32 } },
  { label: "scall", method: "scall", task: "implicit",
    settings: { newEntityThreshold: 150, envSteps: 2, minEnvSteps: 1, envTrainSteps: 3, trainSteps: 6, evalEvery: 3, batchSize: 128,
                stateGroups: 8, hidden: 16, maxSegments: 3 } },
];

/** Timing varies from run to run; every other figure is deterministic on the CPU. */
function withoutTiming(metrics: Record<string, number | null>): Record<string, number | null> {
  const { samplesPerSecond: _, ...rest } = metrics;
  return rest;
}

for (const [name, file] of datasets) {
  describe.skipIf(file !== undefined && !existsSync(file))(`mixdim search on ${name}`, () => {
    for (const { label, method, task, settings } of cases) {
      it(`${label} ends with a plan within its budget${file === undefined ? ", with the metrics search() gives" : ""}`, async () => {
        const args = [cli, "search", "--method", method, "--budget", "0.5", "--limit", "3000", "--seed", "1",
                      "--json", "--quiet", ...(file === undefined ? [] : ["--data", file]), ...(task === undefined ? [] : ["--task", task]),
                      ...Object.entries(settings).flatMap(([key, value]) => ["--set", `${key}=${value}`])];
        const { stdout } = await run(process.execPath, args, { cwd: repo, maxBuffer: 64 * 2 ** 20 });
        const result = JSON.parse(stdout) as { method: string; bytes: number; budgetBytes: number; ratio: number;
                                               metrics: Record<string, number | null> };
        expect(result.method).toBe(method);
        expect(result.bytes).toBeGreaterThan(0);
        expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes);
        if (file !== undefined) return;
        // The API with the same inputs: the CLI runs search() for every method, so the figures are the same.
        const { data } = await loadData(dataSpec(undefined, 3000));
        const api = await search({ method, data, budget: { ratio: 0.5 }, seed: 1, settings, ...(task === undefined ? {} : { task }) });
        expect(result.bytes).toBe(api.bytes);
        expect(Object.keys(result.metrics).length).toBeGreaterThan(0);
        expect(withoutTiming(result.metrics)).toEqual(withoutTiming(jsonMetrics(api.metrics)));
      }, 120_000);
    }
  });
}
