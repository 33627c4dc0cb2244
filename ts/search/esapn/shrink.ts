/**
 * The step down that a budget forces on ESAPN (methods.md B departs here: the paper never
 * shrinks). A row y at d_{k+1} becomes the row e at d_k whose enlarge comes closest to it,
 *
 *   e = argmin ‖W_k·e + b_k − y‖² = (W_kᵀW_k)⁻¹ W_kᵀ (y − b_k),
 *
 * the least-squares inverse of enlargeRows. A row that has not trained since it was enlarged comes
 * back exactly (up to rounding); a trained one keeps what the smaller size can hold of it. Plain
 * truncation would keep y's first d_k values, which mean nothing at d_k: the chain reads them
 * through other links.
 */
import type { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import type { ProjectionChain } from "../../modules/projection_chain.js";
import { Tensor } from "../../tensor.js";

/**
 * Steps each listed id down one candidate, from sizes[b] (above the smallest) to the candidate
 * below, writing the least-squares row. Ids must be distinct. Returns the ids' new sizes.
 */
export function shrinkRows(embedding: MixedDimEmbedding, chain: ProjectionChain, ids: Int32Array, sizes: Int32Array): Int32Array {
  if (sizes.length !== ids.length) throw new RangeError(`sizes has length ${sizes.length} but ids has ${ids.length}`);
  const store = embedding.store;
  const candidates = store.candidates;
  const to = new Int32Array(ids.length);
  for (let b = 0; b < ids.length; ++b) {
    const k = candidates.indexOf(sizes[b]!);
    if (k <= 0) throw new RangeError(`sizes[${b}] = ${sizes[b]} must be a candidate above the smallest (${candidates[0]})`);
    to[b] = candidates[k - 1]!;
  }
  if (ids.length === 0) return to;
  const width = embedding.maxDim;
  const rows = store.lookup(Tensor.from(ids, { device: store.device })).toArray();
  const weights = chain.weights.value.toArray();
  const biases = chain.biases.value.toArray();
  const { weightOffsets, biasOffsets } = chain.layout;
  const solvers = new Map<number, (y: Float64Array) => Float64Array>();
  const values = new Float32Array(ids.length * width);
  for (let b = 0; b < ids.length; ++b) {
    const k = candidates.indexOf(to[b]!);
    let solve = solvers.get(k);
    if (solve === undefined) {
      solve = leastSquares(weights.subarray(weightOffsets[k]!), biases.subarray(biasOffsets[k]!), sizes[b]!, to[b]!);
      solvers.set(k, solve);
    }
    const e = solve(Float64Array.from(rows.subarray(b * width, b * width + sizes[b]!)));
    for (let j = 0; j < to[b]!; ++j) values[b * width + j] = e[j]!;
  }
  store.resize(ids, to, Tensor.from(values, { shape: [ids.length, width], device: store.device }));
  return to;
}

/**
 * y ↦ argmin_e ‖W·e + b − y‖² for one link W (rows × cols, row-major: d_{k+1} × d_k), through the
 * Cholesky factor of WᵀW in float64. A small ridge keeps it defined if W lost rank while training.
 */
function leastSquares(w: Float32Array, bias: Float32Array, rows: number, cols: number): (y: Float64Array) => Float64Array {
  const gram = new Float64Array(cols * cols);
  for (let i = 0; i < cols; ++i) {
    for (let j = 0; j <= i; ++j) {
      let sum = 0;
      for (let r = 0; r < rows; ++r) sum += w[r * cols + i]! * w[r * cols + j]!;
      gram[i * cols + j] = sum;
      gram[j * cols + i] = sum;
    }
  }
  let trace = 0;
  for (let i = 0; i < cols; ++i) trace += gram[i * cols + i]!;
  const ridge = 1e-9 * (trace / cols || 1);
  // In place: the lower triangle becomes L with L·Lᵀ = WᵀW + ridge·I.
  for (let i = 0; i < cols; ++i) {
    for (let j = 0; j <= i; ++j) {
      let sum = gram[i * cols + j]! + (i === j ? ridge : 0);
      for (let p = 0; p < j; ++p) sum -= gram[i * cols + p]! * gram[j * cols + p]!;
      gram[i * cols + j] = i === j ? Math.sqrt(Math.max(sum, ridge)) : sum / gram[j * cols + j]!;
    }
  }
  return (y) => {
    // x = Wᵀ(y − b), then L·z = x and Lᵀ·e = z.
    const x = new Float64Array(cols);
    for (let r = 0; r < rows; ++r) {
      const residual = y[r]! - bias[r]!;
      for (let i = 0; i < cols; ++i) x[i]! += w[r * cols + i]! * residual;
    }
    for (let i = 0; i < cols; ++i) {
      let sum = x[i]!;
      for (let p = 0; p < i; ++p) sum -= gram[i * cols + p]! * x[p]!;
      x[i] = sum / gram[i * cols + i]!;
    }
    for (let i = cols - 1; i >= 0; --i) {
      let sum = x[i]!;
      for (let p = i + 1; p < cols; ++p) sum -= gram[p * cols + i]! * x[p]!;
      x[i] = sum / gram[i * cols + i]!;
    }
    return x;
  };
}
