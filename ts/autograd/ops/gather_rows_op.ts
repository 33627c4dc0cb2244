/**
 * Rows of a Variable picked by index on the tape: out[b, :] = x[indices[b], :], and the backward
 * scatter-adds dx[r, :] = Σ_{b : indices[b] = r} dOut[b, :].
 *
 * The gather is the sparse propagation with a selection matrix S [B × N], S[b, indices[b]] = 1,
 * so it reuses that op's CPU and CUDA kernels: out = S·x, dx = Sᵀ·dOut. Sᵀ comes from a stable
 * counting sort, so each row of dx sums its batch positions in increasing b (in chunk order for
 * an index repeated 256 times or more): the result does not depend on threads, and has no atomics.
 * Building S costs O(B + N) host work per call, small next to the [N, D] gradient it produces.
 */
import type { CsrMatrix } from "../../graph/normalized_adjacency.js";
import { SparseGraph } from "../../ops/sparse_propagation.js";
import { describe, Tensor } from "../../tensor.js";
import { Variable } from "../variable.js";
import { propagateRows } from "./propagation_op.js";

type Indices = Int32Array | readonly number[] | Tensor<"int32">;

/** Host indices, each checked to lie in [0, numRows). */
function checkedIndices(indices: Indices, numRows: number): Int32Array {
  let values: ArrayLike<unknown>;
  if (indices instanceof Tensor) {
    if (indices.dtype !== "int32") throw new TypeError(`indices must be an int32 tensor, got ${indices.dtype}`);
    values = indices.toArray();
  } else if (indices instanceof Int32Array || Array.isArray(indices)) {
    values = indices;
  } else {
    throw new TypeError(`indices must be an Int32Array, an array of integers or an int32 Tensor, got ${describe(indices)}`);
  }
  const out = new Int32Array(values.length);
  for (let b = 0; b < values.length; ++b) {
    const index = values[b];
    if (typeof index !== "number") throw new TypeError(`indices[${b}] must be a number, got ${describe(index)}`);
    if (!Number.isInteger(index) || index < 0 || index >= numRows) {
      throw new RangeError(`indices[${b}] = ${index} is out of range [0, ${numRows}) (x has ${numRows} rows)`);
    }
    out[b] = index;
  }
  return out;
}

/** The selection matrix S [B × numRows] with S[b, indices[b]] = 1. */
function selectionMatrix(indices: Int32Array, numRows: number): CsrMatrix {
  const rowPtr = new Int32Array(indices.length + 1);
  for (let b = 0; b <= indices.length; ++b) rowPtr[b] = b;
  return { rowPtr, colIdx: indices.slice(), values: new Float32Array(indices.length).fill(1), numCols: numRows };
}

/**
 * x[indices, :] on the tape: x is [N, D], indices (length B) lie in [0, N), the output is
 * [B, D] on x's device. Repeated indices are allowed; their gradients add up.
 *
 * @example
 * const users = gatherRows(final, batch.users);   // final: Variable [numUsers + numItems, D]
 */
export function gatherRows(x: Variable, indices: Indices): Variable {
  if (!(x instanceof Variable)) throw new TypeError(`x must be a Variable, got ${describe(x)}`);
  if (x.shape.length !== 2) throw new RangeError(`x must have rank 2 ([rows, D]), got shape [${x.shape.join(", ")}]`);
  const numRows = x.shape[0]!;
  const selection = selectionMatrix(checkedIndices(indices, numRows), numRows);
  return propagateRows(SparseGraph.fromCsr(selection, { device: x.device }), x);
}
