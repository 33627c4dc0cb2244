/**
 * AutoDim (Zhao et al., "AutoDim: Field-aware Embedding Dimension Search"; methods.md C §1) on
 * CTR data: a per-field size from a differentiable search, then retraining.
 *
 *   supernet: field vectors from AutoDimSearchLayer (every candidate d_m, projected to D, batch
 *             norm, Gumbel-softmax mix with weights from α [F, M]) under DeepFM's head
 *   for t = 0 … T−1 over training batches (searchEpochs passes):
 *     τ_t = max(0.01, 1 − 5e-5·t)
 *     every archEvery-th t: α ← α − η_α ∇α L_val       on the next validation batch (first order,
 *                                                       or DARTS's second order with bilevelOrder: 2)
 *     W ← Adam(∇W L_train)                              on training batch t
 *   d_f = candidates[argmax_m α_fm]
 *   retrain: "scratch" (search() retrains DeepFM from the plan, plan_evaluation.ts, as for every
 *            method) or "inherit" (the chosen rows and folded projections, then fine-tuning;
 *            inherited_retrain.ts)
 *
 * The rows are split as plan_evaluation.ts splits them (ctrSplit with the run's seed): α sees
 * only the validation rows and nothing in the search sees the test rows.
 *
 * Budget: the search itself is not budget-bounded. The supernet holds every field value at every
 * candidate throughout: one d_M-wide row each when shared (the whole table at d_max), Σ d_m floats
 * each as AutoDim-s (Σ d_m / d_M of the full table: 126/64 for {2, 4, 8, 16, 32, 64}, 222/128 for
 * ESAPN's {2, 4, 8, 16, 64, 128}). result.peakSearchBytes reports these rows; α, the projections
 * and the head are left out (the head's first-order weight, one float a field value, is outside
 * planBytes too). Only the returned plan is held to a budget, per field before retraining
 * (AutoDimSearchLayer.planWithinBudget: the field whose α ranks its next smaller candidate closest
 * steps down first), so the plan evaluated is the plan returned. Under a hard memory cap while
 * training, use SCALL, or ESAPN, whose table is held to the budget at every batch.
 *
 * Settings (defaults): batchSize 256, searchEpochs 1, learningRate 0.01 (weights, Adam; also the
 * retraining's), archLearningRate 0.01, archOptimizer "adam" | "sgd", archEvery 1, bilevelOrder 1 | 2,
 * unrolledLearningRate 0.01 (ξ), shared true (false: "AutoDim-s"), batchNorm true, dim (D: the
 * largest candidate), tau 1, tauDecay 5e-5, tauMin 0.01, hidden [64, 32] ([] for an FM head),
 * retrain "scratch" | "inherit", retrainEpochs 1.
 *
 * Checkpoints are per training step: the supernet (α, the tables, projections, batch norms and
 * head), the weights' Adam, α's optimizer and the position (epoch, step, validation cursor);
 * the Gumbel noise is keyed by the step, so the resumed search is bit for bit the uninterrupted
 * one on the CPU. The retraining ("scratch" or "inherit") starts from its beginning.
 */
import { bceWithLogits } from "../../autograd/ops/loss_op.js";
import { backward } from "../../autograd/tape.js";
import { ctrSplit } from "../../data/splits.js";
import { deriveSeed, shuffleInPlace, uniformStream } from "../../data/seeds.js";
import { evaluateCtr, gatherRows, trainCtr, type CtrData } from "../../models/ctr_training.js";
import { Adam } from "../../optim/adam.js";
import { planBytes, type SizePlan } from "../../plan/size_plan.js";
import { Tensor } from "../../tensor.js";
import { moduleSnapshot, nestSnapshots, optimizerSnapshot, restoreModule, restoreOptimizer, snapshotPart } from "../../training/state_snapshot.js";
import type { SearchContext, SearchMethodDefinition, SearchOutcome } from "../search_context.js";
import { FieldHead, FieldModel } from "./field_model.js";
import { inheritFromSearch } from "./inherited_retrain.js";
import { AutoDimSearchLayer } from "./search_layer.js";
import { numberSetting, typedSetting } from "../settings.js";
import type { SettingSpec } from "../setting_table.js";



/** The searched supernet: the layer's field vectors under the head. */
export interface AutoDimSearch {
  layer: AutoDimSearchLayer;
  head: FieldHead;
  model: FieldModel;
  plan: SizePlan;
  /** Training steps taken (t = 0 … steps − 1). */
  steps: number;
}

/** Where the search stands before a training step: JSON, for a checkpoint. */
interface AutoDimPosition {
  epoch: number;
  /** The first row of the next training batch in the epoch's order. */
  start: number;
  /** Steps taken (t). */
  t: number;
  /** The next validation batch's first row in the validation order. */
  next: number;
}

