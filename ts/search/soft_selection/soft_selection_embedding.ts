/**
 * One side (users or items) of the soft-selection recommender that DARTS per id and AutoEmb
 * search with (methods.md B §4, the ESAPN repo's AutoEmb and DARTS baselines):
 *
 *   e = E[id] ∈ R^{d_M}                       one row per id; candidate m is its prefix e[:d_m]
 *   z_m = tanh(BN(W_m e[:d_m] + b_m)) ∈ R^D   each candidate its own Linear(d_m → D), in parallel
 *   v = Σ_m w_m z_m                           w: the id's mixing weights (softmax of α or of the controller)
 *
 * Storage: weight sharing, one d_M-wide row per id with candidate m its first d_m values, rather
 * than the reference's Σd_m-wide row of separate blocks (222 floats for {2,…,128}). It holds 128
 * floats per id instead of 222, and it is the layout a plan is cut from: the chosen size's
 * prefix is already the row a MixedDimEmbedding keeps when resized to it.
 *
 * The batch norm is shared by the candidates as in the reference (one BatchNorm1d(D) whose γ, β
 * every branch uses), and each branch is normalised with its own batch statistics, as the
 * reference's one module called once per branch does: an affine-free batch norm over the M·D
 * features of [B, M·D], then the shared γ, β (broadcast to every branch by a product with a
 * column of ones, so their gradients sum over branches and batch).
 */
import { integerInRange, int32Array } from "../../arguments.js";
import { tanh } from "../../autograd/ops/activation_op.js";
import { plus, times } from "../../autograd/ops/arithmetic_op.js";
import { projectCandidatesOp, reshapeOp, weightedSumOp } from "../../autograd/ops/gumbel_mixture_op.js";
import { linear } from "../../autograd/ops/linear_op.js";
import { Variable } from "../../autograd/variable.js";
import { resolveDevice, type Device, type DeviceOption } from "../../backend.js";
import { mulberry32 } from "../../data/random.js";
import { BatchNorm } from "../../modules/batch_norm.js";
import { Embedding } from "../../modules/mixed_dim_embedding.js";
import { Module, type Parameter } from "../../modules/module.js";
import { constantParameter } from "../../modules/parameter_init.js";
import { describe, Tensor } from "../../tensor.js";

export interface SoftSelectionEmbeddingOptions {
  /** Ids of the side (rows of the table). */
  numIds: number;
  /** Candidate sizes d_1 < … < d_M. */
  candidates: readonly number[];
  /** D, the size every candidate is projected to. Default: the largest candidate (128 for ESAPN's set). */
  dim?: number;
  seed?: number;
  /** Standard deviation of the rows' initial N(0, σ²) values. Default 0.01 (the store's). */
  initStd?: number;
  device?: DeviceOption;
}

/** Strictly increasing integer sizes in [1, 65536], at least one. */
export function checkCandidates(candidates: unknown, argument = "candidates"): readonly number[] {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new TypeError(`${argument} must be a non-empty array of sizes, got ${describe(candidates)}`);
  }
  candidates.forEach((d, m) => {
    integerInRange(d, `${argument}[${m}]`, 1, 65536);
    if (m > 0 && d <= candidates[m - 1]) throw new RangeError(`${argument} must be strictly increasing, got [${candidates.join(", ")}]`);
  });
  return Object.freeze([...candidates] as number[]);
}

export class SoftSelectionEmbedding extends Module {
  readonly numIds: number;
  readonly candidates: readonly number[];
  readonly dim: number;
  readonly device: Device;
  /** numIds × d_M: candidate m of an id is its row's first d_m values. */
  readonly table: Embedding;
  /** W_m side by side: [1, D, Σ d_m] (the mixture kernels' layout, one field). */
  readonly weights: Variable;
  /** b_m: [1, M, D]. */
  readonly biases: Variable;
  /** Per-branch batch statistics over [B, M·D], no affine of its own. */
  readonly norm: BatchNorm;
  /** The shared BN's γ and β, [1, D]. */
  readonly gamma: Variable;
  readonly beta: Variable;
  #ones: Variable | undefined;

