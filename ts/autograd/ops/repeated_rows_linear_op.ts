/**
 * y = x·W + b for an x whose columns come in blocks, each block holding one row per sample taken
 * from a table by id: MlpRecommender's [user ‖ item] input. Wherever an id repeats in the batch,
 * its block's rows repeat, and in a time-ordered stream they repeat a lot (a batch of 500
 * MovieLens ratings holds about 11 distinct users). A block whose ids are mostly repeats has its
 * product computed once per distinct id, and the samples pick theirs up through one-hot columns:
 *
 *   y = A·W' + b,   A = [x_dense ‖ onehot(ids of each repeated block)],   W' = [W_dense ; G_k·W_k for each repeated k]
 *
 * where W_k is W's rows for block k's columns and G_k [U_k, d_k] the block's distinct rows. One
 * GEMM of inner size Σ d_dense + Σ U_k instead of Σ d_k. The backward is plain linear's:
 *
 *   dx = dy·Wᵀ,   dW' = Aᵀ·dy   → dW_dense = its rows, dW_k = G_kᵀ·(its one-hot rows, the dy summed per id),   db = Σ_b dy_b
 *
 * Mathematically this is linear(); the sums are grouped differently, so results differ by float
 * rounding only. For ESAPN's recommender it halves the hidden layer's forward and weight-gradient
 * products. The saving is taken on the CPU; on CUDA (and when no block repeats enough) this is linear().
 */
import { biasGradient, matmul } from "../../ops/gemm.js";
import { concatFeatures, sliceFeatures } from "../../ops/feature_concat.js";
import { takeMatrixRows } from "../../data/take_rows.js";
import { describe, Tensor } from "../../tensor.js";
import { linear } from "./linear_op.js";
import { record } from "../tape.js";
import { Variable } from "../variable.js";

/** A block of x's columns and the id each sample's row of it belongs to. */
export interface RowBlock {
  width: number;
  ids: Int32Array;
}

/** A block counts as repeated when its distinct ids are at most this share of the batch. */
const repeatedShare = 0.25;

/** One block as the op runs it: where its columns start and, for a repeated block, its distinct ids. */
interface PlannedBlock {
  start: number;
  width: number;
  repeated?: {
    /** The first sample of each distinct id, in order of first appearance. */
    first: Int32Array;
    /** Sample b's distinct id: its one-hot column. */
    inverse: Int32Array;
  };
}

/** Each sample's distinct-id index and each distinct id's first sample; undefined past `limit` distinct ids. */
function distinctRows(ids: Int32Array, limit: number): PlannedBlock["repeated"] {
  const slot = new Map<number, number>();
  const inverse = new Int32Array(ids.length);
  const first: number[] = [];
  for (let b = 0; b < ids.length; ++b) {
    let u = slot.get(ids[b]!);
    if (u === undefined) {
      if (first.length >= limit) return undefined;
      u = first.length;
      slot.set(ids[b]!, u);
      first.push(b);
    }
    inverse[b] = u;
  }
  return { first: Int32Array.from(first), inverse };
}

/** The blocks' layout and, for those whose ids repeat enough, their distinct ids; undefined when none does. */
function planBlocks(blocks: readonly RowBlock[], rows: number, columns: number): PlannedBlock[] | undefined {
  if (!Array.isArray(blocks) || blocks.length === 0) throw new TypeError("blocks must be a non-empty array of { width, ids }");
  let start = 0;
  const planned = blocks.map((block, k): PlannedBlock => {
    if (typeof block !== "object" || block === null) throw new TypeError(`blocks[${k}] must be { width, ids }, got ${describe(block)}`);
    if (!Number.isInteger(block.width) || block.width < 1) {
      throw new RangeError(`blocks[${k}].width must be a positive integer, got ${String(block.width)}`);
    }
    if (!(block.ids instanceof Int32Array)) throw new TypeError(`blocks[${k}].ids must be an Int32Array, got ${describe(block.ids)}`);
    if (block.ids.length !== rows) throw new RangeError(`blocks[${k}].ids has length ${block.ids.length} but x has ${rows} rows`);
    const entry: PlannedBlock = { start, width: block.width };
    start += block.width;
    const repeated = distinctRows(block.ids, Math.floor(repeatedShare * rows));
    if (repeated !== undefined) entry.repeated = repeated;
    return entry;
  });
  if (start !== columns) throw new RangeError(`blocks' widths sum to ${start} but x has ${columns} columns`);
  return planned.some((block) => block.repeated !== undefined) ? planned : undefined;
}

/** Rows [start, start + count) of a CPU matrix, sharing its memory. */
function rowsOf(matrix: Tensor<"float32">, start: number, count: number): Tensor<"float32"> {
  const cols = matrix.shape[1]!;
  return Tensor.from(matrix.toArray().subarray(start * cols, (start + count) * cols), { shape: [count, cols] });
}

/** x's rows `first`, columns [start, start + width): a repeated block's distinct rows G. */
function distinctBlockRows(x: Tensor<"float32">, block: PlannedBlock): Tensor<"float32"> {
  const { first } = block.repeated!;
  return Tensor.from(takeMatrixRows(x.toArray(), x.shape[1]!, first, block.start, block.width),
                     { shape: [first.length, block.width] });
}

/** [B, d] holding row u of perId [U, d] at each distinct id's first sample first[u], zero elsewhere. */
function onFirstRows(perId: Tensor<"float32">, block: PlannedBlock, rows: number): Tensor<"float32"> {
  const { first } = block.repeated!;
  const width = perId.shape[1]!;
  const values = perId.toArray();
  const out = new Float32Array(rows * width);
  for (let u = 0; u < first.length; ++u) out.set(values.subarray(u * width, (u + 1) * width), first[u]! * width);
  return Tensor.from(out, { shape: [rows, width] });
}