/**
 * Runs the search (no retraining) on `fields`, training on `train` rows and stepping α on
 * `validation` rows; with search()'s checkpoint and resume, it stops and continues per step.
 */
export async function searchAutoDim(context: Pick<SearchContext, "candidates" | "seed" | "settings" | "budgetBytes" | "device">
                                      & Partial<Pick<SearchContext, "report" | "checkpoint" | "resume">>,
                                    fields: CtrData & { cardinalities: Int32Array }, train: Int32Array,
                                    validation: Int32Array): Promise<AutoDimSearch> {
  const { settings, seed, candidates } = context;
  const s = (name: string, fallback: number) => numberSetting(settings, name, fallback);
  if (validation.length === 0) throw new RangeError("AutoDim needs validation rows to step α on");
  // Not `order`, which every method reads as the stream order (style.md, one meaning per name).
  const order = s("bilevelOrder", 1);
  if (order !== 1 && order !== 2) throw new RangeError(`settings.bilevelOrder must be 1 or 2, got ${order}`);
  const layer = new AutoDimSearchLayer({
    fieldCardinalities: fields.cardinalities,
    candidates,
    dim: s("dim", candidates[candidates.length - 1]!),
    shared: typedSetting(settings, "shared", true, (v) => typeof v === "boolean", "a boolean"),
    batchNorm: typedSetting(settings, "batchNorm", true, (v) => typeof v === "boolean", "a boolean"),
    tau: s("tau", 1),
    tauDecay: s("tauDecay", 5e-5),
    tauMin: s("tauMin", 0.01),
    archEvery: s("archEvery", 1),
    order,
    archOptimizer: typedSetting(settings, "archOptimizer", "adam" as const, (v) => v === "adam" || v === "sgd", `"adam" or "sgd"`),
    archLearningRate: s("archLearningRate", 0.01),
    unrolledLearningRate: s("unrolledLearningRate", 0.01),
    seed: deriveSeed(seed, 1),
    device: context.device,
  });
  const head = new FieldHead({
    cardinalities: layer.cardinalities, dim: layer.dim, seed: deriveSeed(seed, 2), device: context.device,
    hidden: typedSetting(settings, "hidden", [64, 32], (v) => Array.isArray(v), "an array of layer sizes"),
  });
  const model = new FieldModel(layer, head, layer.cardinalities, context.device);
  const weights = model.parameters();
  const optimizer = new Adam(weights, { learningRate: s("learningRate", 0.01) });
  const batchSize = s("batchSize", 256);
  const epochs = s("searchEpochs", 1);
  const loss = (rows: Int32Array) => {
    const batch = gatherRows(fields, rows);
    return bceWithLogits(model.forward(batch.fields), Tensor.from(batch.clicks, { shape: [rows.length, 1], device: context.device }));
  };
  let position: AutoDimPosition = { epoch: 0, start: 0, t: 0, next: 0 };
  if (context.resume !== undefined) {
    restoreModule(snapshotPart(context.resume, "model"), model, optimizer);
    restoreOptimizer(snapshotPart(context.resume, "arch"), layer.archOptimizer);
    position = { ...context.resume.state.position as AutoDimPosition };
  }
  const checkpoint = () => context.checkpoint?.(() => nestSnapshots(
    { model: moduleSnapshot(model, optimizer), arch: optimizerSnapshot(layer.archOptimizer) }, { state: { position } }));
  const validationOrder = shuffleInPlace(validation.slice(), uniformStream(seed, 101));
  const validationBatch = () => {
    if (position.next >= validationOrder.length) position.next = 0;
    const rows = validationOrder.subarray(position.next, position.next + batchSize);
    position.next += batchSize;
    return rows;
  };

  const steps = epochs * Math.ceil(train.length / batchSize);
  model.train();
  for (; position.epoch < epochs; position = { ...position, epoch: position.epoch + 1, start: 0 }) {
    const order = shuffleInPlace(train.slice(), uniformStream(seed, 200 + position.epoch));
    for (; position.start < order.length; position = { ...position, start: position.start + batchSize, t: position.t + 1 }) {
      await checkpoint();
      const { start, t } = position;
      const trainRows = order.subarray(start, start + batchSize);
      layer.setStep(t);                                                       // τ_t
      if (layer.isArchStep(t)) {
        const validationRows = validationBatch();
        layer.archStep({ validationLoss: () => loss(validationRows), trainingLoss: () => loss(trainRows), weights });
      }
      optimizer.zeroGrad();
      const trainingLoss = loss(trainRows);                                   // L_train(W, α)
      backward(trainingLoss);
      optimizer.step();                                                       // W ← W − η∇W L_train
      if (t % 20 === 0 || t === steps - 1) {
        context.report?.({ phase: "search", step: t, total: steps, loss: trainingLoss.value.toArray()[0]!, bytes: planBytes(layer.plan()) });
      }
    }
  }
  await checkpoint();
  const plan = context.budgetBytes === undefined ? layer.plan() : layer.planWithinBudget(context.budgetBytes);
  return { layer, head, model, plan, steps: position.t };
}

