/**
 * npm run bench:frontier: the accuracy–memory frontier (runFrontier) on
 *
 *   - ml-latest-small and ml-100k, binary, shuffled and time-ordered: FIXED, MDE, ESAPN, DARTS, AutoEmb;
 *   - synthetic CTR: FIXED, MDE, DARTS per field, AutoDim;
 *   - ml-latest-small implicit: FIXED and SCALL at equal bytes;
 *
 * each at budgets 1/64 … 1/2 of every id at d_max and 3 seeds, with the methods' default
 * settings (SCALL's bounded as in bench:e2e, so that a run ends in minutes). Every point is a
 * budget-held plan retrained by the common protocol. A protocol's figures are written as soon as
 * it ends (bench/results/frontier.json, merged with the protocols of earlier runs, and
 * FRONTIER.md), so a run stopped part-way keeps what it measured; FRONTIER.md says which
 * protocols and methods were run and which were not.
 *
 *   node dist/bench/frontier_bench.js [--only ml-latest-small-shuffle,...] [--methods esapn,mde]
 *                                     [--seeds 3] [--budgets 1/64,1/32,...] [--rewrite-markdown]
 *
 * The findings, written by hand after reading the tables, are read from
 * bench/results/frontier.findings.md and set at the end of FRONTIER.md.
 *
 * A report per protocol measured so far (frontier-<id>.html) and its PNG (needs Chromium).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { parseBudgets } from "../cli/frontier_command.js";
import { writeReport } from "../report/report.js";
import { screenshotReport } from "../report/report_screenshot.js";
import { findChromium } from "../report/chromium.js";
import { beatingFixed, defaultFrontierBudgets, runFrontier, type FrontierResult, type FrontierVariant } from "../search/frontier.js";
import { planTables } from "../search/plan_evaluation.js";
import type { SearchMethod, SearchTask } from "../search/search_types.js";
import { datasetAvailable, loadDataset, type DatasetName, type Protocol } from "./e2e/datasets.js";
import { frontierMarkdown, type MeasuredFrontier } from "./frontier_markdown.js";
import { dataDirectory } from "./movielens_files.js";
import { resultsDirectory } from "./results_files.js";

interface FrontierCase {
  id: string;
  dataset: DatasetName;
  protocol: Protocol;
  task: SearchTask;
  methods: SearchMethod[];
  candidates?: number[];
  settings?: Partial<Record<SearchMethod, Record<string, unknown>>>;
}

const ratingMethods: SearchMethod[] = ["esapn", "mde", "darts", "autoemb"];
// SCALL with bench:e2e's bounded settings for ml-latest-small (about five segments).
const scallSettings = { newEntityThreshold: 2_000, envSteps: 3, minEnvSteps: 2, envTrainSteps: 30, trainSteps: 200, evalEvery: 100,
                        batchSize: 2048, stateGroups: 64, hidden: 128, maxSegments: 6 };

/** In the order they run: the first target (ml-latest-small shuffled) first. */
export const frontierCases: FrontierCase[] = [
  { id: "ml-latest-small-shuffle", dataset: "ml-latest-small", protocol: "shuffle", task: "binary", methods: ratingMethods },
  { id: "ml-100k-shuffle", dataset: "ml-100k", protocol: "shuffle", task: "binary", methods: ratingMethods },
  { id: "ml-latest-small-time", dataset: "ml-latest-small", protocol: "time", task: "binary", methods: ratingMethods },
  { id: "ml-100k-time", dataset: "ml-100k", protocol: "time", task: "binary", methods: ratingMethods },
  { id: "synthetic-ctr", dataset: "synthetic-ctr", protocol: "time", task: "ctr", methods: ["mde", "darts", "autodim"],
    candidates: [2, 4, 8, 16, 32, 64] },
  { id: "ml-latest-small-implicit", dataset: "ml-latest-small", protocol: "time", task: "implicit", methods: ["scall"],
    candidates: [1, 2, 4, 8, 16, 32, 64, 128], settings: { scall: scallSettings } },
];

/**
 * A run of some methods (--methods) adds to the protocol's earlier figures at the same budgets
 * and seeds: the other methods' points are kept, and "beats FIXED" is judged again over all.
 */
