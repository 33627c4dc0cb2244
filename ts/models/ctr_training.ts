/**
 * Training and evaluation of CTR models on row-major multi-field data (generateSynthetic's
 * `fields`, or any { numFields, values, clicks }): shuffled mini-batches of rows → logits →
 * mean BCE with logits → backward → optimizer step; evaluation gives AUC and logloss over rows
 * (methods.md C §1), and the logloss of the constant base-rate prediction to compare with.
 */
import { integerInRange } from "../arguments.js";
import type { Device } from "../backend.js";
import { bceWithLogits } from "../autograd/ops/loss_op.js";
import { backward, noGrad } from "../autograd/tape.js";
import type { Variable } from "../autograd/variable.js";
import { mulberry32 } from "../data/random.js";
import { deriveSeed } from "../data/seeds.js";
import { auc } from "../metrics/auc.js";
import { logLossFromLogits } from "../metrics/classification.js";
import type { Optimizer } from "../optim/optimizer.js";
import { describe, Tensor } from "../tensor.js";
import type { FieldBatch } from "./field_embeddings.js";

/** Rows of F categorical ids and a click label each: values is row-major [n, F]. */
export interface CtrData {
  readonly numFields: number;
  readonly values: Int32Array;
  readonly clicks: Float32Array;
}

/** What the loop needs of a model: logits [B, 1] from a batch of field ids (FM, WideAndDeep, DeepFM). */
export interface CtrModel {
  readonly numFields: number;
  readonly training: boolean;
  forward(fields: FieldBatch): Variable;
  train(training?: boolean): unknown;
  /** The device its parameters live on; labels go there. Default "cpu". */
  readonly device?: Device;
}

export interface CtrTrainOptions {
  /** The rows to train on (e.g. ctrSplit(n).train). */
  rows: Int32Array;
  /** Default 1. */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /** Seeds the shuffle of each epoch (default 0). */
  seed?: number;
  /** Called after each epoch with its number (from 0) and mean training loss. */
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

export interface CtrEvaluation {
  auc: number;
  logLoss: number;
  rows: number;
}

function checkData(data: CtrData): number {
  if (typeof data !== "object" || data === null) throw new TypeError(`data must be { numFields, values, clicks }, got ${describe(data)}`);
  const numFields = integerInRange(data.numFields, "data.numFields", 1, 65536);
  if (!(data.values instanceof Int32Array)) throw new TypeError(`data.values must be an Int32Array, got ${describe(data.values)}`);
  if (!(data.clicks instanceof Float32Array)) throw new TypeError(`data.clicks must be a Float32Array, got ${describe(data.clicks)}`);
  if (data.values.length !== data.clicks.length * numFields) {
    throw new RangeError(`data.values has ${data.values.length} ids but ${data.clicks.length} rows × ${numFields} fields need ` +
                         `${data.clicks.length * numFields}`);
  }
  return data.clicks.length;
}

function checkRows(rows: unknown, n: number, argument: string): Int32Array {
  if (!(rows instanceof Int32Array)) throw new TypeError(`${argument} must be an Int32Array of row indices, got ${describe(rows)}`);
  for (let i = 0; i < rows.length; ++i) {
    const r = rows[i]!;
    if (r < 0 || r >= n) throw new RangeError(`${argument}[${i}] = ${r} is out of range [0, ${n})`);
  }
  return rows;
}

/** The field ids [rows.length, F] and clicks [rows.length] of the given rows. */
export function gatherRows(data: CtrData, rows: Int32Array): { fields: Int32Array; clicks: Float32Array } {
  const n = checkData(data);
  checkRows(rows, n, "rows");
  const f = data.numFields;
  const fields = new Int32Array(rows.length * f);
  const clicks = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    fields.set(data.values.subarray(r * f, (r + 1) * f), i * f);
    clicks[i] = data.clicks[r]!;
  });
  return { fields, clicks };
}

function checkModel(model: CtrModel, data: CtrData): void {
  if (model.numFields !== data.numFields) {
    throw new RangeError(`the model takes ${model.numFields} fields but data has ${data.numFields}`);
  }
}

