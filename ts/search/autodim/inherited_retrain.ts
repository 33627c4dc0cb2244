/**
 * AutoDim's "inherit" retraining (Hetu's AutoDimRetrainEmbedding with reset_retrain=0; methods.md
 * C §1): each field f keeps only its chosen candidate m_f, as an n_f × d_f table plus
 * Linear(d_f → D) with bias, initialised from the search:
 *
 *   rows    ← the chosen candidate's rows (the first d_f values when shared, its own columns otherwise)
 *   W', b'  ← the candidate's projection with its batch norm (running statistics) and its weight in
 *             the noiseless mix, p = softmax(log α_f/τ)_m, folded in:
 *             p·BN(W e + b) = p·(γ·(W e + b − μ)/√(σ² + ε) + β)  =  W' e + b'
 *
 * so each field vector starts as the chosen candidate's term of the search's mix, at the scale the
 * head was trained on (with a decided α, p ≈ 1 and this is the supernet's own output). The head
 * (first-order term, FM and MLP) continues from the search too. Hetu copies W and b and drops the
 * batch norm; folding it keeps the function the head was trained on. "scratch" retraining builds DeepFM from
 * the plan (plan_evaluation.ts), like every other method; its projections have no bias and a
 * field already at D has none.
 */
import { concat } from "../../autograd/ops/concat_op.js";
import type { Variable } from "../../autograd/variable.js";
import type { Device } from "../../backend.js";
import { deriveSeed } from "../../data/seeds.js";
import { fieldTableName, splitFields, type FieldBatch } from "../../models/field_embeddings.js";
import { Linear } from "../../modules/linear.js";
import { Embedding } from "../../modules/mixed_dim_embedding.js";
import { Module } from "../../modules/module.js";
import type { SizePlan } from "../../plan/size_plan.js";
import { FieldModel, type FieldHead } from "./field_model.js";
import type { AutoDimSearchLayer } from "./search_layer.js";

/** Per-field tables at their chosen sizes, each carried to D by its own Linear with bias: [B, F·D]. */
export class RetrainedFieldVectors extends Module {
  readonly cardinalities: Int32Array;
  readonly tables: readonly Embedding[];
  readonly projections: readonly Linear[];
  readonly device: Device;

  constructor(layer: AutoDimSearchLayer, sizes: readonly number[], seed: number) {
    super();
    this.cardinalities = layer.cardinalities;
    const device = this.device = layer.device;
    this.tables = sizes.map((d, f) => new Embedding({ numRows: this.cardinalities[f]!, dim: d, seed: deriveSeed(seed, f), device }));
    this.projections = sizes.map((d, f) =>
      new Linear({ inFeatures: d, outFeatures: layer.dim, bias: true, seed: deriveSeed(seed, 65536 + f), device }));
  }

  forward(fields: FieldBatch): Variable {
    const ids = splitFields(fields, this.cardinalities, this.device);
    const vectors = this.tables.map((table, f) => this.projections[f]!.forward(table.forward(ids.ids[f]!)));
    return vectors.length === 1 ? vectors[0]! : concat(vectors);
  }

  protected override children(): Record<string, Module> {
    const children: Record<string, Module> = {};
    this.tables.forEach((table, f) => { children[fieldTableName(f)] = table; });
    this.projections.forEach((projection, f) => { children[`projections.${fieldTableName(f)}`] = projection; });
    return children;
  }
}

/** The chosen candidate of each field under a per-field plan (every id of field f at one size). */
function chosenCandidates(layer: AutoDimSearchLayer, plan: SizePlan): number[] {
  return Array.from(layer.cardinalities, (_, f) => {
    const sizes = plan.tables[fieldTableName(f)];
    const m = sizes === undefined ? -1 : layer.candidates.indexOf(sizes[0]!);
    if (sizes === undefined || m < 0 || sizes.some((d) => d !== sizes[0])) {
      throw new RangeError(`plan.tables.${fieldTableName(f)} must give every id of field ${f} one of the candidates [${layer.candidates.join(", ")}]`);
    }
    return m;
  });
}

/**
 * The retrained model of a plan, initialised from the search (see the file's comment): the layer's
 * chosen rows and folded projections, under `head` (the search's head, which it takes over).
 */
export function inheritFromSearch(layer: AutoDimSearchLayer, head: FieldHead, plan: SizePlan, seed = 0): FieldModel {
  const chosen = chosenCandidates(layer, plan);
  const { candidates, dim: D, mixture } = layer;
  const M = candidates.length;
  const totalSize = mixture.totalCandidateSize;
  const sizes = chosen.map((m) => candidates[m]!);
  const vectors = new RetrainedFieldVectors(layer, sizes, seed);
  const weights = mixture.weights.value.toArray();
  const biases = mixture.biases.value.toArray();
  const norm = mixture.batchNorm;
  const runningMean = norm?.runningMean.toArray();
  const runningVar = norm?.runningVar.toArray();
  const gamma = norm?.gamma?.value.toArray();
  const beta = norm?.beta?.value.toArray();
  const blockOffset = (m: number) => candidates.slice(0, m).reduce((a, d) => a + d, 0);
  // The chosen candidate's weight in the noiseless mix, softmax(log α_f/τ)_m.
  const logAlpha = mixture.logAlpha.value.toArray();
  const mixWeight = (f: number, m: number) => {
    const logits = Array.from({ length: M }, (_, i) => logAlpha[f * M + i]! / mixture.tau);
    const top = Math.max(...logits);
    return Math.exp(logits[m]! - top) / logits.reduce((sum, x) => sum + Math.exp(x - top), 0);
  };

  chosen.forEach((m, f) => {
    const d = candidates[m]!;
    const n = layer.cardinalities[f]!;
    // Rows: field f's rows of the stacked table, columns [o, o + d).
    const rowIds = Int32Array.from({ length: n }, (_, i) => mixture.fieldOffsets[f]! + i);
    const all = mixture.embedding.store.readRows(rowIds);
    const width = mixture.rowWidth;
    const column = mixture.shared ? 0 : blockOffset(m);
    const rows = new Float32Array(n * d);
    for (let i = 0; i < n; ++i) rows.set(all.subarray(i * width + column, i * width + column + d), i * d);
    vectors.tables[f]!.store.writeRows(Int32Array.from({ length: n }, (_, i) => i), rows);

    // Projection: Linear's weight is [in = d, out = D], W_fm is [D, d] at columns [s, s + d) of weights[f].
    const s = blockOffset(m);
    const p = mixWeight(f, m);
    const weight = new Float32Array(d * D);
    const bias = new Float32Array(D);
    for (let j = 0; j < D; ++j) {
      let factor = 1;
      let shift = biases[(f * M + m) * D + j]!;
      if (norm !== undefined) {
        const feature = mixture.batchNormStatistics === "field" ? (f * M + m) * D + j : m * D + j;
        const g = gamma?.[feature] ?? 1;
        factor = g / Math.sqrt(runningVar![feature]! + norm.eps);
        shift = (shift - runningMean![feature]!) * factor + (beta?.[feature] ?? 0);
      }
      for (let k = 0; k < d; ++k) weight[k * D + j] = weights[(f * D + j) * totalSize + s + k]! * factor * p;
      bias[j] = shift * p;
    }
    vectors.projections[f]!.load({ weight, bias });
  });
  return new FieldModel(vectors, head, layer.cardinalities, layer.device);
}
