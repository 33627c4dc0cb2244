/**
 * `mixdim search --report FILE` as a user runs it (node dist/cli/main.js, rebuilt when older than
 * the sources it depends on): the page is written beside the usual summary.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const main = path.join(repo, "dist/cli/main.js");

function newestSource(dir: string): number {
  return Math.max(...readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => statSync(path.join(dir, f)).mtimeMs));
}

beforeAll(() => {
  const sources = Math.max(newestSource(path.join(repo, "ts/cli")), newestSource(path.join(repo, "ts/report")));
  if (!existsSync(main) || statSync(main).mtimeMs < sources || !existsSync(path.join(repo, "dist/report/report.js"))) {
    spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: repo, stdio: "ignore" });
  }
  expect(existsSync(main)).toBe(true);
}, 120_000);

it("search --report writes a self-contained page with the run's charts", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "mixdim-cli-report-")), "out", "report.html");
  const run = spawnSync(process.execPath, [main, "search", "--method", "fixed", "--budget", "0.5", "--quiet", "--report", file],
                        { cwd: repo, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain(`wrote ${file}`);
  const html = readFileSync(file, "utf8");
  // Compared as short extracts: a failure should not print the whole page.
  expect(html.slice(0, 15)).toBe("<!DOCTYPE html>");
  expect(html.match(/<title>[^<]*<\/title>/)?.[0]).toMatch(/^<title>mixdim search: fixed on synthetic default: [\d,]+ users/);
  const charts = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
  expect(charts).toEqual(["size-frequency-0", "size-frequency-1", "history-bytes", "size-histogram-0", "size-histogram-1"]);
  expect(html.match(/<tr><th>(bytes|ratio)<\/th>.*?<\/tr>/g)).toEqual([expect.stringMatching(/^<tr><th>bytes<\/th><td>[\d.]+ KiB<\/td>/),
                                                                       "<tr><th>ratio</th><td>0.500</td></tr>"]);
  expect(html.match(/<script|<link|(src|href)=/i)).toBeNull();
}, 120_000);
