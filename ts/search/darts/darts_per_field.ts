/**
 * DARTS per field on CTR data (methods.md C §3): AutoDim's supernet without the noise. Each field
 * f mixes its candidates with p_f = softmax(α_f) (GumbelMixture in "softmax" mode: every candidate
 * a prefix of one d_M-wide row, projected to D, batch-normalised), the mixed field vectors feed a
 * DeepFM head (or FM), and the problem is bi-level:
 *
 *   for each training batch:
 *     a validation batch:  L_val(W, α) → ∇α → α's Adam        (first order: W is not unrolled)
 *     the training batch:  L_train(W, α) → ∇W → the weights' Adam
 *   plan: every id of field f at d_{argmax_m α_fm}
 *
 * The splits are evaluatePlan's (ctrSplit with the search's seed): weights on train, α on
 * validation, the search model's own AUC and logloss on test (searchMetrics testAuc, testLogLoss);
 * search() retrains the returned plan as DeepFM by evaluatePlan (result.metrics).
 *
 * The search is not budget-bounded: the supernet holds every field value at every candidate (one
 * d_M-wide row each, the candidates its prefixes: the whole table at d_max) throughout, and
 * peakSearchBytes says so (α, the projections and the head are left out; the head's first-order
 * weight, one float a field value, is outside planBytes too). Only the returned plan meets a
 * budget, afterwards: search() steps the least frequent ids down until it fits (the plan is then
 * no longer uniform within a field).
 *
 * Settings: batchSize (256), epochs (1), learningRate of the weights (0.01, as evaluatePlan's
 * retrain), alphaLearningRate (1e-3, Hetu's), dim D (the largest candidate), head ("deepfm" or
 * "fm"), hidden (the deep tower, [64, 32]).
 *
 * Checkpoints are per training batch: the supernet with α, both Adams, and the position (epoch,
 * batch, which shuffle of the validation rows is in use and how far into it). Resumed, the
 * search is bit for bit the uninterrupted one on the CPU.
 */
import { plus } from "../../autograd/ops/arithmetic_op.js";
import { reshapeOp } from "../../autograd/ops/gumbel_mixture_op.js";
import { bceWithLogits } from "../../autograd/ops/loss_op.js";
import { pairwiseInteraction } from "../../autograd/ops/pairwise_interaction_op.js";
import { backward } from "../../autograd/tape.js";
import type { Variable } from "../../autograd/variable.js";
import type { Device, DeviceOption } from "../../backend.js";
import { mulberry32 } from "../../data/random.js";
import { deriveSeed } from "../../data/seeds.js";
import { ctrSplit } from "../../data/splits.js";
import { evaluateCtr, gatherRows, type CtrData } from "../../models/ctr_training.js";
import { FieldLinear, splitFields, type FieldBatch } from "../../models/field_embeddings.js";
import { GumbelMixture } from "../../modules/gumbel_mixture.js";
import { MLP } from "../../modules/mlp.js";
import { Module } from "../../modules/module.js";
import { Adam } from "../../optim/adam.js";
import { planBytes } from "../../plan/size_plan.js";
import { Tensor } from "../../tensor.js";
import { moduleSnapshot, nestSnapshots, optimizerSnapshot, restoreModule, restoreOptimizer, snapshotPart } from "../../training/state_snapshot.js";
import type { SearchContext, SearchOutcome } from "../search_context.js";
import { numberSetting } from "../settings.js";
import type { SettingSpec } from "../setting_table.js";
import { batchBounds } from "../soft_selection/soft_stream.js";

export interface DartsFieldModelOptions {
  cardinalities: ArrayLike<number>;
  candidates: readonly number[];
  /** D. Default: the largest candidate. */
  dim?: number;
  /** "deepfm" (default): FM plus a deep tower over the mixed field vectors; "fm": the FM alone. */
  head?: "deepfm" | "fm";
  /** The deep tower's hidden sizes. Default [64, 32]. */
  hidden?: readonly number[];
  seed?: number;
  device?: DeviceOption;
}

/** The DARTS supernet with a DeepFM (or FM) head: logit = w0 + Σ_f w_f[x_f] + Σ_{f<g} ⟨v_f, v_g⟩ (+ MLP(v)). */
export class DartsFieldModel extends Module {
  readonly mixture: GumbelMixture;
  readonly linear: FieldLinear;
  readonly deep: MLP | undefined;
  readonly cardinalities: Int32Array;

