/**
 * Every method through the CLI, on the synthetic default and on both MovieLens files
 * (skipped without ../shared/data), with small bounded settings: each run ends with a plan
 * within its budget. Full-size runs belong to the benchmarks.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(repo, "dist/cli/main.js");
const shared = path.resolve(repo, "../shared/data");

const datasets: [string, string | undefined][] = [
  ["synthetic default", undefined],
  ["ml-100k", path.join(shared, "ml-100k/u.data")],
  ["ml-latest-small", path.join(shared, "ml-latest-small/ratings.csv")],
];

const methods: Record<string, string[]> = {
  fixed: [],
  mde: [],
  darts: ["--set", "hidden=32"],
  autoemb: ["--set", "hidden=32", "--set", "controllerHidden=16", "--set", "frequencyDim=4"],
  autodim: ["--task", "ctr"],
  esapn: ["--set", "batchSize=250", "--set", "hidden=32", "--set", "policyHidden=32"],
  scall: ["--task", "implicit", "--set", "newEntityThreshold=150", "--set", "envSteps=2", "--set", "minEnvSteps=1",
          "--set", "envTrainSteps=3", "--set", "trainSteps=6", "--set", "evalEvery=3", "--set", "batchSize=128",
          "--set", "stateGroups=8", "--set", "hidden=16", "--set", "maxSegments=3"],
};

for (const [name, file] of datasets) {
  describe.skipIf(file !== undefined && !existsSync(file))(`mixdim search on ${name}`, () => {
    for (const [method, extra] of Object.entries(methods)) {
      it(`${method} ends with a plan within its budget`, async () => {
        const args = [cli, "search", "--method", method, "--budget", "0.5", "--limit", "3000", "--seed", "1",
                      "--json", "--quiet", ...(file === undefined ? [] : ["--data", file]), ...extra];
        const { stdout } = await run(process.execPath, args, { cwd: repo, maxBuffer: 64 * 2 ** 20 });
        const result = JSON.parse(stdout) as { method: string; bytes: number; budgetBytes: number; ratio: number };
        expect(result.method).toBe(method);
        expect(result.bytes).toBeGreaterThan(0);
        expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes);
      }, 120_000);
    }
  });
}