/** [B, U] with a 1 in column inverse[b] of row b. */
function oneHot(inverse: Int32Array, distinct: number): Tensor<"float32"> {
  const out = new Float32Array(inverse.length * distinct);
  for (let b = 0; b < inverse.length; ++b) out[b * distinct + inverse[b]!] = 1;
  return Tensor.from(out, { shape: [inverse.length, distinct] });
}

export interface RepeatedRowsLinearOptions {
  /**
   * x's gradient in a repeated block. "rows" (default): dy·Wᵀ on every row, as linear(). "perId":
   * each id's first sample gets the block's gradient summed over the id's samples, and its repeats
   * get zero, which skips that block's share of the dy·Wᵀ product. Use it only where whatever
   * made the block's rows needs no more than those sums: each row a function of its id alone
   * through row-wise maps (an embedding, a projection chain, an activation) and batch norms over
   * the batch. Batch norm's backward reads dy through Σ_b dy_b, Σ_b dy_b·x̂_b per feature and dy_b
   * row by row, and an id's rows share x̂_b, so every parameter's gradient comes out the same.
   */
  inputGradient?: "rows" | "perId";
}

/**
 * x·W + b on the tape (x [B, Σ widths], W [Σ widths, out], b [out]), computing each block whose
 * ids repeat (distinct ids ≤ B/4) once per distinct id. Gradients are those of linear() (but see
 * `inputGradient`).
 *
 * @example
 * const h = repeatedRowsLinear(z, hidden.weight, hidden.bias, [{ width: 128, ids: users }, { width: 128, ids: items }]);
 */
export function repeatedRowsLinear(x: Variable, weight: Variable, bias: Variable, blocks: readonly RowBlock[],
                                   options: RepeatedRowsLinearOptions = {}): Variable {
  const perId = options.inputGradient === "perId";
  if (options.inputGradient !== undefined && !perId && options.inputGradient !== "rows") {
    throw new TypeError(`options.inputGradient must be "rows" or "perId", got ${describe(options.inputGradient)}`);
  }
  if (!(x instanceof Variable)) throw new TypeError(`x must be a Variable, got ${describe(x)}`);
  if (x.shape.length !== 2) throw new RangeError(`x must have rank 2, got shape [${x.shape.join(", ")}]`);
  const [rows, columns] = x.shape as [number, number];
  const plan = x.device === "cpu" && weight.device === "cpu" && bias.device === "cpu"
    ? planBlocks(blocks, rows, columns) : undefined;
  if (plan === undefined) return linear(x, weight, bias);
  const w = weight.value;
  if (w.shape.length !== 2 || w.shape[0] !== columns) {
    throw new RangeError(`weight has shape [${w.shape.join(", ")}] but must be [${columns}, out] for x [${rows}, ${columns}]`);
  }
  const outputs = w.shape[1]!;
  // A's column blocks and W''s row blocks, dense blocks first, each at its offset in both.
  const parts: Tensor<"float32">[] = [];
  const distinct = new Map<PlannedBlock, Tensor<"float32">>();
  const offsets = new Map<PlannedBlock, number>();
  let inner = 0;
  for (const block of plan.filter((b) => b.repeated === undefined).concat(plan.filter((b) => b.repeated !== undefined))) {
    offsets.set(block, inner);
    if (block.repeated === undefined) {
      parts.push(sliceFeatures(x.value, block.start, block.width));
      inner += block.width;
    } else {
      distinct.set(block, distinctBlockRows(x.value, block));
      parts.push(oneHot(block.repeated.inverse, block.repeated.first.length));
      inner += block.repeated.first.length;
    }
  }
  const a = concatFeatures(parts);
  const extended = Tensor.empty("float32", [inner, outputs]);
  for (const block of plan) {
    const at = offsets.get(block)!;
    if (block.repeated === undefined) {
      extended.toArray().set(rowsOf(w, block.start, block.width).toArray(), at * outputs);
    } else {
      matmul(distinct.get(block)!, rowsOf(w, block.start, block.width),
             { out: rowsOf(extended, at, block.repeated.first.length) });
    }
  }
  const y = matmul(a, extended, { bias: bias.value });
  return record("repeatedRowsLinear", [x, weight, bias], y, (dy) => {
    // Aᵀ·dy: the dense blocks' weight gradients, and each repeated block's dy summed per id.
    const dExtended = weight.requiresGrad || (perId && x.requiresGrad) ? matmul(a, dy, { transA: true }) : undefined;
    const summedPerId = (block: PlannedBlock) => rowsOf(dExtended!, offsets.get(block)!, block.repeated!.first.length);
    let dx: Tensor<"float32"> | undefined;
    if (x.requiresGrad) {
      dx = !perId ? matmul(dy, w, { transB: true }) : concatFeatures(plan.map((block) => block.repeated === undefined
        ? matmul(dy, rowsOf(w, block.start, block.width), { transB: true })
        : onFirstRows(matmul(summedPerId(block), rowsOf(w, block.start, block.width), { transB: true }), block, rows)));
    }
    let dw: Tensor<"float32"> | undefined;
    if (weight.requiresGrad) {
      dw = Tensor.empty("float32", [columns, outputs]);
      for (const block of plan) {
        if (block.repeated === undefined) {
          dw.toArray().set(rowsOf(dExtended!, offsets.get(block)!, block.width).toArray(), block.start * outputs);
        } else {
          matmul(distinct.get(block)!, summedPerId(block), { transA: true, out: rowsOf(dw, block.start, block.width) });
        }
      }
    }
    return [dx, dw, bias.requiresGrad ? biasGradient(dy) : undefined];
  });
}
