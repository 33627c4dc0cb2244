/**
 * AutoDimSearchLayer: AutoDim's search (methods.md C §1) as a layer for a CTR model of your own.
 * It gives each row's F field vectors from the Gumbel-softmax supernet (GumbelMixture: every
 * candidate size d_m of field f, projected to D and batch-normalised, mixed by
 * softmax((log α_f + g)/τ_t)), and runs the bi-level optimisation's α side:
 *
 *   for t = 0, 1, …:
 *     layer.setStep(t)                                  τ_t = max(0.01, 1 − 5e-5·t)
 *     if layer.isArchStep(t): layer.archStep(…)         α ← α − η_α ∇α L_val     (validation batch)
 *     zeroGrad; backward(L_train); weights.step()       W ← W − η ∇W L_train     (training batch)
 *   layer.plan()                                        d_f = candidates[argmax_m α_fm]
 *   layer.resize(yourTables)                            (optional) your per-field MixedDimEmbeddings to d_f
 *
 * α is stepped only by archStep, with the layer's own optimizer (Adam by default, or SGD as in
 * Hetu); your optimizer steps weightParameters() and your model's weights. First order (the
 * default, Hetu's) takes ∇α L_val(W, α). Second order is DARTS's: with W' = W − ξ∇W L_train(W, α),
 *
 *   ∇α ≈ ∇α L_val(W', α) − ξ·(∇α L_train(W⁺, α) − ∇α L_train(W⁻, α)) / 2ε,
 *   W± = W ± ε·∇W' L_val(W', α),  ε = 0.01/‖∇W' L_val(W', α)‖,
 *
 * which needs every weight the losses depend on (the layer's and your model's) and the training
 * loss; the weights are back where they were when archStep returns. The extra forwards update
 * batch-norm running statistics, as DARTS's do.
 */
