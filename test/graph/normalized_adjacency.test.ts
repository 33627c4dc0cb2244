import { describe, expect, it } from "vitest";
import {
  type CsrMatrix,
  csrEquals,
  normalizedAdjacency,
  transposeCsr,
  validateCsr,
} from "../../ts/graph/normalized_adjacency.js";
import { SparseGraph } from "../../ts/ops/sparse_propagation.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

function dense(csr: CsrMatrix): Float64Array {
  const numRows = csr.rowPtr.length - 1;
  const out = new Float64Array(numRows * csr.numCols);
  for (let i = 0; i < numRows; ++i) {
    for (let p = csr.rowPtr[i]!; p < csr.rowPtr[i + 1]!; ++p) out[i * csr.numCols + csr.colIdx[p]!]! += csr.values[p]!;
  }
  return out;
}

/** D^{-1/2} A D^{-1/2} built densely in float64 from the distinct pairs. */
function referenceAdjacency(users: Int32Array, items: Int32Array, numUsers: number, numItems: number): Float64Array {
  const n = numUsers + numItems;
  const a = new Float64Array(n * n);
  users.forEach((u, k) => {
    const i = numUsers + items[k]!;
    a[u * n + i] = 1;
    a[i * n + u] = 1;
  });
  const degree = Array.from({ length: n }, (_, r) => a.subarray(r * n, (r + 1) * n).reduce((s, v) => s + v, 0));
  return a.map((v, index) => {
    const r = Math.floor(index / n);
    const c = index % n;
    return v === 0 ? 0 : v / Math.sqrt(degree[r]! * degree[c]!);
  });
}

describe("normalizedAdjacency", () => {
  it("is D^{-1/2} A D^{-1/2} of the user–item graph, with repeated pairs counted once", () => {
    const random = rng(testSeed("normalizedAdjacency"));
    const [numUsers, numItems] = [37, 23];
    const users = Int32Array.from({ length: 300 }, () => randomInt(random, 0, numUsers - 3));  // the last users stay isolated
    const items = Int32Array.from({ length: 300 }, () => randomInt(random, 0, numItems));
    const adjacency = normalizedAdjacency({ users, items, numUsers, numItems });
    expect(adjacency.numCols).toBe(60);
    expect(adjacency.rowPtr.length).toBe(61);
    expect(maxRelativeError(dense(adjacency), referenceAdjacency(users, items, numUsers, numItems))).toBeLessThan(1e-7);
    expect(adjacency.rowPtr[numUsers - 2]).toBe(adjacency.rowPtr[numUsers]);  // isolated users: empty rows
    validateCsr(adjacency);
  });

  it("lists each row's columns in increasing order and equals its transpose bit for bit", () => {
    const random = rng(testSeed("normalizedAdjacency symmetric"));
    const users = Int32Array.from({ length: 5000 }, () => randomInt(random, 0, 400));
    const items = Int32Array.from({ length: 5000 }, () => Math.floor(300 * random() ** 2));
    const adjacency = normalizedAdjacency({ users, items, numUsers: 400, numItems: 300 });
    for (let r = 0; r < 700; ++r) {
      for (let p = adjacency.rowPtr[r]! + 1; p < adjacency.rowPtr[r + 1]!; ++p) {
        expect(adjacency.colIdx[p]!).toBeGreaterThan(adjacency.colIdx[p - 1]!);
      }
    }
    expect(csrEquals(transposeCsr(adjacency), adjacency)).toBe(true);
    const graph = SparseGraph.fromCsr(adjacency);
    expect(graph.symmetric).toBe(true);
    expect(graph.transpose).toBe(graph);
  });

  it("handles no interactions and plain arrays", () => {
    const empty = normalizedAdjacency({ users: [], items: [], numUsers: 2, numItems: 3 });
    expect(Array.from(empty.rowPtr)).toEqual([0, 0, 0, 0, 0, 0]);
    const one = normalizedAdjacency({ users: [1, 1], items: [0, 0], numUsers: 2, numItems: 1 });
    expect(Array.from(one.rowPtr)).toEqual([0, 0, 1, 2]);
    expect(Array.from(one.colIdx)).toEqual([2, 1]);
    expect(Array.from(one.values)).toEqual([1, 1]);
  });

  it("rejects ids out of range, mismatched lengths and bad counts, naming the argument", () => {
    expect(() => normalizedAdjacency({ users: [0, 2], items: [0, 0], numUsers: 2, numItems: 1 }))
      .toThrow(new RangeError("users[1] = 2 is out of range [0, numUsers = 2)"));
    expect(() => normalizedAdjacency({ users: [0], items: new Int32Array([-1]), numUsers: 2, numItems: 1 }))
      .toThrow(new RangeError("items[0] = -1 is out of range [0, numItems = 1)"));
    expect(() => normalizedAdjacency({ users: [0, 1], items: [0], numUsers: 2, numItems: 1 }))
      .toThrow(new RangeError("items has length 1 but must have 2 (users.length)"));
    expect(() => normalizedAdjacency({ users: [0.5], items: [0], numUsers: 2, numItems: 1 })).toThrow(RangeError);
    expect(() => normalizedAdjacency({ users: ["0"] as unknown as number[], items: [0], numUsers: 2, numItems: 1 }))
      .toThrow(/^users\[0\] must be a number, got string/);
    expect(() => normalizedAdjacency({ users: new Float32Array(1) as unknown as Int32Array, items: [0], numUsers: 2, numItems: 1 }))
      .toThrow(TypeError);
    expect(() => normalizedAdjacency({ users: [], items: [], numUsers: -1, numItems: 1 }))
      .toThrow(new RangeError("numUsers must be a non-negative integer, got -1"));
  });
});

