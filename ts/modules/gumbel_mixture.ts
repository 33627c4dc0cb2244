/**
 * GumbelMixture: the supernet of AutoDim and DARTS (methods.md C1, C3). Each field f looks its
 * id up at every candidate size d_m, projects each candidate to the common size D, batch-normalises
 * it, and mixes the candidates with weights from the architecture logits log α [F, M]:
 *
 *   h_fm = BN_fm(W_fm e_fm + b_fm),   out_f = Σ_m w_fm h_fm,
 *   w_f = softmax((log α_f + g_f)/τ)  ("gumbel": AutoDim),  softmax(log α_f/τ)  ("softmax": DARTS),
 *         or onehot(argmax) of the Gumbel weights with the soft gradient  ("hard").
 *
 * Bi-level search: α is trained on validation batches by an optimizer of its own
 * (architectureParameters()); parameters() — the tables, W, b and the batch norms' γ, β — are what
 * the training-batch optimizer steps. α is not among parameters(); state()/load() carry it as
 * `logAlpha`. The module advances nothing itself: set `tau` and `step` (the Gumbel noise key) before
 * each forward, or call setStep(t), which applies AutoDim's schedule τ_t = max(0.01, 1 − 5e-5·t).
 *
 * Layouts:
 * - One embedding table for all fields (fields stacked: field f's id i is row fieldOffsets[f] + i),
 *   so one lookup of the batch's B·F ids gives e [B, F, K] as the mixture kernels want it.
 *   Weight sharing (`shared`, AutoDim's default): K = d_M and candidate m is a row's first d_m entries.
 *   Separate tables ("AutoDim-s", Hetu): K = Σ d_m, candidate m in columns [o_m, o_m + d_m) of the row,
 *   which is M tables of n_f × d_m side by side — the same n_f·Σd_m parameters.
 * - weights [F, D, Σ d_m] (W_fm, D × d_m, is column block m), U(±1/sqrt(d_m)) as nn.Linear(d_m, D);
 *   biases [F, M, D], U(±1/sqrt(d_m)) likewise (Hetu starts them at zero; Autogrow uses nn.Linear).
 * - log α [F, M] starts at zero: uniform weights, as Autogrow's θ = 1 (softmax ignores a per-field
 *   constant, so Hetu's log_softmax(α) is the same parameter).
 * - Batch norm: by default one BatchNorm1d(D) per (field, candidate) over the batch (Autogrow; one
 *   BN of F·M·D features on h viewed as [B, F·M·D], which is the same thing). `batchNormStatistics:
 *   "pooled"` gives Hetu's one BN per candidate with statistics over batch × fields (h viewed as
 *   [B·F, M·D]). γ, β are off by default, as in Hetu (scale=False, bias=False) and the paper's formula.
 *   Without batch norm the projection and the mix run fused (projectAndMix), one GEMM per field.
 */
import { integerInRange, int32Array, numberInRange } from "../arguments.js";
import { embeddingLookup } from "../autograd/ops/embedding_op.js";
import {
  mixtureWeightsOp, projectAndMixOp, projectCandidatesOp, reshapeOp, weightedSumOp,
} from "../autograd/ops/gumbel_mixture_op.js";
import { Variable } from "../autograd/variable.js";
import { resolveDevice, type Device, type DeviceOption } from "../backend.js";
import { mixtureInputWidth, type MixtureMode } from "../ops/gumbel_mixture.js";
import type { SizePlan } from "../plan/size_plan.js";
import { mulberry32 } from "../data/random.js";
import { Tensor } from "../tensor.js";
import { BatchNorm } from "./batch_norm.js";
import { Embedding } from "./mixed_dim_embedding.js";
import { Module, type Parameter } from "./module.js";

export type { MixtureMode };

export interface GumbelMixtureOptions {
  /** F, the number of fields; must equal fieldCardinalities.length. */
  fields: number;
  /** Rows (distinct ids) of each field. */
  fieldCardinalities: readonly number[];
  /** Candidate sizes d_1 < … < d_M. */
  candidates: readonly number[];
  /** D, the common size every candidate is projected to. */
  dim: number;
  /** One table of d_M-wide rows per field, candidate m its prefix (true, default); or a table per candidate. */
  shared?: boolean;
  /** Batch norm after each candidate's projection. Default true. */
  batchNorm?: boolean;
  /** "field" (default): one BN per (field, candidate); "pooled": one per candidate over batch × fields (Hetu). */
  batchNormStatistics?: "field" | "pooled";
  /** Learnable γ and β in the batch norms. Default false. */
  batchNormAffine?: boolean;
  /** Default "gumbel". */
  mode?: MixtureMode;
  /** Initial temperature τ > 0. Default 1. */
  tau?: number;
  /** setStep's schedule τ_t = max(tauMin, 1 − tauDecay·t). Defaults 5e-5 and 0.01 (AutoDim; Hetu scales the decay by B/2000). */
  tauDecay?: number;
  tauMin?: number;
  /** Seeds the tables, W, b and the Gumbel noise. Default 0. */
  seed?: number;
  /** Standard deviation of the tables' initial N(0, σ²) values. Default 0.01 (the store's). */
  initStd?: number;
  device?: DeviceOption;
}

