/**
 * `npm run bench:fixed`: FIXED (every id at 128) on the MovieLens files in ../shared/data, binary
 * and five-class, time-ordered and prequential, against the majority, popularity and item-average
 * baselines; and training throughput of the MLP recommender at ESAPN's batch of 500 on this
 * machine. Writes bench/results/fixed_movielens.json and .md.
 */
import { existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { backend, loadRatings } from "../index.js";
import { runRatingExperiment, type RatingExperimentResult } from "../training/rating_experiment.js";
import { movieLensFile } from "./movielens_files.js";
import { resultsDirectory } from "./results_files.js";

const files = { "ml-100k": movieLensFile("ml-100k"), "ml-latest-small": movieLensFile("ml-latest-small") };

interface Row {
  dataset: string;
  task: string;
  quality: RatingExperimentResult;
  /** Training samples/s at batch 500, lr 1e-3 (ESAPN's settings). */
  throughput: number;
}

const rows: Row[] = [];
for (const [dataset, file] of Object.entries(files)) {
  if (!existsSync(file)) {
    console.log(`${dataset}: skipped, ${file} is absent`);
    continue;
  }
  const { dataset: ratings } = await loadRatings(file);
  for (const task of ["binary", "multiclass"] as const) {
    const quality = runRatingExperiment(ratings, { task, seed: 1 });
    const throughput = runRatingExperiment(ratings, { task, seed: 1, batchSize: 500, learningRate: 1e-3 }).samplesPerSecond;
    rows.push({ dataset, task, quality, throughput });
    const t = quality.test;
    const b = quality.baselines;
    console.log(`${dataset} ${task}: accuracy ${t.accuracy.toFixed(4)} (majority ${b.majority.accuracy.toFixed(4)}, ` +
                `popularity ${b.popularity.accuracy.toFixed(4)}, item average ${b.itemAverage.accuracy.toFixed(4)}), ` +
                `loss ${t.loss.toFixed(4)} (${b.majority.loss.toFixed(4)}, ${b.popularity.loss.toFixed(4)}, ` +
                `${b.itemAverage.loss.toFixed(4)}), ${Math.round(throughput)} samples/s`);
  }
}

const machine = `${os.cpus()[0]?.model ?? "unknown CPU"} × ${backend().threads} threads, Node ${process.version}`;
const date = new Date().toISOString();
const results = resultsDirectory;
writeFileSync(path.join(results, "fixed_movielens.json"), `${JSON.stringify({ date, machine, rows }, null, 2)}\n`);
const f = (x: number) => x.toFixed(4);
const table = rows.map(({ dataset, task, quality: { test, baselines: b }, throughput }) =>
  `| ${dataset} | ${task} | ${f(test.accuracy)} | ${f(b.majority.accuracy)} | ${f(b.popularity.accuracy)} | ` +
  `${f(b.itemAverage.accuracy)} | ${f(test.loss)} | ${f(b.majority.loss)} | ${f(b.popularity.loss)} | ` +
  `${f(b.itemAverage.loss)} | ${Math.round(throughput)} |`);
writeFileSync(path.join(results, "fixed_movielens.md"), `# FIXED on MovieLens

Written by \`npm run bench:fixed\` (ts/bench/fixed_movielens.ts) on ${date}, ${machine}.

Protocol: time-ordered stream, first 75% trains (one pass), the last 25% is scored prequentially
(each batch before the model trains on it, as ESAPN's online test phase). FIXED: users and items at
128, ESAPN's MLP recommender (BN → Linear 512 → BN → tanh → Linear), Adam lr 5e-4, batch 250, seed 1.
Loss is mean (σ(z) − y)² for the binary task (rating > 3.5) and cross-entropy for five classes
(floor(rating − 0.5)). Baselines are scored the same way: majority = overall label frequencies so
far; popularity = label frequencies of items in the same log2 rating-count bucket so far;
item average = the item's own label frequencies so far (an item-bias model, one pseudo-count).
Throughput: training samples/s of the same model at ESAPN's batch 500 (lr 1e-3), target ≥ 80,000.

| dataset | task | accuracy | majority | popularity | item avg | loss | majority | popularity | item avg | samples/s |
|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|
${table.join("\n")}
`);
console.log(`wrote ${path.join(results, "fixed_movielens.json")} and fixed_movielens.md`);