describe("transposeCsr", () => {
  it("is Âᵀ, each row listing its source rows in increasing order", () => {
    const random = rng(testSeed("transposeCsr"));
    const numRows = 90;
    const numCols = 40;
    const rowPtr = new Int32Array(numRows + 1);
    for (let i = 0; i < numRows; ++i) rowPtr[i + 1] = rowPtr[i]! + randomInt(random, 0, 7);
    const nnz = rowPtr[numRows]!;
    const csr: CsrMatrix = {
      rowPtr, colIdx: Int32Array.from({ length: nnz }, () => randomInt(random, 0, numCols)),
      values: randomFloats(random, nnz), numCols,
    };
    const t = transposeCsr(csr);
    expect(t.rowPtr.length).toBe(numCols + 1);
    expect(t.numCols).toBe(numRows);
    const a = dense(csr);
    const at = dense(t);
    for (let i = 0; i < numRows; ++i) {
      for (let c = 0; c < numCols; ++c) expect(at[c * numRows + i]).toBe(a[i * numCols + c]);
    }
    for (let c = 0; c < numCols; ++c) {
      for (let p = t.rowPtr[c]! + 1; p < t.rowPtr[c + 1]!; ++p) expect(t.colIdx[p]!).toBeGreaterThanOrEqual(t.colIdx[p - 1]!);
    }
    // Twice transposed: the same matrix, each row's entries now stably sorted by column.
    expect(maxRelativeError(dense(transposeCsr(t)), a)).toBeLessThan(1e-12);
  });
});

describe("validateCsr", () => {
  const good = (): CsrMatrix => ({ rowPtr: new Int32Array([0, 2, 3]), colIdx: new Int32Array([0, 2, 1]),
                                   values: new Float32Array([1, 2, 3]), numCols: 3 });
  it("accepts a CSR matrix and rejects each kind of fault, naming the entry", () => {
    expect(() => validateCsr(good())).not.toThrow();
    const broken = (change: (csr: CsrMatrix) => void): CsrMatrix => {
      const csr = good();
      change(csr);
      return csr;
    };
    expect(() => validateCsr(broken((c) => (c.rowPtr[0] = -1)))).toThrow(new RangeError("rowPtr[0] = -1 but must be 0"));
    expect(() => validateCsr(broken((c) => (c.rowPtr[1] = 4)))).toThrow("rowPtr[2] = 3 is less than rowPtr[1] = 4");
    expect(() => validateCsr(broken((c) => (c.rowPtr[2] = 2)))).toThrow("rowPtr[2] = 2 but must equal nnz = colIdx.length = 3");
    expect(() => validateCsr(broken((c) => (c.colIdx[2] = 3)))).toThrow("colIdx[2] = 3 is out of range [0, 3)");
    expect(() => validateCsr(broken((c) => (c.values[0] = Infinity)))).toThrow("values[0] = Infinity is not finite");
    expect(() => validateCsr(broken((c) => (c.values = new Float32Array(2))))).toThrow(RangeError);
    expect(() => validateCsr(broken((c) => (c.rowPtr = [0, 2, 3] as unknown as Int32Array)), "graph"))
      .toThrow(new TypeError("graph.rowPtr must be an Int32Array, got an Array"));
    expect(() => validateCsr(broken((c) => (c.numCols = -1)))).toThrow(RangeError);
    expect(() => validateCsr(undefined as unknown as CsrMatrix)).toThrow(TypeError);
  });
});
