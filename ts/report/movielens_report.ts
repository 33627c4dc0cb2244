/**
 * The report pictured in bench/results/report.png: FIXED, DARTS and ESAPN searched on
 * MovieLens 100k (../shared/data/ml-100k/u.data) within a quarter of the fixed table's bytes,
 * with the small bounded settings the CLI tests use, so that it runs in about a minute on two
 * cores. The HTML (per-id data, large) goes to a temporary directory; only the PNG is kept.
 *
 * Run: `npm run report:screenshot` (needs Chromium: apt-get install chromium).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { movieLensFile } from "../bench/movielens_files.js";
import { resultsDirectory } from "../bench/results_files.js";
import { loadRatings } from "../data/load_ratings.js";
import { search } from "../search/search.js";
import type { SearchMethod } from "../search/search_types.js";
import { writeReport } from "./report.js";
import { reportRun } from "./report_run.js";
import type { ReportRun } from "./report_types.js";
import { screenshotReport } from "./report_screenshot.js";

const dataFile = movieLensFile("ml-100k");
const pngFile = path.join(resultsDirectory, "report.png");
const budgetRatio = 0.25;
const seed = 1;

/** Each method with the bounded settings of test/cli/methods.test.ts. */
const methods: [SearchMethod, Record<string, unknown>][] = [
  ["fixed", {}],
  ["darts", { hidden: 32 }],
  ["esapn", { batchSize: 250, hidden: 32, policyHidden: 32 }],
];

const { dataset: data } = await loadRatings(dataFile);
const runs: ReportRun[] = [];
for (const [method, settings] of methods) {
  const started = performance.now();
  const result = await search({ method, data, budget: { ratio: budgetRatio }, seed, settings });
  console.log(`${method}: ${((performance.now() - started) / 1000).toFixed(1)} s, ratio ${result.ratio.toFixed(3)}`);
  runs.push(reportRun(result, data));
}
const work = mkdtempSync(path.join(tmpdir(), "mixdim-report-"));
try {
  const reportFile = path.join(work, "report.html");
  const settings = methods.filter(([, s]) => Object.keys(s).length > 0)
    .map(([m, s]) => `${m.toUpperCase()} ${Object.entries(s).map(([k, v]) => `${k}=${String(v)}`).join(" ")}`).join("; ");
  await writeReport(reportFile, {
    title: "FIXED, DARTS and ESAPN on MovieLens 100k",
    description: `ml-100k/u.data: ${data.numUsers.toLocaleString("en-US")} users, ${data.numItems.toLocaleString("en-US")} items, ` +
                 `${data.users.length.toLocaleString("en-US")} ratings; binary task (rating > 3.5); budget ${budgetRatio} of every ` +
                 `id at 128; seed ${seed}; small bounded settings (${settings}). Made by npm run report:screenshot.`,
    runs,
  });
  await screenshotReport(reportFile, pngFile);
  console.log(`wrote ${path.relative(process.cwd(), pngFile)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
