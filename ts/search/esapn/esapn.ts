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
 * evaluation keeps training both). The plan is the sizes at the end. The tables grow as the
 * stream shows new ids (ids are numbered by first appearance), each new id at d_min, so memory
 * while training is Σ d_i · 4 over the ids seen so far ("lean"; the reference holds every size of
 * every id, "all-sizes").
 *
 * With a budget (search()'s, or budgetBytes here) that live table never exceeds it
 * (live_budget.ts): room for new ids is made by stepping the least frequent ids down, and
 * enlargements that do not fit are refused. settings.reward "delayed" rewards each sampled action
 * at its id's next occurrence; settings.policy "frozen" never trains the policies (a control).
 * result.metrics are the plan retrained by evaluatePlan; the stream's own online figures are
 * result.searchMetrics.
 */
import { backward, noGrad } from "../../autograd/tape.js";
import type { Variable } from "../../autograd/variable.js";
import { binaryLabels, fiveClassLabels } from "../../data/labels.js";
import { firstAppearance, type FirstAppearance } from "../../data/first_appearance.js";
import { streamSplit } from "../../data/splits.js";
import { takeRows } from "../../data/take_rows.js";
import { MlpRecommender } from "../../models/mlp_recommender.js";
import { mseSigmoidLoss, softmaxCrossEntropyLoss, type LossResult } from "../../ops/loss.js";
import { Adam } from "../../optim/adam.js";
import { planBytes, type SizePlan } from "../../plan/size_plan.js";
import { Tensor } from "../../tensor.js";
import type { SearchContext, SearchMethodDefinition, SearchOutcome } from "../search_context.js";
import type { SearchData, SearchEvent, SearchProgress } from "../search_types.js";
import { EsapnController, type EsapnBatch, type EsapnMemory } from "./controller.js";
import { esapnSettingTable, esapnSettings, type EsapnSettings } from "./esapn_settings.js";
import { correctPredictions } from "../../training/rating_stream.js";
import { RunningFrequency } from "./running_frequency.js";
import { moduleSnapshot, nestSnapshots, restoreModule, snapshotPart, type StateSnapshot } from "../../training/state_snapshot.js";

export interface EsapnStreamOptions {
  task: "binary" | "multiclass";
  candidates: readonly number[];
  seed?: number;
  device?: SearchContext["device"];
  settings?: Record<string, unknown>;
  report?: (event: SearchEvent & Omit<SearchProgress, "method">) => void;
  /**
   * Awaited before each batch and after the last, with a function that captures the whole search
   * there (recommender, optimizer, controller, running frequencies, position): search()'s
   * checkpoint, which yields to the event loop and stops the loop by throwing.
   */
  between?: (capture: () => StateSnapshot) => Promise<void>;
  /** Continue from what such a capture held, in a run with the same data, options and seed. */
  resumeFrom?: StateSnapshot;
  /**
   * A cap on the live tables (Σ d_i · 4 over the ids seen so far), held at every batch (settings.holdBudget
   * "while-training", the default; with "at-end" the stream ignores it and search() steps the final plan down).
   */
  budgetBytes?: number;
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

/** Where the loop stands between two batches: JSON, for a checkpoint. */
interface StreamPosition {
  /** 0: the training head, 1: the test tail. */
  phase: 0 | 1;
  /** The next batch's first row in the phase's rows. */
  begin: number;
  /** Batches done, both phases. */
  step: number;
  /** The phase's right answers, summed loss and seconds so far. */
  correct: number;
  lossSum: number;
  seconds: number;
  peakAllocatedBytes: number;
  bytesByBatch: number[];
  /** The rows [begin, end) of the phase that made the previous batch (the controller learns from it next). */
  previous?: { phase: 0 | 1; begin: number; end: number };
  /** The training head's metrics, once it is done. */
  train?: { accuracy: number; loss: number; samplesPerSecond: number };
}

/** The per-sample loss of logits against labels: (σ(z) − y)² or cross-entropy, summed (the reference). */
function lossOf(task: "binary" | "multiclass", logits: Tensor<"float32">, labels: Float32Array | Int32Array,
                gradient: boolean): LossResult {
  const options = { reduction: "sum" as const, perSample: true, gradient };
  return task === "binary"
    ? mseSigmoidLoss(logits, Tensor.from(labels as Float32Array, { shape: logits.shape, device: logits.device }), options)
    : softmaxCrossEntropyLoss(logits, Tensor.from(labels as Int32Array, { device: logits.device }), options);
}

/** A batch's end: a last batch of one sample joins the one before it (batch norm needs two). */
function batchEnd(rows: number, begin: number, batchSize: number): number {
  return rows - (begin + batchSize) === 1 ? rows : Math.min(begin + batchSize, rows);
}

/** Batches of a phase: a last batch of one sample joins the one before it. */
function batchCount(rows: number, batchSize: number): number {
  return rows === 1 ? 1 : Math.floor(rows / batchSize) + (rows % batchSize > 1 ? 1 : 0);
}

/**
 * ESAPN over a ratings stream: the search loop, shared by search() and the benchmark. With
 * `between` and `resumeFrom` it stops and continues at batch boundaries, bit for bit on the CPU.
 */
export async function runEsapnStream(data: SearchData, options: EsapnStreamOptions): Promise<EsapnStreamResult> {
  const { task, candidates, seed = 0, device = "cpu" } = options;
  const settings: EsapnSettings = esapnSettings(options.settings ?? {});
  if (candidates.length < 2) throw new RangeError(`ESAPN needs at least two candidate sizes, got [${candidates.join(", ")}]`);
  if (options.settings?.holdBudget !== undefined && options.budgetBytes === undefined) {
    throw new RangeError("settings.holdBudget says when a budget is held, and this run has no budget");
  }
  const split = streamSplit(data, { order: settings.order, trainFraction: settings.trainFraction, seed });
  const phases = [split.train, split.test] as const;
  const streamed = split.order.subarray(0, split.train.length + split.test.length);
  // The tables hold the ids seen so far: numbered by first appearance, id k is the k-th new one.
  const users = firstAppearance(data.users, streamed, data.numUsers);
  const items = firstAppearance(data.items, streamed, data.numItems);
  const labels = task === "binary" ? binaryLabels(data.ratings) : fiveClassLabels(data.ratings);
  const smallest = candidates[0]!;
  const model = new MlpRecommender({ plan: { candidates, tables: { users: new Int32Array(0), items: new Int32Array(0) } },
                                     outputs: task === "binary" ? 1 : 5, hidden: settings.hidden, seed,
                                     initStd: settings.initStd, device });
  const optimizer = new Adam(model.parameters(), { learningRate: settings.learningRate });
  const controller = new EsapnController({
    sides: { users: { embedding: model.users.embedding, chain: model.users.chain! },
             items: { embedding: model.items.embedding, chain: model.items.chain! } },
    historyLength: settings.historyLength, baseline: settings.baseline, learningRate: settings.policyLearningRate,
    hidden: settings.policyHidden, storage: settings.storage, reward: settings.reward, rewardHorizon: settings.rewardHorizon, policy: settings.policy, seed: seed + 1,
    ...(options.budgetBytes === undefined || settings.holdBudget === "at-end" ? {} : { budgetBytes: options.budgetBytes }),
  });
  const frequencies = { users: new RunningFrequency(users.seen), items: new RunningFrequency(items.seen) };
  // The immediate reward learns in update(), on the batch before, scored again after its step; nothing else needs that score.
  const updates = settings.reward === "immediate" && settings.policy === "learned";

  const rowsOf = (phase: 0 | 1, begin: number, end: number) => phases[phase].subarray(begin, end);
  const inputsAt = (rows: Int32Array): Omit<StreamBatch, "state"> => ({
    users: takeRows(users.renumbered, rows),
    items: takeRows(items.renumbered, rows),
    labels: takeRows(labels, rows),
  });
  const batchAt = (rows: Int32Array): StreamBatch => {
    const inputs = inputsAt(rows);
    return { ...inputs,
             state: { users: { ids: inputs.users, frequencies: frequencies.users.next(inputs.users) },
                      items: { ids: inputs.items, frequencies: frequencies.items.next(inputs.items) } } };
  };
  const forward = (batch: Pick<StreamBatch, "users" | "items">): Variable => model.forward(batch.users, batch.items);

  let position: StreamPosition = { phase: 0, begin: 0, step: 0, correct: 0, lossSum: 0, seconds: 0, peakAllocatedBytes: 0,
                                   bytesByBatch: [] };
  const resume = options.resumeFrom;
  if (resume !== undefined) {
    restoreModule(snapshotPart(resume, "model"), model, optimizer);
    controller.restore(snapshotPart(resume, "controller"));
    frequencies.users.restore(snapshotPart(resume, "userFrequencies"));
    frequencies.items.restore(snapshotPart(resume, "itemFrequencies"));
    position = structuredClone(resume.state.stream as StreamPosition);
  }
  // The previous batch's inputs, which the controller's update scores after the step on them.
  let previous: Omit<StreamBatch, "state"> | undefined = position.previous === undefined ? undefined
    : inputsAt(rowsOf(position.previous.phase, position.previous.begin, position.previous.end));
  let started = performance.now();
  // A copy: a captured position must not change as the loop goes on.
  const here = (): StreamPosition => ({ ...position, bytesByBatch: position.bytesByBatch.slice(),
                                        seconds: position.seconds + (performance.now() - started) / 1000 });
  const capture = (): StateSnapshot => nestSnapshots({
    model: moduleSnapshot(model, optimizer), controller: controller.snapshot(),
    userFrequencies: frequencies.users.snapshot(), itemFrequencies: frequencies.items.snapshot(),
  }, { state: { stream: here() } });

  for (;;) {
    await options.between?.(capture);
    const { phase, begin } = position;
    const rows = phases[phase];
    if (begin >= rows.length) {
      // The phase is done: its metrics, then the next phase (or the end).
      const seconds = here().seconds;
      const metrics = { accuracy: rows.length === 0 ? NaN : position.correct / rows.length,
                        loss: rows.length === 0 ? NaN : position.lossSum / rows.length };
      if (phase === 1) {
        position = { ...position, seconds };
        return finish(position, metrics);
      }
      position = { ...position, phase: 1, begin: 0, correct: 0, lossSum: 0, seconds: 0,
                   train: { ...metrics, samplesPerSecond: rows.length / seconds } };
      started = performance.now();
      continue;
    }
    const end = batchEnd(rows.length, begin, settings.batchSize);
    const current = batchAt(rows.subarray(begin, end));
    // update_controller(previous batch): its loss after the step on it, against each id's past losses.
    if (previous !== undefined && updates) {
      const after = noGrad(() => lossOf(task, forward(previous!).value, previous!.labels, false));
      controller.update(after.perSample!.toArray());
    }
    // update_RS(current batch): the new ids join, act (greedy, or sampled for the delayed reward),
    // enlarge, score before training, step, store the losses.
    controller.addNewIds(current.state);
    controller.act(current.state);
    const logits = forward(current);
    const scored = lossOf(task, logits.value, current.labels, true);
    const correct = correctPredictions(logits.value.toArray(), current.labels, task === "binary" ? 1 : 5);
    optimizer.zeroGrad();
    backward(logits, scored.grad);
    optimizer.step();
    controller.observe(current.state, scored.perSample!.toArray());
    previous = current;

    const memory = controller.memory();
    position = {
      ...position, begin: end, step: position.step + 1, correct: position.correct + correct,
      lossSum: position.lossSum + scored.loss, peakAllocatedBytes: Math.max(position.peakAllocatedBytes, memory.allocatedBytes),
      bytesByBatch: position.bytesByBatch, previous: { phase, begin, end },
    };
    position.bytesByBatch.push(memory.bytes);
    // Batches done in the phase (all are batchSize long but the last), as FIXED's training reports them.
    options.report?.({ phase: phase === 0 ? "train" : "test", step: Math.floor(begin / settings.batchSize) + 1,
                       total: batchCount(rows.length, settings.batchSize),
                       loss: position.lossSum / end, accuracy: position.correct / end, bytes: memory.bytes });
  }

  function finish(done: StreamPosition, test: { accuracy: number; loss: number }): EsapnStreamResult {
    const plan = originalIds(controller.plan(), { users, items }, smallest);
    const memory = controller.memory();
    const largest = candidates[candidates.length - 1]!;
    const train = done.train!;
    const metrics: Record<string, number> = {
      trainAccuracy: train.accuracy, trainLoss: train.loss, samplesPerSecond: train.samplesPerSecond,
      testAccuracy: test.accuracy, testLoss: test.loss,
    };
    for (const [name, sizes] of Object.entries(plan.tables)) {
      metrics[`${name}Ratio`] = sizes.reduce((a, d) => a + d, 0) / (sizes.length * largest);
    }
    const bytesByBatch = Float64Array.from(done.bytesByBatch);
    metrics.peakTrainingBytes = bytesByBatch.reduce((a, b) => Math.max(a, b), memory.bytes);
    metrics.planBytes = planBytes(plan);
    // What the stores allocated (free slots and growth slack included), whatever the storage mode.
    metrics.peakAllocatedBytes = done.peakAllocatedBytes;
    metrics.allSizesBytes = memory.allSizesBytes;
    metrics.fixedBytes = memory.fixedBytes;
    return { plan, metrics, bytesByBatch, memory };
  }
}

/** The stream's plan (ids by first appearance, seen ones only) over the data's ids; ids never seen get d_min. */
function originalIds(plan: SizePlan, numbering: Record<"users" | "items", FirstAppearance>, smallest: number): SizePlan {
  const tables: Record<string, Int32Array> = {};
  for (const [name, sizes] of Object.entries(plan.tables)) {
    const { originalOf } = numbering[name as "users" | "items"];
    const out = new Int32Array(originalOf.length).fill(smallest);
    sizes.forEach((d, k) => { out[originalOf[k]!] = d; });
    tables[name] = out;
  }
  return { candidates: plan.candidates, tables };
}

async function runEsapn(context: SearchContext): Promise<SearchOutcome> {
  const { task, data } = context;
  if (task !== "binary" && task !== "multiclass") throw new RangeError(`ESAPN takes task "binary" or "multiclass", got "${task}"`);
  const result = await runEsapnStream(data, {
    task, candidates: context.candidates, seed: context.seed, device: context.device, settings: context.settings,
    report: context.report, between: (capture) => context.checkpoint(capture),
    ...(context.budgetBytes === undefined ? {} : { budgetBytes: context.budgetBytes }),
    ...(context.resume === undefined ? {} : { resumeFrom: context.resume }),
  });
  return { plan: result.plan, searchMetrics: result.metrics, peakSearchBytes: result.metrics.peakTrainingBytes! };
}

export const esapnMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 64, 128],
  tasks: ["binary", "multiclass"],
  settings: esapnSettingTable,
  run: runEsapn,
};