  constructor({ cardinalities, candidates, dim, head = "deepfm", hidden = [64, 32], seed = 0, device = "cpu" }: DartsFieldModelOptions) {
    super();
    if (head !== "deepfm" && head !== "fm") throw new TypeError(`head must be "deepfm" or "fm", got ${JSON.stringify(head)}`);
    this.cardinalities = Int32Array.from(cardinalities);
    const fields = this.cardinalities.length;
    this.mixture = new GumbelMixture({
      fields, fieldCardinalities: Array.from(this.cardinalities), candidates, dim: dim ?? candidates[candidates.length - 1]!,
      mode: "softmax", seed: deriveSeed(seed, 1), device,
    });
    this.linear = new FieldLinear({ cardinalities: this.cardinalities, seed: deriveSeed(seed, 2), device });
    if (head === "deepfm" && !Array.isArray(hidden)) throw new TypeError(`hidden must be an array of layer sizes, got ${JSON.stringify(hidden)}`);
    this.deep = head === "fm" ? undefined
      : new MLP({ sizes: [fields * this.mixture.dim, ...hidden, 1], seed: deriveSeed(seed, 3), device });
  }

  get numFields(): number {
    return this.mixture.fields;
  }

  get device(): Device {
    return this.mixture.device;
  }

  /** Logits [B, 1] for B rows of F field ids (row-major [B, F]). */
  forward(fields: FieldBatch): Variable {
    const ids = splitFields(fields, this.cardinalities, this.device);
    const values = fields instanceof Tensor ? fields.toArray() as Int32Array : fields;
    const v = reshapeOp(this.mixture.forward(values), [ids.batchSize, this.numFields * this.mixture.dim]);
    const fm = plus(this.linear.forward(ids), pairwiseInteraction(v, this.numFields));
    return this.deep === undefined ? fm : plus(fm, this.deep.forward(v));
  }

  protected override children(): Record<string, Module> {
    return this.deep === undefined ? { mixture: this.mixture, linear: this.linear }
      : { mixture: this.mixture, linear: this.linear, deep: this.deep };
  }
}

function shuffled(rows: Int32Array, seed: number): Int32Array {
  const order = rows.slice();
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; --i) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Where the search stands before a training batch: JSON, for a checkpoint. */
interface FieldSearchPosition {
  epoch: number;
  /** The batch of the epoch to train on next. */
  batch: number;
  /** Batches trained on over every epoch. */
  step: number;
  /** The step whose reshuffle of the validation rows is in use; null for the first shuffle. */
  validationShuffle: number | null;
  /** Validation rows of that shuffle used so far. */
  validationAt: number;
}

/** Mean BCE of the model on rows of data. */
function rowsLoss(model: DartsFieldModel, data: CtrData, rows: Int32Array): Variable {
  const batch = gatherRows(data, rows);
  return bceWithLogits(model.forward(batch.fields), Tensor.from(batch.clicks, { shape: [rows.length, 1], device: model.device }));
}

/** The settings runDartsPerField reads, on CTR data. */
export const dartsPerFieldSettings: readonly SettingSpec[] = [
  { name: "batchSize", type: { kind: "integer", min: 2, max: 2 ** 24 }, default: 256, doc: "rows per batch", tasks: ["ctr"] },
  { name: "epochs", type: { kind: "integer", min: 1, max: 1000 }, default: 1, doc: "passes over the training rows", tasks: ["ctr"] },
  { name: "learningRate", type: { kind: "number", min: 0, max: Infinity, exclusiveMin: true }, default: 0.01,
    doc: "the weights' Adam learning rate, and the retraining's", tasks: ["ctr"] },
  { name: "alphaLearningRate", type: { kind: "number", min: 0, max: Infinity, exclusiveMin: true }, default: 1e-3,
    doc: "α's Adam learning rate (Hetu's)", tasks: ["ctr"] },
  { name: "dim", type: { kind: "integer", min: 1, max: 65536 }, default: "the largest candidate", doc: "D, the size every candidate is projected to",
    tasks: ["ctr"] },
  { name: "head", type: { kind: "choice", values: ["deepfm", "fm"] }, default: "deepfm", doc: "the search model's head", tasks: ["ctr"] },
  { name: "hidden", type: { kind: "sizes" }, default: [64, 32], doc: "the deep tower's widths", tasks: ["ctr"] },
];

