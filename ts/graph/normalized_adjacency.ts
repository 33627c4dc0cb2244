/**
 * LightGCN's graph: the symmetric-normalised adjacency Â = D^{-1/2} A D^{-1/2} of the
 * user–item bipartite graph, in CSR; plus the CSR checks and transpose the propagation op uses.
 *
 * Users 0..U−1 and items U..U+I−1 form one node set, so Â is (U+I) × (U+I) with a user's row
 * holding its items and an item's row its users, each entry 1/√(d_u·d_i). This is LightGCN's
 * `getSparseGraph` (He et al., SIGIR'20), which SCALL's base recommender uses unchanged.
 */
import { native } from "../native.js";
import { describe } from "../tensor.js";

/**
 * A sparse matrix [numRows × numCols] in CSR form, numRows = rowPtr.length − 1: row i's entries
 * are colIdx[p], values[p] for p in [rowPtr[i], rowPtr[i+1]).
 */
export interface CsrMatrix {
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float32Array;
  numCols: number;
}



/** The argument's CSR fields after their types were checked (not their values). */
function csrFields(csr: unknown, argument: string): CsrMatrix {
  if (typeof csr !== "object" || csr === null) throw new TypeError(`${argument} must be a CSR matrix object, got ${describe(csr)}`);
  const { rowPtr, colIdx, values, numCols } = csr as Partial<CsrMatrix>;
  if (!(rowPtr instanceof Int32Array)) throw new TypeError(`${argument}.rowPtr must be an Int32Array, got ${describe(rowPtr)}`);
  if (!(colIdx instanceof Int32Array)) throw new TypeError(`${argument}.colIdx must be an Int32Array, got ${describe(colIdx)}`);
  if (!(values instanceof Float32Array)) throw new TypeError(`${argument}.values must be a Float32Array, got ${describe(values)}`);
  if (typeof numCols !== "number") throw new TypeError(`${argument}.numCols must be a number, got ${describe(numCols)}`);
  if (!Number.isInteger(numCols) || numCols < 0 || numCols > 2147483647) {
    throw new RangeError(`${argument}.numCols must be an integer in [0, 2^31 − 1], got ${numCols}`);
  }
  return { rowPtr, colIdx, values, numCols };
}

/**
 * Checks that `csr` is a CSR matrix: rowPtr starts at 0, never decreases and ends at
 * nnz = colIdx.length = values.length; every column lies in [0, numCols); every value is finite.
 * O(nnz). Throws a TypeError for a wrong type and a RangeError naming the first bad entry.
 */
export function validateCsr(csr: CsrMatrix, argument = "csr"): void {
  const fields = csrFields(csr, argument);
  native.sparseCsrCheck(fields.rowPtr, fields.colIdx, fields.values, fields.numCols);
}

/** @internal The transpose of a CSR already validated. */
export function transposeValidCsr(csr: CsrMatrix): CsrMatrix {
  const { rowPtr, colIdx, values, numCols } = csr;
  const numRows = rowPtr.length - 1;
  const nnz = colIdx.length;
  const tRowPtr = new Int32Array(numCols + 1);
  for (let p = 0; p < nnz; ++p) tRowPtr[colIdx[p]! + 1]! += 1;
  for (let c = 0; c < numCols; ++c) tRowPtr[c + 1]! += tRowPtr[c]!;
  const next = tRowPtr.slice(0, numCols);
  const tColIdx = new Int32Array(nnz);
  const tValues = new Float32Array(nnz);
  for (let i = 0; i < numRows; ++i) {
    for (let p = rowPtr[i]!, end = rowPtr[i + 1]!; p < end; ++p) {
      const q = next[colIdx[p]!]!++;
      tColIdx[q] = i;
      tValues[q] = values[p]!;
    }
  }
  return { rowPtr: tRowPtr, colIdx: tColIdx, values: tValues, numCols: numRows };
}

/**
 * Âᵀ in CSR, by a stable counting sort on the column: row c of the result lists the rows i with
 * an entry in column c, in increasing i, so the result depends on the matrix alone. O(nnz + rows + cols).
 */
export function transposeCsr(csr: CsrMatrix): CsrMatrix {
  validateCsr(csr, "csr");
  return transposeValidCsr(csr);
}

/** Whether two CSR matrices hold the same entries in the same order, bit for bit. */
export function csrEquals(a: CsrMatrix, b: CsrMatrix): boolean {
  const same = (x: Int32Array | Float32Array, y: Int32Array | Float32Array): boolean => {
    if (x.length !== y.length) return false;
    const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
    const yi = new Int32Array(y.buffer, y.byteOffset, y.length);
    for (let k = 0; k < xi.length; ++k) if (xi[k] !== yi[k]) return false;
    return true;
  };
  return a.numCols === b.numCols && same(a.rowPtr, b.rowPtr) && same(a.colIdx, b.colIdx) && same(a.values, b.values);
}

export interface Interactions {
  /** users[k] interacted with items[k]; user ids in [0, numUsers), item ids in [0, numItems). */
  users: Int32Array | readonly number[];
  items: Int32Array | readonly number[];
  numUsers: number;
  numItems: number;
}