function withEarlierPoints(frontier: FrontierResult, earlier: MeasuredFrontier | undefined): FrontierResult {
  const sameRuns = earlier !== undefined && earlier.seeds.join() === frontier.seeds.join() &&
    earlier.budgets.map((b) => b.budgetBytes).join() === frontier.budgets.map((b) => b.budgetBytes).join();
  if (!sameRuns) return frontier;
  const { name, higherIsBetter } = frontier.primary;
  return {
    ...frontier,
    budgets: frontier.budgets.map((budget, b) => {
      const fresh = new Set(budget.points.map((p) => p.label));
      const points = [...budget.points, ...earlier.budgets[b]!.points.filter((p) => !fresh.has(p.label))];
      return { ...budget, points, beatsFixed: beatingFixed(points, name, higherIsBetter) };
    }),
  };
}

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

const jsonFile = path.join(resultsDirectory, "frontier.json");
const only = flag("only")?.split(",");
const methodsFlag = flag("methods")?.split(",") as SearchMethod[] | undefined;
const seeds = Array.from({ length: Number(flag("seeds") ?? 3) }, (_, i) => i + 1);
const budgets = flag("budgets") === undefined ? defaultFrontierBudgets : parseBudgets(flag("budgets")!);

const measured: Record<string, MeasuredFrontier> = existsSync(jsonFile)
  ? JSON.parse(readFileSync(jsonFile, "utf8")) as Record<string, MeasuredFrontier> : {};
const findingsFile = path.join(resultsDirectory, "frontier.findings.md");
const writeMarkdown = () => writeFileSync(path.join(resultsDirectory, "FRONTIER.md"), frontierMarkdown(
  measured, frontierCases.map((c) => ({ id: c.id, methods: c.methods })), existsSync(findingsFile) ? readFileSync(findingsFile, "utf8") : undefined));
// --rewrite-markdown: FRONTIER.md and the reports again from frontier.json (after editing the findings), running nothing.
const rewriteOnly = process.argv.includes("--rewrite-markdown");
if (rewriteOnly) writeMarkdown();
for (const frontierCase of rewriteOnly ? [] : frontierCases) {
  if (only !== undefined && !only.includes(frontierCase.id)) continue;
  if (!datasetAvailable(dataDirectory, frontierCase.dataset)) {
    console.log(`${frontierCase.id}: skipped, ${frontierCase.dataset} is not in ${dataDirectory}`);
    continue;
  }
  const data = await loadDataset(dataDirectory, frontierCase.dataset, frontierCase.protocol, { ml20mRatings: 0, ctrRows: 100_000 });
  const methods = frontierCase.methods.filter((m) => methodsFlag === undefined || methodsFlag.includes(m));
  const variants: FrontierVariant[] = methods.map((method) => ({ method, settings: frontierCase.settings?.[method] ?? {} }));
  const started = performance.now();
  let last = started;
  const frontier: FrontierResult = await runFrontier({
    data, task: frontierCase.task, variants, seeds, budgets,
    ...(frontierCase.candidates === undefined ? {} : { candidates: frontierCase.candidates }),
    onProgress: ({ done, total, label, ratio, seed }) => {
      const now = performance.now();
      console.log(`${frontierCase.id}: ${done}/${total} ${label} at 1/${Math.round(1 / ratio)} seed ${seed} ` +
                  `(${((now - last) / 1000).toFixed(1)} s)`);
      last = now;
    },
  });
  measured[frontierCase.id] = {
    ...withEarlierPoints(frontier, measured[frontierCase.id]), id: frontierCase.id, dataset: frontierCase.dataset, protocol: frontierCase.protocol,
    date: new Date().toISOString().slice(0, 10), seconds: (performance.now() - started) / 1000,
    rows: data.users.length, ids: Object.values(planTables(data, frontierCase.task)).reduce((n, rows) => n + rows, 0),
    settings: { ...measured[frontierCase.id]?.settings, ...Object.fromEntries(variants.map((v) => [v.method, v.settings ?? {}])) },
  };
  writeFileSync(jsonFile, `${JSON.stringify(measured, null, 1)}\n`);
  writeMarkdown();
  console.log(`${frontierCase.id}: done in ${((performance.now() - started) / 60_000).toFixed(1)} min; wrote ${jsonFile}`);
}

// A report per protocol measured so far (the frontier charts alone), and its PNG where Chromium is installed.
const chromium = findChromium() !== undefined;
for (const frontier of Object.values(measured)) {
  const file = path.join(resultsDirectory, `frontier-${frontier.id}.html`);
  await writeReport(file, {
    title: `mixdim frontier: ${frontier.id}`,
    description: `${frontier.dataset} (${frontier.protocol}), task ${frontier.task}, seeds ${frontier.seeds.join(", ")}; ` +
                 "every point a budget-held plan retrained by the common protocol.",
    runs: [], frontier,
  });
  if (chromium) await screenshotReport(file, file.replace(/\.html$/, ".png"), { width: 1200 });
}
