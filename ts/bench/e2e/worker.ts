/**
 * One run of the end-to-end benchmark, alone in its own process:
 * `node dist/bench/e2e/worker.js <spec JSON> <output file>`.
 *
 * A process per run because the peak resident set the OS reports (resourceUsage().maxRSS) is
 * a peak over the process's whole life: only a fresh process gives one run's peak. The worker
 * loads the data, runs search() (which retrains the plan under the common protocol),
 * measures, and writes { record, reportRun? } as JSON to the output file.
 */
import { writeFileSync } from "node:fs";

import { planTables } from "../../search/plan_evaluation.js";
import { search } from "../../search/search.js";
import type { SearchData, SearchResult, SearchTask } from "../../search/search_types.js";
import { ratingExperimentDefaults } from "../../training/rating_experiment.js";
import { reportRun } from "../../report/report_run.js";
import { loadDataset } from "./datasets.js";
import { dataDirectory } from "../movielens_files.js";
import type { QualityFigures, RunRecord, RunSpec } from "./run_record.js";
import { toJson } from "./typed_json.js";

/** Each table's ids, ratio to the reference size, total dim and ids at each size. */
function tableFigures(result: SearchResult, referenceSize: number): RunRecord["tables"] {
  return Object.fromEntries(Object.entries(result.plan.tables).map(([name, sizes]) => {
    const idsAtSize: Record<string, number> = {};
    let totalDim = 0;
    for (const d of sizes) {
      idsAtSize[d] = (idsAtSize[d] ?? 0) + 1;
      totalDim += d;
    }
    return [name, { ids: sizes.length, ratio: sizes.length === 0 ? 0 : totalDim / (sizes.length * referenceSize), totalDim, idsAtSize }];
  }));
}

/** The figures each family's tables read, under common names (see QualityFigures). */
function qualityOf(task: SearchTask, { metrics, searchMetrics }: SearchResult): QualityFigures {
  if (task === "binary" || task === "multiclass") {
    // ESAPN, DARTS and AutoEmb's online figures are their searchMetrics; FIXED and MDE have only the plan's.
    return {
      accuracy: searchMetrics.testAccuracy ?? metrics.testAccuracy, loss: searchMetrics.testLoss ?? metrics.testLoss,
      planAccuracy: metrics.testAccuracy, planLoss: metrics.testLoss,
    };
  }
  if (task === "ctr") return { auc: metrics.testAuc, logLoss: metrics.testLogLoss };
  // SCALL's own segmented stream is its searchMetrics; the plan is scored as FIXED's is, on the same split.
  if (searchMetrics.recall20 === undefined) return { recall20: metrics.recall20, ndcg20: metrics.ndcg20 };
  return { recall20: metrics.recall20, ndcg20: metrics.ndcg20, streamRecall20: searchMetrics.recall20, streamNdcg20: searchMetrics.ndcg20 };
}

function idsOf(data: SearchData, task: SearchTask): number {
  // search() sees a rating set as two fields (user, item) for "ctr": the same ids either way.
  const tables = task === "ctr" && data.fields === undefined ? { users: data.numUsers, items: data.numItems } : planTables(data, task);
  return Object.values(tables).reduce((a, b) => a + b, 0);
}

async function runOne(spec: RunSpec, dataDirectory: string): Promise<{ record: RunRecord; reportRun?: unknown }> {
  const data = await loadDataset(dataDirectory, spec.dataset, spec.protocol, spec.scale);
  const budgetBytes = spec.budgetBytes ?? (spec.budgetMeanSize === undefined ? undefined : spec.budgetMeanSize * 4 * idsOf(data, spec.task));
  const budget = budgetBytes === undefined ? undefined : { bytes: budgetBytes };
  let lastSearchBatch: number | undefined;
  const started = performance.now();
  const result = await search({
    method: spec.method, data, task: spec.task, seed: spec.seed, settings: spec.settings,
    ...(spec.candidates === undefined ? {} : { candidates: spec.candidates }),
    ...(budget === undefined ? {} : { budget }),
    // The soft-selection streams (DARTS, AutoEmb) report each batch of their training head as "search".
    onProgress: (progress) => { if (progress.phase === "search") lastSearchBatch = performance.now(); },
  });
  const seconds = (performance.now() - started) / 1000;
  const rows = data.users.length;
  const rating = spec.task === "binary" || spec.task === "multiclass";
  // FIXED's and ESAPN's streams time their own training head; the soft streams' head ends at their last "search" batch.
  const headSamples = Math.round(ratingExperimentDefaults.trainFraction * rows);
  const samplesPerSecond = !rating ? rows / seconds
    : lastSearchBatch !== undefined ? headSamples / ((lastSearchBatch - started) / 1000)
    : result.metrics.samplesPerSecond ?? NaN;
  const record: RunRecord = {
    spec, seconds, samplesPerSecond, rows,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    bytes: result.bytes, ratio: result.bytes / (4 * spec.referenceSize * idsOf(data, spec.task)),
    ...(result.budgetBytes === undefined ? {} : { budgetBytes: result.budgetBytes }),
    tables: tableFigures(result, spec.referenceSize),
    quality: qualityOf(spec.task, result),
    metrics: result.metrics,
  };
  return spec.keepForReport ? { record, reportRun: reportRun(result, data, spec.label) } : { record };
}

const [specJson, output] = process.argv.slice(2);
if (specJson === undefined || output === undefined) throw new Error("usage: worker.js <spec JSON> <output file>");
writeFileSync(output, toJson(await runOne(JSON.parse(specJson) as RunSpec, dataDirectory)));
