/**
 * One timed run of the ESAPN benchmark, alone in a fresh process, on the binary task:
 *
 *   node dist/bench/esapn_throughput_worker.js <ratings file> esapn [policyHidden]   ESAPN's defaults (or that policy width)
 *   node dist/bench/esapn_throughput_worker.js <ratings file> fixed                  the MLP recommender at 128, batch 500, lr 1e-3
 *
 * prints { "samplesPerSecond": … } on stdout (and FIXED's "testAccuracy"). A process per run, as a search runs: in one long
 * process, after a few runs V8 kept its old generation small and collected it every few batches
 * (1,000+ full collections over nine interleaved runs), which slowed every later run of every
 * method by up to a third.
 */
import { loadRatings } from "../data/load_ratings.js";
import { esapnMethod, runEsapnStream } from "../search/esapn/esapn.js";
import { runRatingExperiment } from "../training/rating_experiment.js";

const [file, variant, policyHidden] = process.argv.slice(2);
if (file === undefined || (variant !== "esapn" && variant !== "fixed")) {
  console.error("usage: esapn_throughput_worker.js <ratings file> esapn [policyHidden] | fixed");
  process.exit(2);
}
const { dataset } = await loadRatings(file);
if (variant === "fixed") {
  const fixed = runRatingExperiment(dataset, { task: "binary", seed: 1, batchSize: 500, learningRate: 1e-3 });
  console.log(JSON.stringify({ samplesPerSecond: fixed.samplesPerSecond, testAccuracy: fixed.test.accuracy }));
} else {
  const { metrics } = await runEsapnStream(dataset, {
    task: "binary", candidates: esapnMethod.defaultCandidates, seed: 1,
    settings: policyHidden === undefined ? {} : { policyHidden: Number(policyHidden) },
  });
  console.log(JSON.stringify({ samplesPerSecond: metrics.samplesPerSecond }));
}
