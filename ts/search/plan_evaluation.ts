/**
 * Retraining and evaluating a size plan, the same way for every method (methods.md A4):
 * rating tasks train ESAPN's MLP recommender on the time-ordered stream and score its tail
 * prequentially; CTR trains DeepFM on the fields and reports AUC and log loss on a held-out
 * split; implicit feedback trains LightGCN with BPR and reports Recall@20 and NDCG@20.
 */
import { backward } from "../autograd/tape.js";
import { takeRows } from "../data/take_rows.js";
import { ctrSplit, streamSplit } from "../data/splits.js";
import { rankingMetrics } from "../metrics/ranking.js";
import { itemsByUser, BprSampler } from "../models/bpr_sampling.js";
import { evaluateCtr, trainCtr } from "../models/ctr_training.js";
import { DeepFM } from "../models/deep_fm.js";
import { fieldTableName } from "../models/field_embeddings.js";
import { LightGCN } from "../models/lightgcn.js";
import { Adam } from "../optim/adam.js";
import type { SizePlan } from "../plan/size_plan.js";
import { runRatingExperiment } from "../training/rating_experiment.js";
import { numberSetting } from "./settings.js";
import type { SettingSpec } from "./setting_table.js";
import type { PlanEvaluationContext, SearchData, SearchTask } from "./search_types.js";

/** What evaluatePlan reads: every method's table includes these, unless it declares the name itself. */
export const planEvaluationSettings: readonly SettingSpec[] = [
  { name: "evaluatePlan", type: { kind: "boolean" }, default: true, doc: "train and score the returned plan (false: result.metrics is empty)" },
  { name: "order", type: { kind: "choice", values: ["time", "shuffle"] }, default: "time", tasks: ["binary", "multiclass"],
    doc: "the stream's order: by time, or shuffled (the reference's random order)" },
  { name: "retrainEpochs", type: { kind: "integer", min: 1, max: 1000 }, default: 1, doc: "passes over the training split when the plan is retrained" },
  { name: "learningRate", type: { kind: "number", min: 0, max: Infinity, exclusiveMin: true }, default: 0.01, tasks: ["ctr", "implicit"],
    doc: "Adam's learning rate when the plan is retrained" },
  { name: "retrainSteps", type: { kind: "integer", min: 1, max: 1e9 }, default: 200, tasks: ["implicit"], doc: "BPR steps when the plan is retrained" },
  { name: "batchSize", type: { kind: "integer", min: 1, max: 2 ** 24 }, default: 2048, tasks: ["implicit"], doc: "BPR batch when the plan is retrained" },
];

/** The stream order a rating task's retraining runs in: the order the search ran in (settings.order). */
export function ratingOrder(settings: Record<string, unknown>): "time" | "shuffle" {
  return settings.order === "shuffle" ? "shuffle" : "time";
}

/** The tables a plan needs for a task, with their ids. */
export function planTables(data: SearchData, task: SearchTask): Record<string, number> {
  if (task !== "ctr") return { users: data.numUsers, items: data.numItems };
  if (data.fields === undefined) throw new RangeError(`task "ctr" needs data with categorical fields (search() adds user and item as fields)`);
  return Object.fromEntries(Array.from(data.fields.cardinalities, (n, f) => [fieldTableName(f), n]));
}

/** How often each id of each table occurs: what budget constraints and frequency-driven methods rank by. */
export function tableFrequencies(data: SearchData, task: SearchTask): Record<string, Int32Array> {
  if (task !== "ctr") {
    const users = new Int32Array(data.numUsers);
    const items = new Int32Array(data.numItems);
    for (const u of data.users) users[u]! += 1;
    for (const i of data.items) items[i]! += 1;
    return { users, items };
  }
  const fields = data.fields!;
  const counts = Array.from(fields.cardinalities, (n) => new Int32Array(n));
  for (let r = 0; r < fields.values.length; ++r) counts[r % fields.numFields]![fields.values[r]!]! += 1;
  return Object.fromEntries(counts.map((c, f) => [fieldTableName(f), c]));
}


/**
 * Trains `plan` and scores it by the task's protocol (the file's comment). Settings it reads:
 * order (rating tasks: "time" or "shuffle"), retrainEpochs (passes over the training split),
 * learningRate (CTR and implicit), retrainSteps and batchSize (implicit).
 */
export function evaluatePlan(plan: SizePlan, context: PlanEvaluationContext): Record<string, number> {
  const { data, task, seed, settings } = context;
  context.signal?.throwIfAborted();
  if (task === "binary" || task === "multiclass") {
    const result = runRatingExperiment(data, { task, plan, seed, order: ratingOrder(settings),
                                              epochs: numberSetting(settings, "retrainEpochs", 1) });
    return {
      testAccuracy: result.test.accuracy, testLoss: result.test.loss,
      majorityAccuracy: result.baselines.majority.accuracy, popularityAccuracy: result.baselines.popularity.accuracy,
      samplesPerSecond: result.samplesPerSecond,
    };
  }
  if (task === "ctr") {
    const fields = data.fields!;
    const split = ctrSplit(fields.clicks.length, { seed });
    const dim = plan.candidates[plan.candidates.length - 1]!;
    const model = new DeepFM({ plan, numFields: fields.numFields, dim, seed });
    trainCtr(model, new Adam(model.parameters(), { learningRate: numberSetting(settings, "learningRate", 0.01) }), fields,
             { rows: split.train, epochs: numberSetting(settings, "retrainEpochs", 1), seed });
    const test = evaluateCtr(model, fields, split.test);
    return { testAuc: test.auc, testLogLoss: test.logLoss };
  }
  const split = streamSplit(data, { order: "time", trainFraction: 0.8 });
  const trainUsers = takeRows(data.users, split.train);
  const trainItems = takeRows(data.items, split.train);
  const model = new LightGCN({ plan, interactions: { users: trainUsers, items: trainItems }, seed });
  const sampler = new BprSampler({ users: trainUsers, items: trainItems, numUsers: data.numUsers, numItems: data.numItems, seed });
  const optimizer = new Adam(model.parameters(), { learningRate: numberSetting(settings, "learningRate", 0.01) });
  for (let step = 0; step < numberSetting(settings, "retrainSteps", 200); ++step) {
    optimizer.zeroGrad();
    backward(model.loss(sampler.sample(numberSetting(settings, "batchSize", 2048))));
    optimizer.step();
  }
  const test = itemsByUser(takeRows(data.users, split.test), takeRows(data.items, split.test),
                           data.numUsers);
  const ranking = rankingMetrics({ scores: model.scorer(), itemCount: data.numItems, trainItemsByUser: sampler.positives,
                                   testItemsByUser: { rowPtr: test.rowPtr, items: test.items }, k: 20 });
  return { recall20: ranking.recall, ndcg20: ranking.ndcg };
}