/**
 * Trains `model` on `rows` of `data` with `optimizer` (built over model.parameters()); returns
 * the mean training loss of each epoch.
 *
 * @example
 * const split = ctrSplit(data.fields.clicks.length, { seed: 1 });
 * const model = new DeepFM({ plan: fixedFieldPlan(data.fields.cardinalities, 16), numFields: 8 });
 * trainCtr(model, new Adam(model.parameters(), { learningRate: 1e-3 }), data.fields, { rows: split.train, epochs: 2 });
 * const { auc, logLoss } = evaluateCtr(model, data.fields, split.test);
 */
export function trainCtr(model: CtrModel, optimizer: Optimizer, data: CtrData, options: CtrTrainOptions): number[] {
  const n = checkData(data);
  checkModel(model, data);
  const rows = checkRows(options.rows, n, "rows");
  const epochs = integerInRange(options.epochs ?? 1, "epochs", 0, 2 ** 31 - 1);
  const batchSize = integerInRange(options.batchSize ?? 256, "batchSize", 1, 2 ** 31 - 1);
  const seed = integerInRange(options.seed ?? 0, "seed", 0, Number.MAX_SAFE_INTEGER);
  const device = model.device ?? "cpu";
  const losses: number[] = [];
  model.train();
  for (let epoch = 0; epoch < epochs; ++epoch) {
    const order = shuffled(rows, deriveSeed(seed, epoch));
    let total = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = gatherRows(data, order.subarray(start, Math.min(start + batchSize, order.length)));
      optimizer.zeroGrad();
      const labels = Tensor.from(batch.clicks, { shape: [batch.clicks.length, 1], device });
      const loss = bceWithLogits(model.forward(batch.fields), labels);
      backward(loss);
      optimizer.step();
      total += loss.value.toArray()[0]! * batch.clicks.length;
    }
    const mean = order.length === 0 ? NaN : total / order.length;
    losses.push(mean);
    options.onEpoch?.(epoch, mean);
  }
  return losses;
}

/** The model's logits for `rows` of `data`, in eval mode and without the tape. */
export function predictCtr(model: CtrModel, data: CtrData, rows: Int32Array, batchSize = 4096): Float32Array {
  const n = checkData(data);
  checkModel(model, data);
  checkRows(rows, n, "rows");
  integerInRange(batchSize, "batchSize", 1, 2 ** 31 - 1);
  const logits = new Float32Array(rows.length);
  const training = model.training;
  model.train(false);
  try {
    noGrad(() => {
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch = gatherRows(data, rows.subarray(start, Math.min(start + batchSize, rows.length)));
        logits.set(model.forward(batch.fields).value.toArray(), start);
      }
    });
  } finally {
    model.train(training);
  }
  return logits;
}

/** AUC and mean logloss of the model on `rows` of `data`. Both classes must occur in those rows. */
export function evaluateCtr(model: CtrModel, data: CtrData, rows: Int32Array, batchSize = 4096): CtrEvaluation {
  const logits = predictCtr(model, data, rows, batchSize);
  const labels = gatherRows(data, rows).clicks;
  return { auc: auc(logits, labels), logLoss: logLossFromLogits(logits, labels), rows: rows.length };
}

/**
 * The logloss on `evalRows` of the constant prediction p = the click rate of `trainRows`: what a
 * model that learned nothing about the fields reaches.
 */
export function baseRateLogLoss(data: CtrData, trainRows: Int32Array, evalRows: Int32Array): number {
  const train = gatherRows(data, trainRows).clicks;
  const clicks = gatherRows(data, evalRows).clicks;
  if (train.length === 0 || clicks.length === 0) throw new RangeError("trainRows and evalRows must both hold rows");
  const rate = train.reduce((s, y) => s + y, 0) / train.length;
  const logit = Math.log(rate / (1 - rate));
  if (!Number.isFinite(logit)) throw new RangeError(`the training rows' click rate is ${rate}: the base-rate logloss is infinite`);
  return logLossFromLogits(new Float32Array(clicks.length).fill(logit), clicks);
}

function shuffled(rows: Int32Array, seed: number): Int32Array {
  const order = rows.slice();
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; --i) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
