import { afterEach, describe, expect, it } from "vitest";
import { backend, EmbeddingStore, setThreads, Tensor } from "mixdim";
import { type CsrMatrix, normalizedAdjacency } from "../../ts/graph/normalized_adjacency.js";
import { native } from "../../ts/native.js";
import {
  propagate,
  propagateBackward,
  propagateStore,
  propagateStoreBackward,
  propagateStoreLayout,
  SparseGraph,
} from "../../ts/ops/sparse_propagation.js";
import { maxRelativeError } from "../support/reference_store.js";
import { pick, randomFloats, randomInt, rng, testSeed } from "../support/random.js";
import { cudaTestSize } from "../support/cuda_test_size.js";

const kernels = native;
const defaultThreads = backend().threads;
const hasCuda = backend().cudaDevices.length > 0;

afterEach(() => setThreads(defaultThreads));

/**
 * A random CSR [numRows × numCols]: degrees 0..8, a run of empty rows longer than a merge chunk
 * (256 items), and hub rows of ~1000 entries that span several chunks; columns may repeat in a row.
 */
function randomCsr(random: () => number, numRows: number, numCols: number): CsrMatrix {
  const degrees = Array.from({ length: numRows }, (_, i) => {
    if (i % 97 === 13) return randomInt(random, 700, 1300);
    if (i >= numRows / 3 && i < numRows / 3 + 300) return 0;
    return randomInt(random, 0, 9);
  });
  const rowPtr = new Int32Array(numRows + 1);
  degrees.forEach((d, i) => (rowPtr[i + 1] = rowPtr[i]! + (numCols > 0 ? d : 0)));
  const nnz = rowPtr[numRows]!;
  const colIdx = Int32Array.from({ length: nnz }, () => randomInt(random, 0, numCols));
  return { rowPtr, colIdx, values: randomFloats(random, nnz), numCols };
}

/** out = Â·x in float64, x [numCols × dim] row-major. */
function referenceProduct(csr: CsrMatrix, x: ArrayLike<number>, dim: number): Float64Array {
  const numRows = csr.rowPtr.length - 1;
  const out = new Float64Array(numRows * dim);
  for (let i = 0; i < numRows; ++i) {
    for (let p = csr.rowPtr[i]!; p < csr.rowPtr[i + 1]!; ++p) {
      const c = csr.colIdx[p]!;
      for (let j = 0; j < dim; ++j) out[i * dim + j]! += csr.values[p]! * x[c * dim + j]!;
    }
  }
  return out;
}

/** dx = Âᵀ·dOut in float64. */
function referenceTransposeProduct(csr: CsrMatrix, dOut: ArrayLike<number>, dim: number): Float64Array {
  const numRows = csr.rowPtr.length - 1;
  const dx = new Float64Array(csr.numCols * dim);
  for (let i = 0; i < numRows; ++i) {
    for (let p = csr.rowPtr[i]!; p < csr.rowPtr[i + 1]!; ++p) {
      const c = csr.colIdx[p]!;
      for (let j = 0; j < dim; ++j) dx[c * dim + j]! += csr.values[p]! * dOut[i * dim + j]!;
    }
  }
  return dx;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; ++k) sum += a[k]! * b[k]!;
  return sum;
}

