/**
 * ESAPN (Liu, Zhao et al., SIGIR'20; methods.md B §1–3): automated embedding size search by
 * policy networks over a stream. Every id starts at the smallest candidate; per batch t,
 *
 *   update_controller(batch t−1):  l ← per-sample loss of batch t−1 after the step on it
 *                                  a ~ π(· | f, k);  r = mean_T(past losses) − l;  θ ← θ + lr · ∇ Σ r · log π(a | s)
 *   update_RS(batch t):            a = argmax π(· | f, k);  enlarge d_k → d_{k+1} where a = 1
 *                                  forward, record the prequential loss and accuracy, step the recommender
 *                                  store each id's loss
 *
 * over the training head and then, the same way, over the test tail (the reference's online
 * evaluation keeps training both). The plan is the sizes at the end. Memory while training is
 * the plan's memory ("lean"; the reference holds every size of every id, "all-sizes").
 *
 * ESAPN does not meet a budget by construction: search() holds its final plan to the budget by
 * stepping the least frequent ids down (budget.ts). The reported online metrics are those of the
 * unconstrained run; settings.retrain also retrains the constrained plan.
 */
import { backward, noGrad } from "../../autograd/tape.js";
import type { Variable } from "../../autograd/variable.js";
import { binaryLabels, fiveClassLabels } from "../../data/labels.js";
import { streamSplit } from "../../data/splits.js";
import { MlpRecommender } from "../../models/mlp_recommender.js";
import { mseSigmoidLoss, softmaxCrossEntropyLoss, type LossResult } from "../../ops/loss.js";
import { Adam } from "../../optim/adam.js";
import { planBytes, type SizePlan } from "../../plan/size_plan.js";
import { Tensor } from "../../tensor.js";
import { constrainPlanToBudget } from "../budget.js";
import { evaluatePlan, tableFrequencies } from "../plan_evaluation.js";
import type { SearchContext, SearchMethodDefinition, SearchOutcome } from "../search_context.js";
import type { SearchData, SearchEvent, SearchProgress } from "../search_types.js";
import { EsapnController, type EsapnBatch, type EsapnMemory } from "./controller.js";
import { esapnSettings, type EsapnSettings } from "./esapn_settings.js";
import { correctPredictions } from "../../training/rating_stream.js";
import { RunningFrequency } from "./running_frequency.js";

export interface EsapnStreamOptions {
  task: "binary" | "multiclass";
  candidates: readonly number[];
  seed?: number;
  device?: SearchContext["device"];
  settings?: Record<string, unknown>;
  signal?: AbortSignal;
  report?: (event: SearchEvent & Omit<SearchProgress, "method">) => void;
}

export interface EsapnStreamResult {
  plan: SizePlan;
  metrics: Record<string, number>;
  /** Training memory (the storage mode's bytes) after each batch. */
  bytesByBatch: Float64Array;
  memory: EsapnMemory;
}

/** One batch of the stream: the recommender's inputs and labels, and the controller's view of it. */
interface StreamBatch {
  users: Int32Array;
  items: Int32Array;
  labels: Float32Array | Int32Array;
  state: EsapnBatch;
}

/** The per-sample loss of logits against labels: (σ(z) − y)² or cross-entropy, summed (the reference). */
function lossOf(task: "binary" | "multiclass", logits: Tensor<"float32">, labels: Float32Array | Int32Array,
                gradient: boolean): LossResult {
  const options = { reduction: "sum" as const, perSample: true, gradient };
  return task === "binary"
    ? mseSigmoidLoss(logits, Tensor.from(labels as Float32Array, { shape: logits.shape, device: logits.device }), options)
    : softmaxCrossEntropyLoss(logits, Tensor.from(labels as Int32Array, { device: logits.device }), options);
}

/** Batches of a phase: a last batch of one sample joins the one before it. */
function batchCount(rows: number, batchSize: number): number {
  return rows === 1 ? 1 : Math.floor(rows / batchSize) + (rows % batchSize > 1 ? 1 : 0);
}