const modes: readonly MixtureMode[] = ["gumbel", "softmax", "hard"];

function checkMode(mode: unknown): MixtureMode {
  if (!modes.includes(mode as MixtureMode)) {
    throw new TypeError(`mode must be "gumbel", "softmax" or "hard", got ${JSON.stringify(mode)}`);
  }
  return mode as MixtureMode;
}

function checkTau(tau: unknown): number {
  return numberInRange(tau, "tau", 0, Number.MAX_VALUE, true);
}

export class GumbelMixture extends Module {
  readonly fields: number;
  readonly fieldCardinalities: readonly number[];
  /** Field f's id i is row fieldOffsets[f] + i of the table. */
  readonly fieldOffsets: Int32Array;
  readonly candidates: readonly number[];
  readonly dim: number;
  readonly shared: boolean;
  readonly device: Device;
  /** Width K of a table row: d_M when shared, Σ d_m otherwise. */
  readonly rowWidth: number;
  readonly embedding: Embedding;
  /** [F, D, Σ d_m]. */
  readonly weights: Variable;
  /** [F, M, D]. */
  readonly biases: Variable;
  /** The architecture logits log α [F, M]. */
  readonly logAlpha: Variable;
  readonly batchNorm: BatchNorm | undefined;
  readonly batchNormStatistics: "field" | "pooled";
  readonly seed: number;
  readonly tauDecay: number;
  readonly tauMin: number;
  #mode: MixtureMode;
  #tau: number;
  #step = 0;