import { integerInRange, numberInRange, oneOf } from "../../arguments.js";
import { backward } from "../../autograd/tape.js";
import { reshapeOp } from "../../autograd/ops/gumbel_mixture_op.js";
import type { Variable } from "../../autograd/variable.js";
import type { Device, DeviceOption } from "../../backend.js";
import { fieldTableName, type FieldBatch } from "../../models/field_embeddings.js";
import { GumbelMixture } from "../../modules/gumbel_mixture.js";
import type { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import { Module, type Parameter } from "../../modules/module.js";
import { Adam } from "../../optim/adam.js";
import type { Optimizer } from "../../optim/optimizer.js";
import { SGD } from "../../optim/sgd.js";
import type { SizePlan } from "../../plan/size_plan.js";
import { describe, Tensor } from "../../tensor.js";
import { captureGradients, gradientNorm, WeightPerturbation } from "./weight_perturbation.js";

export interface AutoDimSearchLayerOptions {
  /** Ids of each field; F = its length. */
  fieldCardinalities: ArrayLike<number>;
  /** Candidate sizes d_1 < … < d_M. */
  candidates: readonly number[];
  /** D, the size of every field vector. Default: the largest candidate. */
  dim?: number;
  /** Weight sharing: candidate m is the first d_m values of one d_M-wide row (true, AutoDim's default), or tables of their own ("AutoDim-s"). */
  shared?: boolean;
  /** Batch norm after each candidate's projection. Default true. */
  batchNorm?: boolean;
  /** τ_0 > 0 (default 1); setStep(t) then sets τ_t = max(tauMin, 1 − tauDecay·t). */
  tau?: number;
  /** Default 5e-5 (AutoDim; Hetu uses 5e-5·B/2000 for batch size B). */
  tauDecay?: number;
  /** Default 0.01. */
  tauMin?: number;
  /** α is stepped at every archEvery-th step (isArchStep). Default 1 (Hetu; Autogrow uses 10). */
  archEvery?: number;
  /** 1: first-order (default); 2: DARTS's second order by finite differences. */
  order?: 1 | 2;
  /** α's optimizer. Default "adam". */
  archOptimizer?: "adam" | "sgd";
  /** α's learning rate. Default 0.01 (Hetu: SGD at 1e-3, over epochs of Criteo). */
  archLearningRate?: number;
  /** ξ, the virtual step of the second order. Default 0.01. */
  unrolledLearningRate?: number;
  /** Seeds the tables, projections and Gumbel noise. Default 0. */
  seed?: number;
  device?: DeviceOption;
}

export interface ArchStepLosses {
  /** L_val(W, α) on a validation batch; called once per step (three times in second order). */
  validationLoss: () => Variable;
  /** L_train(W, α) on the step's training batch; second order only. */
  trainingLoss?: () => Variable;
  /**
   * Every weight the losses depend on: weightParameters() and your model's. Their gradients are
   * cleared when archStep returns. Default: weightParameters().
   */
  weights?: readonly Parameter[];
}

export class AutoDimSearchLayer extends Module {
  readonly mixture: GumbelMixture;
  readonly cardinalities: Int32Array;
  readonly archEvery: number;
  readonly order: 1 | 2;
  readonly unrolledLearningRate: number;
  readonly archOptimizer: Optimizer;

  /**
   * @example
   * const layer = new AutoDimSearchLayer({ fieldCardinalities: [10, 100, 1000], candidates: [2, 4, 8, 16], seed: 1 });
   * const vectors = layer.forward(batchFields);     // Variable [B, 3·16]: feed your own model
   * const plan = layer.plan();                      // after the search: each field at its argmax size
   */
  constructor(options: AutoDimSearchLayerOptions) {
    super();
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    const cardinalities = options.fieldCardinalities;
    if (typeof cardinalities !== "object" || cardinalities === null || typeof cardinalities.length !== "number") {
      throw new TypeError(`fieldCardinalities must be an array of id counts, one per field, got ${describe(cardinalities)}`);
    }
    const candidates = options.candidates;
    if (!Array.isArray(candidates) || candidates.length === 0) {
      throw new TypeError(`candidates must be a non-empty array of sizes, got ${describe(candidates)}`);
    }
    const largest = candidates[candidates.length - 1];
    const dim = options.dim ?? largest;
    this.mixture = new GumbelMixture({
      fields: cardinalities.length,
      fieldCardinalities: Array.from(cardinalities),
      candidates,
      dim,
      shared: options.shared ?? true,
      batchNorm: options.batchNorm ?? true,
      mode: "gumbel",
      tau: options.tau ?? 1,
      ...(options.tauDecay === undefined ? {} : { tauDecay: options.tauDecay }),
      ...(options.tauMin === undefined ? {} : { tauMin: options.tauMin }),
      seed: options.seed ?? 0,
      ...(options.device === undefined ? {} : { device: options.device }),
    });
    this.cardinalities = Int32Array.from(this.mixture.fieldCardinalities);
    this.archEvery = integerInRange(options.archEvery ?? 1, "archEvery", 1, 2 ** 31 - 1);
    const order = options.order ?? 1;
    if (order !== 1 && order !== 2) throw new RangeError(`order must be 1 or 2, got ${describe(order)}`);
    this.order = order;
    this.unrolledLearningRate = numberInRange(options.unrolledLearningRate ?? 0.01, "unrolledLearningRate", 0, Number.MAX_VALUE);
    const learningRate = numberInRange(options.archLearningRate ?? 0.01, "archLearningRate", 0, Number.MAX_VALUE, true);
    this.archOptimizer = oneOf(options.archOptimizer ?? "adam", "archOptimizer", ["adam", "sgd"]) === "adam"
      ? new Adam(this.archParameters(), { learningRate })
      : new SGD(this.archParameters(), { learningRate });
  }

  get numFields(): number {
    return this.mixture.fields;
  }

  /** D, the size of each field vector. */
  get dim(): number {
    return this.mixture.dim;
  }

  get candidates(): readonly number[] {
    return this.mixture.candidates;
  }

  get device(): Device {
    return this.mixture.device;
  }

  /** The temperature of the next forward. */
  get tau(): number {
    return this.mixture.tau;
  }

  /** Sets step t: τ_t = max(tauMin, 1 − tauDecay·t) and the Gumbel noise of step t. */
  setStep(t: number): void {
    this.mixture.setStep(t);
  }

  /** Whether step t updates α: every archEvery-th step, from t = 0. */
  isArchStep(t: number): boolean {
    return integerInRange(t, "t", 0, Number.MAX_SAFE_INTEGER) % this.archEvery === 0;
  }

  /** fields [B, F] row-major (an Int32Array of B·F ids, or an int32 Tensor [B, F]) → the field vectors side by side, [B, F·D]. */
  forward(fields: FieldBatch): Variable {
    const mixed = this.mixture.forward(fields);
    return reshapeOp(mixed, [mixed.shape[0]!, this.numFields * this.dim]);
  }

  /**
   * Training mode mixes with Gumbel noise; eval() mixes with softmax(log α/τ), without noise, so
   * that evaluation is deterministic (batch norm switches to running statistics as usual).
   */
  override train(training = true): this {
    super.train(training);
    this.mixture.mode = training ? "gumbel" : "softmax";
    return this;
  }

  /** log α [F, M], which only archStep's optimizer steps. */
  archParameters(): Variable[] {
    return this.mixture.architectureParameters();
  }

  /** The tables, projections (and batch-norm γ, β when present): for your weight optimizer, with your model's parameters. */
  weightParameters(): Parameter[] {
    return this.parameters();
  }

  /** One update of α on a validation batch (first or second order, see the file's comment). */
  archStep(losses: ArchStepLosses): void {
    if (typeof losses !== "object" || losses === null || typeof losses.validationLoss !== "function") {
      throw new TypeError("archStep needs { validationLoss: () => Variable }");
    }
    const weights = losses.weights ?? this.weightParameters();
    if (!Array.isArray(weights)) throw new TypeError(`weights must be an array of parameters, got ${describe(weights)}`);
    const logAlpha = this.mixture.logAlpha;
    const clear = () => {
      for (const p of weights) p.zeroGrad();
      logAlpha.zeroGrad();
    };
    clear();
    if (this.order === 1) {
      backward(losses.validationLoss());
    } else {
      if (typeof losses.trainingLoss !== "function") throw new TypeError("archStep in second order needs trainingLoss: () => Variable");
      logAlpha.grad = this.secondOrderGradient(losses.validationLoss, losses.trainingLoss, weights, clear);
    }
    for (const p of weights) p.zeroGrad();
    this.archOptimizer.step();
    logAlpha.zeroGrad();
  }

  /** ∇α L_val(W', α) − ξ(∇α L_train(W⁺) − ∇α L_train(W⁻))/2ε, leaving the weights as they were. */
  private secondOrderGradient(validationLoss: () => Variable, trainingLoss: () => Variable,
                              weights: readonly Parameter[], clear: () => void): Tensor<"float32"> {
    const logAlpha = this.mixture.logAlpha;
    const xi = this.unrolledLearningRate;
    const alphaGradient = () => Float64Array.from(logAlpha.grad?.toArray() ?? new Float32Array(logAlpha.value.size));
    const moved = new WeightPerturbation();

    backward(trainingLoss());                                  // ∇W L_train(W, α)
    moved.add(captureGradients(weights), -xi);                 // W' = W − ξ∇W L_train
    clear();
    backward(validationLoss());                                // at W'
    const gradient = alphaGradient();                          // ∇α L_val(W', α)
    const dw = captureGradients(weights);                      // ∇W' L_val(W', α)
    moved.restore();
    clear();
    const norm = gradientNorm(dw);
    if (xi > 0 && norm > 0) {
      const epsilon = 0.01 / norm;
      const trainingGradientAt = (sign: number) => {
        moved.add(dw, sign * epsilon);
        backward(trainingLoss());
        const g = alphaGradient();
        moved.restore();
        clear();
        return g;
      };
      const plus = trainingGradientAt(1);
      const minus = trainingGradientAt(-1);
      for (let i = 0; i < gradient.length; ++i) gradient[i]! -= (xi * (plus[i]! - minus[i]!)) / (2 * epsilon);
    }
    return Tensor.from(Float32Array.from(gradient), { shape: logAlpha.shape, device: logAlpha.device });
  }

  /** Each field's chosen candidate index: argmax_m log α_fm (the first on a tie). */
  argmax(): Int32Array {
    return this.mixture.argmax();
  }

  /** softmax(log α_f) per field, [F·M] row-major: the search's preference without noise. */
  probabilities(): Float64Array {
    const alpha = this.mixture.logAlpha.value.toArray();
    const M = this.candidates.length;
    const p = new Float64Array(alpha.length);
    for (let f = 0; f < this.numFields; ++f) {
      let max = -Infinity;
      for (let m = 0; m < M; ++m) max = Math.max(max, alpha[f * M + m]!);
      let sum = 0;
      for (let m = 0; m < M; ++m) sum += p[f * M + m] = Math.exp(alpha[f * M + m]! - max);
      for (let m = 0; m < M; ++m) p[f * M + m]! /= sum;
    }
    return p;
  }

  /** The searched architecture: table "field<f>" with every id of field f at candidates[argmax_m α_fm]. */
  plan(): SizePlan {
    return this.fieldPlan(this.argmax());
  }

  /**
   * The argmax plan held to a budget: while it is over, the field whose α ranks its next smaller
   * candidate closest to its current one (the smallest log α_f,m − log α_f,m−1; ties: the field
   * saving more bytes) steps down one candidate. A RangeError when every field at the smallest
   * candidate is already over.
   */
  planWithinBudget(budgetBytes: number): SizePlan {
    const budget = numberInRange(budgetBytes, "budgetBytes", 0, Number.MAX_VALUE);
    const { candidates, cardinalities } = this;
    const smallest = cardinalities.reduce((total, n) => total + n * candidates[0]! * 4, 0);
    if (smallest > budget) {
      throw new RangeError(`budget of ${budget} bytes cannot be met: every field at the smallest candidate ` +
                           `(${candidates[0]}) already takes ${smallest} bytes`);
    }
    const chosen = this.argmax();
    const alpha = this.mixture.logAlpha.value.toArray();
    const M = candidates.length;
    let bytes = cardinalities.reduce((total, n, f) => total + n * candidates[chosen[f]!]! * 4, 0);
    while (bytes > budget) {
      let best = -1;
      let bestLoss = Infinity;
      let bestSaving = 0;
      chosen.forEach((m, f) => {
        if (m === 0) return;
        const loss = alpha[f * M + m]! - alpha[f * M + m - 1]!;
        const saving = cardinalities[f]! * (candidates[m]! - candidates[m - 1]!) * 4;
        if (loss < bestLoss || (loss === bestLoss && saving > bestSaving)) [best, bestLoss, bestSaving] = [f, loss, saving];
      });
      chosen[best] = chosen[best]! - 1;
      bytes -= bestSaving;
    }
    return this.fieldPlan(chosen);
  }

  /**
   * Resizes your own per-field tables to a per-field plan (default: plan()): every id of field f to
   * the field's size, truncating or zero-extending rows (MixedDimEmbedding.resize). Table f must
   * hold field f's ids and list the field's size among its candidates.
   */
  resize(tables: readonly MixedDimEmbedding[], plan: SizePlan = this.plan()): void {
    if (!Array.isArray(tables) || tables.length !== this.numFields) {
      throw new RangeError(`tables must hold one MixedDimEmbedding per field (${this.numFields}), got ${describe(tables)}`);
    }
    tables.forEach((table, f) => {
      const sizes = plan.tables[fieldTableName(f)];
      if (sizes === undefined) throw new RangeError(`the plan has no table "${fieldTableName(f)}"`);
      if (table.numRows !== sizes.length) {
        throw new RangeError(`tables[${f}] has ${table.numRows} rows but field ${f} has ${sizes.length} ids`);
      }
      table.resize(Int32Array.from({ length: sizes.length }, (_, i) => i), sizes);
    });
  }

  private fieldPlan(chosen: Int32Array): SizePlan {
    const tables: Record<string, Int32Array> = {};
    this.cardinalities.forEach((n, f) => {
      tables[fieldTableName(f)] = new Int32Array(n).fill(this.candidates[chosen[f]!]!);
    });
    return { candidates: this.candidates, tables };
  }

  protected override children(): Record<string, Module> {
    return { mixture: this.mixture };
  }
}