describe("propagate (dense rows)", () => {
  for (const dim of [1, 3, 8, 64]) {
    it(`matches the float64 product Â·x for D = ${dim}, hubs spanning many chunks included`, () => {
      const random = rng(testSeed(`propagate D=${dim}`));
      const csr = randomCsr(random, 1200, 500);
      const x = randomFloats(random, 500 * dim);
      const graph = SparseGraph.fromCsr(csr);
      const out = propagate(graph, Tensor.from(x, { shape: [500, dim] }));
      expect(out.shape).toEqual([1200, dim]);
      expect(maxRelativeError(out.toArray(), referenceProduct(csr, x, dim))).toBeLessThan(1e-5);
      // The raw CSR (validated on this call) gives the very same bits.
      expect(propagate(csr, Tensor.from(x, { shape: [500, dim] })).toArray()).toEqual(out.toArray());
    });
  }

  it("writes into `out` when given, overwriting what was there", () => {
    const random = rng(testSeed("propagate out"));
    const csr = randomCsr(random, 300, 40);
    const x = randomFloats(random, 40 * 4);
    const out = Tensor.from(new Float32Array(300 * 4).fill(Number.NaN), { shape: [300, 4] });
    expect(propagate(SparseGraph.fromCsr(csr), Tensor.from(x, { shape: [40, 4] }), { out })).toBe(out);
    expect(maxRelativeError(out.toArray(), referenceProduct(csr, x, 4))).toBeLessThan(1e-5);
  });

  it("gives the same bits whatever the thread count", () => {
    const random = rng(testSeed("propagate threads"));
    const csr = randomCsr(random, 3000, 700);
    const graph = SparseGraph.fromCsr(csr);
    const x = Tensor.from(randomFloats(random, 700 * 16), { shape: [700, 16] });
    setThreads(1);
    const single = propagate(graph, x).toArray();
    for (const threads of [2, 3, 7]) {
      setThreads(threads);
      expect(propagate(graph, x).toArray()).toEqual(single);
    }
  });

  it("handles an empty graph, rows without entries, D = 0 and a single row", () => {
    const empty: CsrMatrix = { rowPtr: new Int32Array([0]), colIdx: new Int32Array(0), values: new Float32Array(0), numCols: 0 };
    expect(propagate(empty, Tensor.from(new Float32Array(0), { shape: [0, 4] })).shape).toEqual([0, 4]);
    const noEntries: CsrMatrix = { rowPtr: new Int32Array(6), colIdx: new Int32Array(0), values: new Float32Array(0), numCols: 2 };
    const out = Tensor.from(new Float32Array(20).fill(7), { shape: [5, 4] });
    propagate(noEntries, Tensor.from(new Float32Array(8).fill(1), { shape: [2, 4] }), { out });
    expect(Array.from(out.toArray())).toEqual(new Array(20).fill(0));
    const random = rng(testSeed("propagate edges"));
    const csr = randomCsr(random, 20, 6);
    expect(propagate(csr, Tensor.from(new Float32Array(0), { shape: [6, 0] })).shape).toEqual([20, 0]);
    const one: CsrMatrix = { rowPtr: new Int32Array([0, 3]), colIdx: new Int32Array([2, 0, 2]),
                             values: new Float32Array([0.5, -2, 0.25]), numCols: 3 };
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(propagate(one, Tensor.from(x, { shape: [3, 2] })).toArray())).toEqual([0.5 * 5 - 2 * 1 + 0.25 * 5, 0.5 * 6 - 2 * 2 + 0.25 * 6]);
  });
});