  /**
   * @example
   * const users = new SoftSelectionEmbedding({ numIds: 1000, candidates: [2, 4, 8, 16, 64, 128], seed: 1 });
   * const v = users.forward(batchUsers, w);   // w: Variable [B, 6] of mixing weights → [B, 128]
   */
  constructor(options: SoftSelectionEmbeddingOptions) {
    super();
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.numIds = integerInRange(options.numIds, "numIds", 1, 2 ** 31 - 1);
    this.candidates = checkCandidates(options.candidates);
    const largest = this.candidates[this.candidates.length - 1]!;
    this.dim = integerInRange(options.dim ?? largest, "dim", 1, 65536);
    this.device = resolveDevice(options.device ?? "cpu");
    const seed = integerInRange(options.seed ?? 0, "seed", 0, 2 ** 32 - 1);
    this.table = new Embedding({
      numRows: this.numIds, dim: largest, seed, device: this.device,
      ...(options.initStd === undefined ? {} : { initStd: options.initStd }),
    });
    const m = this.candidates.length;
    const total = this.candidates.reduce((a, b) => a + b, 0);
    // nn.Linear(d_m, D): W_m and b_m uniform in ±1/sqrt(d_m).
    const random = mulberry32((seed + 1) >>> 0);
    const weights = new Float32Array(this.dim * total);
    const biases = new Float32Array(m * this.dim);
    let offset = 0;
    this.candidates.forEach((d, c) => {
      const bound = 1 / Math.sqrt(d);
      for (let j = 0; j < this.dim; ++j) {
        for (let k = 0; k < d; ++k) weights[j * total + offset + k] = (random() * 2 - 1) * bound;
        biases[c * this.dim + j] = (random() * 2 - 1) * bound;
      }
      offset += d;
    });
    this.weights = new Variable(Tensor.from(weights, { shape: [1, this.dim, total], device: this.device }),
                                { requiresGrad: true, name: "weights" });
    this.biases = new Variable(Tensor.from(biases, { shape: [1, m, this.dim], device: this.device }),
                               { requiresGrad: true, name: "biases" });
    this.norm = new BatchNorm({ features: m * this.dim, affine: false, device: this.device });
    this.gamma = constantParameter([1, this.dim], 1, this.device, "gamma");
    this.beta = constantParameter([1, this.dim], 0, this.device, "beta");
  }

  /** The candidates' branches z [B, M, D] (as [B, M·D]) for ids: tanh(γ·BN(W_m e[:d_m] + b_m) + β). */
  branches(ids: Int32Array | readonly number[]): Variable {
    const rows = int32Array(ids, "ids");
    const batch = rows.length;
    const m = this.candidates.length;
    const e = reshapeOp(this.table.forward(rows), [batch, 1, this.table.maxDim]);
    const h = projectCandidatesOp(e, this.weights, this.biases, this.candidates, true);
    const normalised = reshapeOp(this.norm.forward(reshapeOp(h, [batch, m * this.dim])), [batch * m, this.dim]);
    const ones = this.ones(batch * m);
    const affine = plus(times(normalised, linear(ones, this.gamma)), linear(ones, this.beta));
    return reshapeOp(tanh(affine), [batch, m * this.dim]);
  }

  /**
   * v [B, D] = Σ_m w[b, m]·z_m[b] for ids [B] and the mixing weights w [B, M] (a Variable: on the
   * tape when the controller is being trained, a constant otherwise). Needs B ≥ 2 in train() mode.
   */
  forward(ids: Int32Array | readonly number[], w: Variable): Variable {
    if (!(w instanceof Variable)) throw new TypeError(`w must be a Variable [batch, ${this.candidates.length}], got ${describe(w)}`);
    const rows = int32Array(ids, "ids");
    const m = this.candidates.length;
    if (w.shape.length !== 2 || w.shape[0] !== rows.length || w.shape[1] !== m) {
      throw new RangeError(`w has shape [${w.shape.join(", ")}] but ${rows.length} ids over ${m} candidates need [${rows.length}, ${m}]`);
    }
    // Each sample is a "field" of the mixture kernel: z [1, B, M, D] weighted by w [B, M].
    const z = reshapeOp(this.branches(rows), [1, rows.length, m, this.dim]);
    return reshapeOp(weightedSumOp(z, w), [rows.length, this.dim]);
  }

  // A column of ones [n, 1]: ones·γ broadcasts γ to every row, and its gradient sums them.
  private ones(n: number): Variable {
    if (this.#ones?.shape[0] !== n) {
      this.#ones = new Variable(Tensor.from(new Float32Array(n).fill(1), { shape: [n, 1], device: this.device }));
    }
    return this.#ones;
  }

  protected override children(): Record<string, Module> {
    return { table: this.table, norm: this.norm };
  }

  protected override ownParameters(): Record<string, Parameter> {
    return { weights: this.weights, biases: this.biases, gamma: this.gamma, beta: this.beta };
  }
}