/** ESAPN over a ratings stream: the search loop, shared by search() and the benchmark. */
export function runEsapnStream(data: SearchData, options: EsapnStreamOptions): EsapnStreamResult {
  const { task, candidates, seed = 0, device = "cpu" } = options;
  const settings: EsapnSettings = esapnSettings(options.settings ?? {});
  if (candidates.length < 2) throw new RangeError(`ESAPN needs at least two candidate sizes, got [${candidates.join(", ")}]`);
  const split = streamSplit(data, { order: settings.order, trainFraction: settings.trainFraction, seed });
  const labels = task === "binary" ? binaryLabels(data.ratings) : fiveClassLabels(data.ratings);
  const start = (n: number) => new Int32Array(n).fill(candidates[0]!);
  const model = new MlpRecommender({ plan: { candidates, tables: { users: start(data.numUsers), items: start(data.numItems) } },
                                     outputs: task === "binary" ? 1 : 5, hidden: settings.hidden, seed,
                                     initStd: settings.initStd, device });
  const optimizer = new Adam(model.parameters(), { learningRate: settings.learningRate });
  const controller = new EsapnController({
    sides: { users: { embedding: model.users.embedding, chain: model.users.chain! },
             items: { embedding: model.items.embedding, chain: model.items.chain! } },
    historyLength: settings.historyLength, baseline: settings.baseline, learningRate: settings.policyLearningRate,
    hidden: settings.policyHidden, storage: settings.storage, seed: seed + 1,
  });
  const frequencies = { users: new RunningFrequency(data.numUsers), items: new RunningFrequency(data.numItems) };

  const batchAt = (rows: Int32Array): StreamBatch => {
    const users = Int32Array.from(rows, (r) => data.users[r]!);
    const items = Int32Array.from(rows, (r) => data.items[r]!);
    const batchLabels = task === "binary" ? Float32Array.from(rows, (r) => labels[r]!) : Int32Array.from(rows, (r) => labels[r]!);
    return { users, items, labels: batchLabels,
             state: { users: { ids: users, frequencies: frequencies.users.next(users) },
                      items: { ids: items, frequencies: frequencies.items.next(items) } } };
  };
  const forward = (batch: StreamBatch): Variable => model.forward(batch.users, batch.items);

  const bytesByBatch = new Float64Array(batchCount(split.train.length, settings.batchSize) +
                                        batchCount(split.test.length, settings.batchSize));
  const metrics: Record<string, number> = {};
  let previous: StreamBatch | undefined;
  let step = 0;
  let peakAllocatedBytes = 0;
  for (const [phase, rows] of [["train", split.train], ["test", split.test]] as const) {
    const started = performance.now();
    let correct = 0;
    let lossSum = 0;
    const total = batchCount(rows.length, settings.batchSize);
    for (let begin = 0, end = 0; begin < rows.length; begin = end) {
      options.signal?.throwIfAborted();
      // A last batch of one sample joins the one before: batch norm needs two.
      end = rows.length - (begin + settings.batchSize) === 1 ? rows.length : Math.min(begin + settings.batchSize, rows.length);
      const current = batchAt(rows.subarray(begin, end));
      // update_controller(previous batch): its loss after the step on it, against each id's past losses.
      if (previous !== undefined) {
        const after = noGrad(() => lossOf(task, forward(previous!).value, previous!.labels, false));
        controller.update(after.perSample!.toArray());
      }
      // update_RS(current batch): act greedily, enlarge, score before training, step, store the losses.
      controller.act(current.state);
      const logits = forward(current);
      const scored = lossOf(task, logits.value, current.labels, true);
      correct += correctPredictions(logits.value.toArray(), current.labels, task === "binary" ? 1 : 5);
      lossSum += scored.loss;
      optimizer.zeroGrad();
      backward(logits, scored.grad);
      optimizer.step();
      controller.observe(current.state, scored.perSample!.toArray());
      previous = current;

      const memory = controller.memory();
      const bytes = memory.bytes;
      bytesByBatch[step] = bytes;
      peakAllocatedBytes = Math.max(peakAllocatedBytes, memory.allocatedBytes);
      step += 1;
      options.report?.({ phase, step: step - 1, total, loss: lossSum / end, accuracy: correct / end, bytes });
    }
    const seconds = (performance.now() - started) / 1000;
    metrics[`${phase}Accuracy`] = rows.length === 0 ? NaN : correct / rows.length;
    metrics[`${phase}Loss`] = rows.length === 0 ? NaN : lossSum / rows.length;
    if (phase === "train") metrics.samplesPerSecond = rows.length / seconds;
  }

  const plan = controller.plan();
  const memory = controller.memory();
  const largest = candidates[candidates.length - 1]!;
  for (const [name, sizes] of Object.entries(plan.tables)) {
    metrics[`${name}Ratio`] = sizes.reduce((a, d) => a + d, 0) / (sizes.length * largest);
  }
  metrics.peakTrainingBytes = bytesByBatch.reduce((a, b) => Math.max(a, b), memory.bytes);
  metrics.planBytes = planBytes(plan);
  // What the stores allocated (free slots and growth slack included), whatever the storage mode.
  metrics.peakAllocatedBytes = peakAllocatedBytes;
  metrics.allSizesBytes = memory.allSizesBytes;
  metrics.fixedBytes = memory.fixedBytes;
  return { plan, metrics, bytesByBatch: bytesByBatch.subarray(0, step), memory };
}

async function runEsapn(context: SearchContext): Promise<SearchOutcome> {
  const { task, data } = context;
  if (task !== "binary" && task !== "multiclass") throw new RangeError(`ESAPN takes task "binary" or "multiclass", got "${task}"`);
  const settings = esapnSettings(context.settings);
  const result = runEsapnStream(data, {
    task, candidates: context.candidates, seed: context.seed, device: context.device, settings: context.settings,
    signal: context.signal, report: context.report,
  });
  if (!settings.retrain) return { plan: result.plan, metrics: result.metrics };
  const plan = context.budgetBytes === undefined ? result.plan
    : constrainPlanToBudget(result.plan, context.budgetBytes, tableFrequencies(data, task));
  const retrained = evaluatePlan(plan, context);
  return {
    plan: result.plan,
    metrics: { ...result.metrics,
               ...Object.fromEntries(Object.entries(retrained).map(([name, value]) => [`retrain${name[0]!.toUpperCase()}${name.slice(1)}`, value])) },
  };
}

export const esapnMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 64, 128],
  tasks: ["binary", "multiclass"],
  run: runEsapn,
};
