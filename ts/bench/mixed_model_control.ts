/**
 * The control behind FRONTIER.md's Findings, point 3: every id at one size d, but trained as a
 * mixed plan is (candidates 2 … 128, so MlpRecommender's projection chain and 128-wide input),
 * by evaluatePlan with seeds 1 to 3. Set beside FIXED at d (a d-wide model), it separates what
 * the model costs from what the sizes gain.
 *
 *   node dist/bench/mixed_model_control.js ml-latest-small shuffle
 */
import { evaluatePlan } from "../search/plan_evaluation.js";
import { spread } from "../search/frontier.js";
import { datasetNames, loadDataset, type DatasetName, type Protocol } from "./e2e/datasets.js";
import { dataDirectory } from "./movielens_files.js";

const [name, protocol] = process.argv.slice(2) as [DatasetName, Protocol];
if (!(datasetNames as readonly string[]).includes(name) || (protocol !== "time" && protocol !== "shuffle")) {
  throw new Error(`usage: mixed_model_control.js <${datasetNames.join(" | ")}> <time | shuffle>`);
}
const data = await loadDataset(dataDirectory, name, protocol, { ml20mRatings: 0, ctrRows: 0 });
const candidates = [2, 4, 8, 16, 64, 128];
for (const d of [2, 4, 8, 16, 64]) {
  const plan = { candidates, tables: { users: new Int32Array(data.numUsers).fill(d), items: new Int32Array(data.numItems).fill(d) } };
  const accuracy = spread([1, 2, 3].map((seed) => evaluatePlan(plan, { data, task: "binary", seed, settings: {}, signal: undefined }).testAccuracy!));
  console.log(`${name} ${protocol}: every id at ${d} in the mixed model: ${accuracy.mean.toFixed(4)} ± ${accuracy.std.toFixed(4)}`);
}
