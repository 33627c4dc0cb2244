/**
 * `mixdim frontier` as a user runs it, with small settings: on the synthetic default and on
 * ml-100k (skipped without ../shared/data). JSON on stdout, a report with the frontier charts.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

import { parseBudgets } from "../../ts/cli/frontier_command.js";
import type { FrontierResult } from "../../ts/search/frontier.js";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cli = path.join(repo, "dist/cli/main.js");
const ml100k = path.resolve(repo, "../shared/data/ml-100k/u.data");

async function frontier(args: string[]): Promise<{ result: FrontierResult; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, [cli, "frontier", "--json", ...args], { cwd: repo, maxBuffer: 16 * 2 ** 20 });
  return { result: JSON.parse(stdout) as FrontierResult, stderr };
}

describe("mixdim frontier", () => {
  it("on the synthetic default: FIXED and MDE at two budgets, two seeds, every plan within its budget, and a report with the charts", async () => {
    const report = path.join(mkdtempSync(path.join(tmpdir(), "mixdim-frontier-")), "frontier.html");
    const { result, stderr } = await frontier(["--limit", "2000", "--methods", "mde", "--budgets", "1/16,1/4", "--seeds", "2",
                                               "--set", "order=shuffle", "--report", report]);
    expect(stderr).toMatch(/runs 8\/8/);
    expect(result.seeds).toEqual([1, 2]);
    expect(result.budgets.map((b) => b.ratio)).toEqual([1 / 16, 1 / 4]);
    for (const budget of result.budgets) {
      expect(budget.points.map((p) => p.label)).toEqual(["FIXED", "MDE"]);
      for (const point of budget.points) {
        expect(point.bytes).toBeLessThanOrEqual(budget.budgetBytes);
        expect(point.metrics.testAccuracy!.values).toHaveLength(2);
        expect(point.metrics.testAccuracy!.mean).toBeGreaterThan(0.4);
      }
    }
    const html = readFileSync(report, "utf8");
    expect(html).toContain(`data-chart="frontier-testaccuracy"`);
    expect(html).toContain(`data-chart="frontier-testloss"`);
  }, 120_000);

  it("reads --budgets as fractions, 1/64 or 0.25, and refuses anything outside (0, 1]", () => {
    expect(parseBudgets("1/64, 1/2,0.25,1")).toEqual([1 / 64, 0.5, 0.25, 1]);
    for (const bad of ["0", "3/2", "x", "1/0", ""]) expect(() => parseBudgets(bad), bad).toThrow(/budgets are fractions in \(0, 1\]/);
  });

  it("a setting FIXED does not read is an error naming it", async () => {
    await expect(run(process.execPath, [cli, "frontier", "--limit", "500", "--methods", "mde", "--set", "batchSize=3"], { cwd: repo }))
      .rejects.toThrow(/settings\.batchSize is not read by fixed on task "binary"/);
  });

  it.runIf(existsSync(ml100k))("on ml-100k: FIXED and ESAPN at one budget, one seed", async () => {
    const { result } = await frontier(["--data", ml100k, "--limit", "5000", "--methods", "esapn", "--budgets", "1/8", "--seeds", "1",
                                       "--method-set", "esapn.hidden=32", "--method-set", "esapn.policyHidden=32", "--quiet"]);
    const [budget] = result.budgets;
    expect(budget!.points.map((p) => p.label)).toEqual(["FIXED", "ESAPN"]);
    for (const point of budget!.points) expect(point.bytes).toBeLessThanOrEqual(budget!.budgetBytes);
  }, 120_000);
});