function idArray(value: unknown, argument: string, count: number, countName: string): Int32Array {
  if (!(value instanceof Int32Array) && !Array.isArray(value)) {
    throw new TypeError(`${argument} must be an Int32Array or an array of integers, got ${describe(value)}`);
  }
  const source = value as ArrayLike<unknown>;
  const ids = new Int32Array(source.length);
  for (let k = 0; k < source.length; ++k) {
    const id = source[k];
    if (typeof id !== "number") throw new TypeError(`${argument}[${k}] must be a number, got ${describe(id)}`);
    if (!Number.isInteger(id) || id < 0 || id >= count) {
      throw new RangeError(`${argument}[${k}] = ${id} is out of range [0, ${countName} = ${count})`);
    }
    ids[k] = id;
  }
  return ids;
}

function nodeCount(value: unknown, argument: string): number {
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${argument} must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * The symmetric-normalised adjacency of the user–item graph, Â = D^{-1/2} A D^{-1/2}, as a
 * (U+I) × (U+I) CSR matrix: user u is node u, item i is node U + i, A has a 1 at (u, U+i) and
 * (U+i, u) for every interacting pair, and Â's entry is 1/√(d_u·d_i) with d the node degrees.
 *
 * A pair listed more than once counts once (implicit feedback: an interaction exists or not).
 * A node without interactions has an empty row (LightGCN sets its D^{-1/2} to 0). Each row's
 * columns increase, and the entries of (u, U+i) and (U+i, u) are the same float, so Â equals
 * its transpose bit for bit and SparseGraph.fromCsr shares one CSR for both directions.
 *
 * @example
 * const adjacency = normalizedAdjacency({ users: [0, 0, 1], items: [0, 1, 1], numUsers: 2, numItems: 2 });
 * const graph = SparseGraph.fromCsr(adjacency);
 */
export function normalizedAdjacency(interactions: Interactions): CsrMatrix {
  if (typeof interactions !== "object" || interactions === null) {
    throw new TypeError(`interactions must be an object, got ${describe(interactions)}`);
  }
  const numUsers = nodeCount(interactions.numUsers, "numUsers");
  const numItems = nodeCount(interactions.numItems, "numItems");
  if (numUsers + numItems > 2147483647) throw new RangeError(`numUsers + numItems = ${numUsers + numItems} exceeds 2^31 − 1`);
  const users = idArray(interactions.users, "users", numUsers, "numUsers");
  const items = idArray(interactions.items, "items", numItems, "numItems");
  if (items.length !== users.length) {
    throw new RangeError(`items has length ${items.length} but must have ${users.length} (users.length)`);
  }

  // R (users × items) in CSR by a counting sort on the user, then each row's items sorted, deduplicated.
  const userStart = new Int32Array(numUsers + 1);
  for (const u of users) userStart[u + 1]! += 1;
  for (let u = 0; u < numUsers; ++u) userStart[u + 1]! += userStart[u]!;
  const next = userStart.slice(0, numUsers);
  const sortedItems = new Int32Array(users.length);
  for (let k = 0; k < users.length; ++k) sortedItems[next[users[k]!]!++] = items[k]!;
  const userPtr = new Int32Array(numUsers + 1);
  let kept = 0;
  for (let u = 0; u < numUsers; ++u) {
    const row = sortedItems.subarray(userStart[u]!, userStart[u + 1]!).sort();
    for (let k = 0; k < row.length; ++k) {
      if (k === 0 || row[k] !== row[k - 1]) sortedItems[kept++] = row[k]!;
    }
    userPtr[u + 1] = kept;
  }
  const userItems = sortedItems.subarray(0, kept);
  const itemDegree = new Int32Array(numItems);
  for (const i of userItems) itemDegree[i]! += 1;
  const weight = (du: number, di: number): number => 1 / Math.sqrt(du * di);

  // Â: user rows first (items shifted by U), then item rows, their users in increasing order.
  const numNodes = numUsers + numItems;
  const rowPtr = new Int32Array(numNodes + 1);
  for (let u = 0; u < numUsers; ++u) rowPtr[u + 1] = userPtr[u + 1]!;
  for (let i = 0; i < numItems; ++i) rowPtr[numUsers + i + 1] = rowPtr[numUsers + i]! + itemDegree[i]!;
  const colIdx = new Int32Array(2 * kept);
  const values = new Float32Array(2 * kept);
  const itemNext = rowPtr.slice(numUsers, numNodes);
  for (let u = 0; u < numUsers; ++u) {
    const du = userPtr[u + 1]! - userPtr[u]!;
    for (let p = userPtr[u]!; p < userPtr[u + 1]!; ++p) {
      const i = userItems[p]!;
      const w = weight(du, itemDegree[i]!);
      colIdx[p] = numUsers + i;
      values[p] = w;
      const q = itemNext[i]!++;
      colIdx[q] = u;
      values[q] = w;
    }
  }
  return { rowPtr, colIdx, values, numCols: numNodes };
}