  /**
   * @example
   * const mixture = new GumbelMixture({ fields: 3, fieldCardinalities: [100, 20, 7], candidates: [2, 8, 16],
   *                                     dim: 16, seed: 1 });
   * mixture.setStep(t);                      // τ_t and the noise key
   * const e = mixture.forward(ids);          // ids [B·F] row-major → Variable [B, F, 16]
   * const chosen = mixture.plan();           // after the search: each field at its argmax size
   */
  constructor(options: GumbelMixtureOptions) {
    super();
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    this.fields = integerInRange(options.fields, "fields", 1, 2 ** 20);
    const cardinalities = options.fieldCardinalities;
    if (!Array.isArray(cardinalities)) {
      throw new TypeError("fieldCardinalities must be an array of row counts, one per field");
    }
    if (cardinalities.length !== this.fields) {
      throw new RangeError(`fieldCardinalities has ${cardinalities.length} entries but fields is ${this.fields}`);
    }
    this.fieldCardinalities = cardinalities.map((n, f) => integerInRange(n, `fieldCardinalities[${f}]`, 1, 2 ** 31 - 1));
    this.fieldOffsets = new Int32Array(this.fields);
    let rows = 0;
    this.fieldCardinalities.forEach((n, f) => {
      this.fieldOffsets[f] = rows;
      rows += n;
    });
    if (rows > 2 ** 31 - 1) throw new RangeError(`fieldCardinalities add up to ${rows} rows, more than 2^31 − 1`);

    const candidates = options.candidates;
    if (!Array.isArray(candidates) || candidates.length < 1) {
      throw new TypeError("candidates must be a non-empty array of sizes");
    }
    candidates.forEach((d, m) => {
      integerInRange(d, `candidates[${m}]`, 1, 65536);
      if (m > 0 && d <= candidates[m - 1]!) {
        throw new RangeError(`candidates must be strictly increasing, got [${candidates.join(", ")}]`);
      }
    });
    this.candidates = Object.freeze([...candidates]);
    this.dim = integerInRange(options.dim, "dim", 1, 65536);
    this.shared = options.shared ?? true;
    if (typeof this.shared !== "boolean") throw new TypeError(`shared must be a boolean, got ${typeof this.shared}`);
    this.rowWidth = mixtureInputWidth(this.candidates, this.shared);
    if (this.rowWidth > 65536) throw new RangeError(`a row of ${this.rowWidth} values is too wide (candidates add up past 65536)`);
    this.#mode = checkMode(options.mode ?? "gumbel");
    this.#tau = checkTau(options.tau ?? 1);
    this.tauDecay = numberInRange(options.tauDecay ?? 5e-5, "tauDecay", 0, Number.MAX_VALUE);
    this.tauMin = numberInRange(options.tauMin ?? 0.01, "tauMin", 0, Number.MAX_VALUE, true);
    this.seed = integerInRange(options.seed ?? 0, "seed", 0, 2 ** 32 - 1);
    this.device = resolveDevice(options.device ?? "cpu");

    this.embedding = new Embedding({
      numRows: rows, dim: this.rowWidth, seed: this.seed, device: this.device,
      ...(options.initStd === undefined ? {} : { initStd: options.initStd }),
    });
    const [weights, biases] = this.initialProjections();
    this.weights = new Variable(Tensor.from(weights, { shape: [this.fields, this.dim, this.totalCandidateSize], device: this.device }),
                                { requiresGrad: true, name: "weights" });
    this.biases = new Variable(Tensor.from(biases, { shape: [this.fields, this.candidates.length, this.dim], device: this.device }),
                               { requiresGrad: true, name: "biases" });
    this.logAlpha = new Variable(Tensor.zeros("float32", [this.fields, this.candidates.length], this.device),
                                 { requiresGrad: true, name: "logAlpha" });

    const batchNorm = options.batchNorm ?? true;
    if (typeof batchNorm !== "boolean") throw new TypeError(`batchNorm must be a boolean, got ${typeof batchNorm}`);
    const statistics = options.batchNormStatistics ?? "field";
    if (statistics !== "field" && statistics !== "pooled") {
      throw new TypeError(`batchNormStatistics must be "field" or "pooled", got ${JSON.stringify(statistics)}`);
    }
    this.batchNormStatistics = statistics;
    const perRow = this.candidates.length * this.dim;
    this.batchNorm = batchNorm
      ? new BatchNorm({
          features: statistics === "field" ? this.fields * perRow : perRow,
          affine: options.batchNormAffine ?? false,
          device: this.device,
        })
      : undefined;
  }

  /** Σ d_m, the columns of each field's weights. */
  get totalCandidateSize(): number {
    return this.candidates.reduce((total, d) => total + d, 0);
  }

  get mode(): MixtureMode {
    return this.#mode;
  }

  set mode(mode: MixtureMode) {
    this.#mode = checkMode(mode);
  }

  /** The temperature τ > 0 of the next forward. */
  get tau(): number {
    return this.#tau;
  }

  set tau(tau: number) {
    this.#tau = checkTau(tau);
  }

  /** The Gumbel noise key of the next forward: the same step draws the same noise. */
  get step(): number {
    return this.#step;
  }

  set step(step: number) {
    this.#step = integerInRange(step, "step", 0, 2 ** 32 - 1);
  }