async function runAutoDim(context: SearchContext): Promise<SearchOutcome> {
  const fields = context.data.fields;
  if (fields === undefined) throw new RangeError(`AutoDim needs data with categorical fields (generateSynthetic's numFields)`);
  const retrain = typedSetting(context.settings, "retrain", "scratch" as "scratch" | "inherit",
                               (v) => v === "scratch" || v === "inherit", `"scratch" or "inherit"`);
  const split = ctrSplit(fields.clicks.length, { seed: context.seed });
  const searched = await searchAutoDim(context, fields, split.train, split.validation);
  const { plan } = searched;
  context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
  const probabilities = searched.layer.probabilities();
  const searchMetrics = { searchSteps: searched.steps, minChosenProbability: minChosen(probabilities, searched.layer) };
  const { mixture } = searched.layer;
  const peakSearchBytes = mixture.embedding.numRows * mixture.rowWidth * 4;
  if (retrain === "scratch") return { plan, searchMetrics, peakSearchBytes };

  const model = inheritFromSearch(searched.layer, searched.head, plan, deriveSeed(context.seed, 3));
  const learningRate = numberSetting(context.settings, "learningRate", 0.01);
  trainCtr(model, new Adam(model.parameters(), { learningRate }), fields,
           { rows: split.train, epochs: numberSetting(context.settings, "retrainEpochs", 1), seed: context.seed });
  const test = evaluateCtr(model, fields, split.test);
  return { plan, searchMetrics, peakSearchBytes, planMetrics: { testAuc: test.auc, testLogLoss: test.logLoss } };
}

/** The smallest, over fields, of softmax(α_f) at the chosen candidate: how decided the search was. */
function minChosen(probabilities: Float64Array, layer: AutoDimSearchLayer): number {
  const M = layer.candidates.length;
  return Array.from(layer.argmax()).reduce((min, m, f) => Math.min(min, probabilities[f * M + m]!), 1);
}

const positive = { kind: "number", min: 0, max: Infinity, exclusiveMin: true } as const;
const autodimSettings: readonly SettingSpec[] = [
  { name: "batchSize", type: { kind: "integer", min: 1, max: 2 ** 24 }, default: 256, doc: "rows per batch" },
  { name: "searchEpochs", type: { kind: "integer", min: 1, max: 1000 }, default: 1, doc: "passes over the training rows while searching" },
  { name: "learningRate", type: positive, default: 0.01, doc: "the weights' Adam learning rate, and the retraining's" },
  { name: "archLearningRate", type: positive, default: 0.01, doc: "α's learning rate" },
  { name: "archOptimizer", type: { kind: "choice", values: ["adam", "sgd"] }, default: "adam", doc: "α's optimizer (Hetu: SGD)" },
  { name: "archEvery", type: { kind: "integer", min: 1, max: 1e9 }, default: 1, doc: "step α every this many training steps" },
  { name: "bilevelOrder", type: { kind: "choice", values: [1, 2] }, default: 1, doc: "the bi-level approximation: first order, or DARTS's second" },
  { name: "unrolledLearningRate", type: { kind: "number", min: 0, max: Infinity }, default: 0.01, doc: "ξ, the second order's unrolled step" },
  { name: "shared", type: { kind: "boolean" }, default: true, doc: "candidates share one row per id (false: AutoDim-s, a row per candidate)" },
  { name: "batchNorm", type: { kind: "boolean" }, default: true, doc: "batch-normalise each projected candidate" },
  { name: "dim", type: { kind: "integer", min: 1, max: 65536 }, default: "the largest candidate", doc: "D, the size every candidate is projected to" },
  { name: "tau", type: positive, default: 1, doc: "τ_0, the Gumbel-softmax temperature at the start" },
  { name: "tauDecay", type: { kind: "number", min: 0, max: Infinity }, default: 5e-5, doc: "τ's decay per step" },
  { name: "tauMin", type: positive, default: 0.01, doc: "τ's floor" },
  { name: "hidden", type: { kind: "sizes" }, default: [64, 32], doc: "the deep tower's widths ([] for an FM head)" },
  { name: "retrain", type: { kind: "choice", values: ["scratch", "inherit"] }, default: "scratch",
    doc: "retrain the plan from scratch (evaluatePlan), or from the search's rows and folded projections" },
];

export const autodimMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 32, 64],
  tasks: ["ctr"],
  settings: autodimSettings,
  run: runAutoDim,
};