describe("propagateBackward", () => {
  it("is Âᵀ·dOut, and matches finite differences of Σ w·(Â·x)", () => {
    const random = rng(testSeed("propagate backward"));
    const dim = 5;
    const csr = randomCsr(random, 400, 60);
    const graph = SparseGraph.fromCsr(csr);
    expect(graph.symmetric).toBe(false);
    const x = randomFloats(random, 60 * dim);
    const w = randomFloats(random, 400 * dim);
    const dx = propagateBackward(graph, Tensor.from(w, { shape: [400, dim] }));
    expect(dx.shape).toEqual([60, dim]);
    expect(maxRelativeError(dx.toArray(), referenceTransposeProduct(csr, w, dim))).toBeLessThan(1e-5);
    expect(propagateBackward(csr, Tensor.from(w, { shape: [400, dim] })).toArray()).toEqual(dx.toArray());

    const loss = (values: Float32Array): number => dot(w, propagate(graph, Tensor.from(values, { shape: [60, dim] })).toArray());
    const h = 0.05;  // the loss is linear in x, so a large step only shrinks the rounding error
    for (let trial = 0; trial < 12; ++trial) {
      const k = randomInt(random, 0, 60 * dim);
      const plus = x.slice();
      const minus = x.slice();
      plus[k]! += h;
      minus[k]! -= h;
      const numeric = (loss(plus) - loss(minus)) / (2 * h);
      expect(Math.abs(numeric - dx.toArray()[k]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    }
  });
});

describe("propagateStore (mixed-size rows)", () => {
  const candidates = [2, 4, 8, 16, 64];
  const maxDim = 64;

  function storeWithRows(seed: number, numRows: number, optimizer: "sgd" | "adam" = "sgd") {
    const random = rng(seed);
    const sizes = Array.from({ length: numRows }, (_, i) => (i < candidates.length ? candidates[i]! : pick(random, candidates)));
    const store = new EmbeddingStore({ candidates, sizes, optimizer: { type: optimizer, learningRate: 1 } });
    store.writeRows(sizes.map((_, id) => id), randomFloats(random, numRows * maxDim));
    return { store, sizes, random };
  }

  function padded(store: EmbeddingStore): Float32Array {
    return store.readRows(Array.from({ length: store.numRows }, (_, id) => id));
  }

  it("reads row c at its own size d_c, as zero beyond it, and pads the output to d_max", () => {
    const { store, random } = storeWithRows(testSeed("propagateStore"), 300);
    const users = Int32Array.from({ length: 1500 }, () => randomInt(random, 0, 200));
    const items = Int32Array.from({ length: 1500 }, () => randomInt(random, 0, 100));
    const graph = SparseGraph.fromCsr(normalizedAdjacency({ users, items, numUsers: 200, numItems: 100 }));
    const out = propagateStore(graph, store);
    expect(out.shape).toEqual([300, maxDim]);
    expect(maxRelativeError(out.toArray(), referenceProduct(graph.toCsr(), padded(store), maxDim))).toBeLessThan(1e-5);
  });

  it("the fused kernel reading rows in place gives the bits of lookup + dense, never touching free slots", () => {
    const { store, sizes, random } = storeWithRows(testSeed("propagateStore fused"), 500);
    const graph = SparseGraph.fromCsr(randomCsr(random, 700, 500));
    const values = padded(store);
    // The store's layout: one block per size class, rows in shuffled slots, free slots full of NaN.
    const slots = candidates.map(() => [] as number[]);
    sizes.forEach((d, id) => slots[candidates.indexOf(d)]!.push(id));
    const locations = new Int32Array(500);
    const classWeights = slots.map((ids, c) => {
      const d = candidates[c]!;
      const capacity = ids.length + 3;
      const block = new Float32Array(capacity * d).fill(Number.NaN);
      const order = Array.from({ length: capacity }, (_, s) => s).sort(() => random() - 0.5);
      ids.forEach((id, k) => {
        const slot = order[k]!;
        block.set(values.subarray(id * maxDim, id * maxDim + d), slot * d);
        locations[id] = (slot << 4) | c;
      });
      return Tensor.from(block);
    });
    const fused = propagateStoreLayout(graph, { classWeights, classDims: Int32Array.from(candidates), locations, maxDim });
    expect(fused.toArray()).toEqual(propagateStore(graph, store).toArray());
    expect(() => propagateStoreLayout(graph, { classWeights, classDims: Int32Array.from(candidates),
                                               locations: locations.map((l, i) => (i === 7 ? (1 << 20) | 1 : l)), maxDim }))
      .toThrow(/locations\[7\] = 1048577 does not name a slot/);
  });

  it("its backward is Âᵀ·dOut cut to each row's size: finite differences through writeRows/readRows", () => {
    const { store, sizes, random } = storeWithRows(testSeed("propagateStore backward"), 120);
    const users = Int32Array.from({ length: 600 }, () => randomInt(random, 0, 80));
    const items = Int32Array.from({ length: 600 }, () => randomInt(random, 0, 40));
    const graph = SparseGraph.fromCsr(normalizedAdjacency({ users, items, numUsers: 80, numItems: 40 }));
    const w = randomFloats(random, 120 * maxDim);
    const { ids, gradOut } = propagateStoreBackward(graph, store, Tensor.from(w, { shape: [120, maxDim] }));
    expect(Array.from(ids.toArray())).toEqual(Array.from({ length: 120 }, (_, i) => i));
    const grad = gradOut.toArray();
    expect(maxRelativeError(grad, referenceTransposeProduct(graph.toCsr(), w, maxDim))).toBeLessThan(1e-5);

    const loss = (): number => dot(w, propagateStore(graph, store).toArray());
    const h = 0.05;
    for (let trial = 0; trial < 12; ++trial) {
      const id = randomInt(random, 0, 120);
      const k = randomInt(random, 0, sizes[id]!);
      const row = store.readRows([id]);
      const perturbed = (delta: number): number => {
        const changed = row.slice();
        changed[k]! += delta;
        store.writeRows([id], changed);
        return loss();
      };
      const numeric = (perturbed(h) - perturbed(-h)) / (2 * h);
      store.writeRows([id], row);
      expect(Math.abs(numeric - grad[id * maxDim + k]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    }

    // Into the store: sparseGradient keeps row c's first d_c entries; an SGD step (lr = 1) subtracts them.
    const cut = grad.map((g, index) => (index % maxDim < sizes[Math.floor(index / maxDim)]! ? g : 0));
    expect(store.sparseGradient(ids, gradOut).values.toArray()).toEqual(cut);
    const before = padded(store);
    store.step(ids, gradOut);
    expect(maxRelativeError(padded(store), before.map((v, index) => v - cut[index]!))).toBeLessThan(1e-6);
  });

  it("rejects a graph whose columns are not the store's rows", () => {
    const { store } = storeWithRows(1, 10);
    const graph = SparseGraph.fromCsr({ rowPtr: new Int32Array([0, 1]), colIdx: new Int32Array([3]),
                                        values: new Float32Array([1]), numCols: 9 });
    expect(() => propagateStore(graph, store)).toThrow("graph has 9 columns but store has 10 rows; they must match");
    expect(() => propagateStore({} as SparseGraph, store)).toThrow(TypeError);
  });
});

describe("bad input", () => {
  const x = Tensor.from(new Float32Array(8), { shape: [4, 2] });
  const csr = (rowPtr: number[], colIdx: number[], values: number[], numCols = 4): CsrMatrix =>
    ({ rowPtr: Int32Array.from(rowPtr), colIdx: Int32Array.from(colIdx), values: Float32Array.from(values), numCols });
  const cases: [string, CsrMatrix, RegExp][] = [
    ["row pointers not starting at 0", csr([1, 2, 3], [0, 1, 2], [1, 1, 1]), /^rowPtr\[0\] = 1 but must be 0$/],
    ["decreasing row pointers", csr([0, 2, 1, 3], [0, 1, 2], [1, 1, 1]),
     /^rowPtr\[2\] = 1 is less than rowPtr\[1\] = 2; row pointers must be non-decreasing$/],
    ["a last row pointer other than nnz", csr([0, 1, 2], [0, 1, 2], [1, 1, 1]), /^rowPtr\[2\] = 2 but must equal nnz = colIdx.length = 3$/],
    ["a column past numCols", csr([0, 1, 3], [0, 4, 2], [1, 1, 1]), /^colIdx\[1\] = 4 is out of range \[0, 4\)$/],
    ["a negative column", csr([0, 1, 3], [0, 1, -2], [1, 1, 1]), /^colIdx\[2\] = -2 is out of range \[0, 4\)$/],
    ["a NaN value", csr([0, 1, 3], [0, 1, 2], [1, Number.NaN, 1]), /^values\[1\] = NaN is not finite$/],
    ["an infinite value", csr([0, 1, 3], [0, 1, 2], [1, 1, -Infinity]), /^values\[2\] = -Infinity is not finite$/],
    ["values shorter than colIdx", csr([0, 1, 3], [0, 1, 2], [1, 1]), /^values has length 2 but must have 3/],
    ["an empty rowPtr", csr([], [], []), /^rowPtr has length 0 but must have numRows \+ 1 entries/],
  ];
  for (const [what, matrix, message] of cases) {
    it(`rejects ${what} with a RangeError naming the array`, () => {
      const expectRange = (fn: () => unknown): void => {
        expect(fn).toThrow(RangeError);
        expect(fn).toThrow(message);
      };
      expectRange(() => SparseGraph.fromCsr(matrix));
      const rows = Math.max(matrix.rowPtr.length - 1, 0);
      expectRange(() => propagate(matrix, x, { out: Tensor.zeros("float32", [rows, 2]) }));
      expectRange(() => propagateBackward(matrix, Tensor.zeros("float32", [rows, 2])));
    });
  }

  it("rejects wrong types and shapes with errors naming the argument", () => {
    const good = csr([0, 1, 3], [0, 1, 2], [1, 1, 1]);
    expect(() => propagate({ ...good, rowPtr: new Float32Array(3) as unknown as Int32Array }, x))
      .toThrow(new TypeError("graph.rowPtr must be an Int32Array, got a Float32Array"));
    expect(() => propagate({ ...good, colIdx: [0, 1, 2] as unknown as Int32Array }, x)).toThrow(TypeError);
    expect(() => SparseGraph.fromCsr({ ...good, values: new Float64Array(3) as unknown as Float32Array }))
      .toThrow(new TypeError("csr.values must be a Float32Array, got a Float64Array"));
    expect(() => SparseGraph.fromCsr({ ...good, numCols: 2.5 })).toThrow(RangeError);
    expect(() => propagate(null as unknown as CsrMatrix, x)).toThrow(TypeError);
    expect(() => propagate(good, Tensor.from(new Float32Array(6), { shape: [3, 2] }))).toThrow("x has shape [3, 2] but must have [4, 2]");
    expect(() => propagate(good, Tensor.from(new Float32Array(8)))).toThrow(new RangeError("x must have 2 dimensions, got shape [8]"));
    expect(() => propagate(good, Tensor.from(new Int32Array(8), { shape: [4, 2] }) as unknown as Tensor<"float32">))
      .toThrow(new TypeError("x must be a float32 tensor, got int32"));
    expect(() => propagate(good, x, { out: Tensor.zeros("float32", [3, 2]) })).toThrow("out has shape [3, 2] but must have [2, 2]");
    expect(() => propagateBackward(good, Tensor.zeros("float32", [3, 2]))).toThrow("dOut has shape [3, 2] but must have [2, 2]");
  });

  it("a graph the caller changed after validation never reads out of bounds", () => {
    // Interior row pointers and columns that lie, with ends that hold: the kernels clamp every index.
    const rowPtr = new Int32Array([0, 50, -7, 3, 4]);
    const colIdx = new Int32Array([100, -5, 2, 1]);
    const values = new Float32Array([1, 2, 3, 4]);
    const out = new Float32Array(4 * 2);
    kernels.sparsePropagate(rowPtr, colIdx, values, 3, new Float32Array(6).fill(1), 2, out, true);
    expect(out.every(Number.isFinite)).toBe(true);
    // The ends are checked on every call, validated or not.
    expect(() => kernels.sparsePropagate(rowPtr, colIdx, values.subarray(0, 3), 3, new Float32Array(6), 2, out, true))
      .toThrow("values has length 3 but must have 4");
    expect(() => kernels.sparsePropagate(new Int32Array([0, 1, 2, 3, 9]), colIdx, values, 3, new Float32Array(6), 2, out, true))
      .toThrow("rowPtr[4] = 9 but must equal nnz = colIdx.length = 4");
  });
});

describe.runIf(hasCuda)("sparse propagation on CUDA", () => {
  it("dense forward and backward give the CPU's bits on a power-law graph", () => {
    const random = rng(testSeed("propagate cuda"));
    const [numUsers, numItems] = [cudaTestSize(3000, 600), cudaTestSize(2000, 400)];
    const interactions = cudaTestSize(40000, 8000);
    const users = Int32Array.from({ length: interactions }, () => randomInt(random, 0, numUsers));
    const items = Int32Array.from({ length: interactions }, () => Math.floor(numItems * random() ** 3));
    const cpuGraph = SparseGraph.fromCsr(normalizedAdjacency({ users, items, numUsers, numItems }));
    const cudaGraph = cpuGraph.to("cuda");
    expect(cudaGraph.symmetric).toBe(true);
    const nodes = numUsers + numItems;
    for (const dim of [3, 16, 64, 256]) {
      const x = Tensor.from(randomFloats(random, nodes * dim), { shape: [nodes, dim] });
      const cpu = propagate(cpuGraph, x);
      const cuda = propagate(cudaGraph, x.to("cuda"));
      expect(cuda.device).toBe("cuda");
      expect(cuda.toArray()).toEqual(cpu.toArray());
      expect(propagateBackward(cudaGraph, cuda).toArray()).toEqual(propagateBackward(cpuGraph, cpu).toArray());
    }
    const rect = randomCsr(random, 2000, 300);
    const x = Tensor.from(randomFloats(random, 300 * 8), { shape: [300, 8] });
    expect(propagate(SparseGraph.fromCsr(rect, { device: "cuda" }), x.to("cuda")).toArray())
      .toEqual(propagate(rect, x).toArray());
  });

  it("the store paths and the fused kernel give the CPU's bits", () => {
    const random = rng(testSeed("propagateStore cuda"));
    const candidates = [2, 4, 8, 16, 64];
    const sizes = Array.from({ length: 400 }, () => pick(random, candidates));
    const values = randomFloats(random, 400 * 64);
    const ids = sizes.map((_, id) => id);
    const cpuStore = new EmbeddingStore({ candidates, sizes });
    const cudaStore = new EmbeddingStore({ candidates, sizes, device: "cuda" });
    cpuStore.writeRows(ids, values);
    cudaStore.writeRows(ids, values);
    const csr = randomCsr(random, 900, 400);
    const graph = SparseGraph.fromCsr(csr);
    const cudaGraph = graph.to("cuda");
    expect(propagateStore(cudaGraph, cudaStore).toArray()).toEqual(propagateStore(graph, cpuStore).toArray());
    const padded = cpuStore.readRows(ids);
    const locations = new Int32Array(400);
    const classWeights = candidates.map((d, c) => {
      const members = ids.filter((id) => sizes[id] === d);
      const block = new Float32Array(Math.max(members.length, 1) * d);
      members.forEach((id, slot) => {
        block.set(padded.subarray(id * 64, id * 64 + d), slot * d);
        locations[id] = (slot << 4) | c;
      });
      return block;
    });
    const layout = (device: "cpu" | "cuda") => ({
      classWeights: classWeights.map((block) => Tensor.from(block, { device })),
      classDims: Int32Array.from(candidates), locations, maxDim: 64,
    });
    expect(propagateStoreLayout(cudaGraph, layout("cuda")).toArray()).toEqual(propagateStoreLayout(graph, layout("cpu")).toArray());
  });

  it("checks a CSR on the device with the CPU's messages", () => {
    const upload = (rowPtr: number[], colIdx: number[], values: number[]) => [
      Tensor.from(Int32Array.from(rowPtr), { device: "cuda" }).nativeArgument("rowPtr"),
      Tensor.from(Int32Array.from(colIdx), { device: "cuda" }).nativeArgument("colIdx"),
      Tensor.from(Float32Array.from(values), { device: "cuda" }).nativeArgument("values"),
    ] as const;
    const check = (rowPtr: number[], colIdx: number[], values: number[]) => () => {
      const [r, c, v] = upload(rowPtr, colIdx, values);
      kernels.sparseCsrCheck(r, c, v, 4);
    };
    expect(check([0, 1, 3], [0, 1, 2], [1, 1, 1])).not.toThrow();
    expect(check([1, 2, 3], [0, 1, 2], [1, 1, 1])).toThrow("rowPtr[0] = 1 but must be 0");
    expect(check([0, 2, 1, 3], [0, 1, 2], [1, 1, 1])).toThrow("rowPtr[2] = 1 is less than rowPtr[1] = 2");
    expect(check([0, 1, 2], [0, 1, 2], [1, 1, 1])).toThrow("rowPtr[2] = 2 but must equal nnz = colIdx.length = 3");
    expect(check([0, 1, 3], [0, 4, 2], [1, 1, 1])).toThrow("colIdx[1] = 4 is out of range [0, 4)");
    expect(check([0, 1, 3], [0, 1, 2], [1, Number.NaN, 1])).toThrow("values[1] = NaN is not finite");
  });
});