  /**
   * Sets the noise key to t and, in "gumbel" and "hard" modes, τ to max(tauMin, 1 − tauDecay·t).
   * In "softmax" mode (DARTS, which has no temperature) τ stays as it is.
   */
  setStep(t: number): void {
    this.step = t;
    if (this.#mode !== "softmax") this.#tau = Math.max(this.tauMin, 1 - this.tauDecay * t);
  }

  /** The logits α, for the optimizer that steps them on validation batches. */
  architectureParameters(): Variable[] {
    return [this.logAlpha];
  }

  /** Everything but α (the same as parameters()): tables, W, b, and γ, β when the batch norms have them. */
  weightParameters(): Parameter[] {
    return this.parameters();
  }

  /**
   * ids [B, F] row-major (field f of example b at b·F + f; a Tensor may have shape [B, F]) → [B, F, D].
   * Batch norm uses batch statistics in train() mode (B ≥ 2, or B·F ≥ 2 pooled) and running ones in eval().
   * The mixture weights follow `mode` in eval() too, Gumbel noise included; set mode = "softmax" to
   * evaluate without noise.
   */
  forward(ids: Int32Array | readonly number[] | Tensor<"int32">): Variable {
    const rows = this.rowIds(ids);
    const batch = rows.length / this.fields;
    const lookup = embeddingLookup(this.embedding.weight, Tensor.from(rows, { device: this.device }));
    const e = reshapeOp(lookup, [batch, this.fields, this.rowWidth]);
    const w = mixtureWeightsOp(this.logAlpha, { tau: this.#tau, mode: this.#mode, seed: this.seed, step: this.#step });
    if (this.batchNorm === undefined) {
      return projectAndMixOp(e, this.weights, this.biases, w, this.candidates, this.shared);
    }
    const h = projectCandidatesOp(e, this.weights, this.biases, this.candidates, this.shared);
    const perRow = this.candidates.length * this.dim;
    const flat = this.batchNormStatistics === "field" ? [batch, this.fields * perRow] : [batch * this.fields, perRow];
    const normalised = this.batchNorm.forward(reshapeOp(h, flat));
    return weightedSumOp(reshapeOp(normalised, h.shape), w);
  }

  /** Each field's chosen candidate: argmax_m log α_fm (the first on a tie). */
  argmax(): Int32Array {
    const alpha = this.logAlpha.value.toArray();
    const m = this.candidates.length;
    return Int32Array.from({ length: this.fields }, (_, f) => {
      let best = 0;
      for (let i = 1; i < m; ++i) if (alpha[f * m + i]! > alpha[f * m + best]!) best = i;
      return best;
    });
  }

  /** The searched architecture as a size plan: table "field<f>" with every id of field f at its chosen size. */
  plan(): SizePlan {
    const chosen = this.argmax();
    const tables: Record<string, Int32Array> = {};
    this.fieldCardinalities.forEach((n, f) => {
      tables[`field${f}`] = new Int32Array(n).fill(this.candidates[chosen[f]!]!);
    });
    return { candidates: this.candidates, tables };
  }

  /** Table rows of ids [B, F]: fieldOffsets[f] + id, each id checked against its field's cardinality. */
  private rowIds(ids: Int32Array | readonly number[] | Tensor<"int32">): Int32Array {
    let values: Int32Array;
    if (ids instanceof Tensor) {
      if (ids.dtype !== "int32") throw new TypeError(`ids must be an int32 tensor, got ${ids.dtype}`);
      if (ids.shape.length === 2 && ids.shape[1] !== this.fields) {
        throw new RangeError(`ids has shape [${ids.shape.join(", ")}] but the mixture has ${this.fields} fields`);
      }
      values = ids.toArray();
    } else {
      values = int32Array(ids, "ids");
    }
    if (values.length % this.fields !== 0) {
      throw new RangeError(`ids has ${values.length} values, not a whole number of rows of ${this.fields} fields`);
    }
    const rows = new Int32Array(values.length);
    for (let i = 0; i < values.length; ++i) {
      const f = i % this.fields;
      const id = values[i]!;
      const n = this.fieldCardinalities[f]!;
      if (!(id >= 0 && id < n)) throw new RangeError(`ids[${i}] = ${id} is out of range [0, ${n}) for field ${f}`);
      rows[i] = this.fieldOffsets[f]! + id;
    }
    return rows;
  }

  private initialProjections(): [Float32Array, Float32Array] {
    const { fields, dim, candidates } = this;
    const total = this.totalCandidateSize;
    const random = mulberry32(this.seed + 1);
    const weights = new Float32Array(fields * dim * total);
    const biases = new Float32Array(fields * candidates.length * dim);
    for (let f = 0; f < fields; ++f) {
      let offset = 0;
      candidates.forEach((d, m) => {
        const bound = 1 / Math.sqrt(d);
        for (let j = 0; j < dim; ++j) {
          for (let k = 0; k < d; ++k) weights[(f * dim + j) * total + offset + k] = (random() * 2 - 1) * bound;
          biases[(f * candidates.length + m) * dim + j] = (random() * 2 - 1) * bound;
        }
        offset += d;
      });
    }
    return [weights, biases];
  }

  protected override children(): Record<string, Module> {
    return this.batchNorm === undefined ? { embedding: this.embedding } : { embedding: this.embedding, batchNorm: this.batchNorm };
  }

  protected override ownParameters(): Record<string, Parameter> {
    return { weights: this.weights, biases: this.biases };
  }

  // α is trained, but by the architecture optimizer: kept out of parameters() so that the weights'
  // optimizer never steps it, and carried in state()/load() as a buffer.
  protected override ownBuffers(): Record<string, Tensor<"float32">> {
    return { logAlpha: this.logAlpha.value };
  }

  /** Clears the weights' gradients and α's. */
  override zeroGrad(): void {
    super.zeroGrad();
    this.logAlpha.zeroGrad();
  }
}