export async function runDartsPerField(context: SearchContext): Promise<SearchOutcome> {
  const { data, candidates, seed, device, settings } = context;
  const fields = data.fields;
  if (fields === undefined) throw new RangeError(`task "ctr" needs data with categorical fields (generateSynthetic's numFields)`);
  const batchSize = numberSetting(settings, "batchSize", 256, { min: 2, max: 2 ** 24, integer: true });
  const epochs = numberSetting(settings, "epochs", 1, { min: 1, max: 1000, integer: true });
  const learningRate = numberSetting(settings, "learningRate", 0.01, { min: 0, exclusiveMin: true });
  const alphaLearningRate = numberSetting(settings, "alphaLearningRate", 1e-3, { min: 0, exclusiveMin: true });
  const dim = numberSetting(settings, "dim", candidates[candidates.length - 1]!, { min: 1, max: 65536, integer: true });
  const head = settings.head ?? "deepfm";
  if (head !== "deepfm" && head !== "fm") throw new TypeError(`settings.head must be "deepfm" or "fm", got ${JSON.stringify(head)}`);
  const hidden = settings.hidden ?? [64, 32];
  if (!Array.isArray(hidden) || !hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    throw new TypeError(`settings.hidden must be an array of layer sizes, got ${JSON.stringify(hidden)}`);
  }

  const split = ctrSplit(fields.clicks.length, { seed });
  if (split.train.length < 2 || split.validation.length < 2) {
    throw new RangeError(`DARTS per field needs at least 2 training and 2 validation rows, got ${split.train.length} and ` +
                         `${split.validation.length} of ${fields.clicks.length}`);
  }
  const model = new DartsFieldModel({ cardinalities: fields.cardinalities, candidates, dim, head, hidden, seed, device });
  // model.parameters() holds everything but α (GumbelMixture keeps α out of them).
  const weightOptimizer = new Adam(model.parameters(), { learningRate });
  const alphaOptimizer = new Adam(model.mixture.architectureParameters(), { learningRate: alphaLearningRate });
  const cardinalities = Array.from(fields.cardinalities);
  const bytesNow = () => model.mixture.argmax().reduce((sum, m, f) => sum + cardinalities[f]! * candidates[m]! * 4, 0);

  model.train();
  const { resume } = context;
  let position: FieldSearchPosition = { epoch: 0, batch: 0, step: 0, validationShuffle: null, validationAt: 0 };
  if (resume !== undefined) {
    restoreModule(snapshotPart(resume, "model"), model, weightOptimizer);
    restoreOptimizer(snapshotPart(resume, "alphaOptimizer"), alphaOptimizer);
    position = { ...resume.state.position as FieldSearchPosition };
  }
  const validationOrder = (shuffle: number | null) =>
    shuffled(split.validation, shuffle === null ? deriveSeed(seed, 1000) : deriveSeed(seed, 1001 + shuffle));
  let validation = validationOrder(position.validationShuffle);
  const checkpoint = () => context.checkpoint(() => nestSnapshots(
    { model: moduleSnapshot(model, weightOptimizer), alphaOptimizer: optimizerSnapshot(alphaOptimizer) }, { state: { position } }));
  for (; position.epoch < epochs; position = { ...position, epoch: position.epoch + 1, batch: 0 }) {
    const order = shuffled(split.train, deriveSeed(seed, position.epoch));
    const bounds = batchBounds(order.length, batchSize);
    for (; position.batch + 1 < bounds.length; position = { ...position, batch: position.batch + 1, step: position.step + 1 }) {
      await checkpoint();
      const { batch: t, step } = position;
      // α on the next validation batch (reshuffled when the validation rows run out).
      if (position.validationAt + 2 > validation.length) {
        position = { ...position, validationShuffle: step, validationAt: 0 };
        validation = validationOrder(step);
      }
      const end = Math.min(validation.length, position.validationAt + batchSize);
      const validationRows = validation.subarray(position.validationAt, validation.length - end === 1 ? validation.length : end);
      position = { ...position, validationAt: position.validationAt + validationRows.length };
      alphaOptimizer.zeroGrad();
      backward(rowsLoss(model, fields, validationRows));
      alphaOptimizer.step();
      // W on the training batch.
      weightOptimizer.zeroGrad();
      const loss = rowsLoss(model, fields, order.subarray(bounds[t]!, bounds[t + 1]!));
      backward(loss);
      weightOptimizer.step();
      context.report({ phase: "search", step, total: epochs * (bounds.length - 1), loss: loss.value.toArray()[0]!, bytes: bytesNow() });
    }
  }
  await checkpoint();

  const plan = model.mixture.plan();
  context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
  const searchMetrics: Record<string, number> = {};
  if (split.test.length > 0) {
    const test = evaluateCtr(model, fields, split.test);
    searchMetrics.testAuc = test.auc;
    searchMetrics.testLogLoss = test.logLoss;
  }
  // The supernet's table: every id at the sum of candidates, or at d_M when they share a row.
  const peakSearchBytes = model.mixture.embedding.numRows * model.mixture.rowWidth * 4;
  return { plan, searchMetrics, peakSearchBytes };
}
