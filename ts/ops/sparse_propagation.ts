/**
 * Sparse propagation, LightGCN's layer: out = Â·X for a CSR matrix Â and rows X, forward and
 * backward (dX = Âᵀ·dOut). X is a dense [numCols, D] tensor, or the rows of a mixed-dimension
 * EmbeddingStore, where row c counts as zero beyond its size d_c and the output is padded to d_max.
 *
 * The summation order is fixed by the graph alone (see native/kernels/sparse_propagation.h), so
 * results do not depend on the thread count, and the CPU and CUDA kernels agree bit for bit.
 */
import { type Device, type DeviceOption, resolveDevice } from "../backend.js";
import type { EmbeddingStore } from "../embedding_store.js";
import { type CsrMatrix, csrEquals, transposeValidCsr, validateCsr } from "../graph/normalized_adjacency.js";
import { native, type NativeFloat32, type NativeInt32 } from "../native.js";
import { describe, Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectShape, expectTensor, kernelArgument, outputTensor } from "./op_tensors.js";



interface GraphArrays {
  rowPtr: Tensor<"int32">;
  colIdx: Tensor<"int32">;
  values: Tensor<"float32">;
}

/**
 * A CSR matrix validated once, with its transpose for the backward pass, on one device.
 * Per-layer calls then skip the O(nnz) validation (the kernels still never read out of bounds).
 * It holds its own copies of the arrays, so later writes to the caller's arrays do not reach it.
 */
export class SparseGraph {
  readonly numRows: number;
  readonly numCols: number;
  readonly nnz: number;
  readonly device: Device;
  #arrays: GraphArrays | undefined;
  #transpose: SparseGraph | undefined;

  private constructor(csr: CsrMatrix, device: Device) {
    this.numRows = csr.rowPtr.length - 1;
    this.numCols = csr.numCols;
    this.nnz = csr.colIdx.length;
    this.device = device;
    this.#arrays = {
      rowPtr: Tensor.from(csr.rowPtr.slice(), { device }),
      colIdx: Tensor.from(csr.colIdx.slice(), { device }),
      values: Tensor.from(csr.values.slice(), { device }),
    };
  }

  /**
   * Validates `csr` (TypeError or RangeError naming the first bad entry) and builds its transpose
   * by a stable counting sort; a matrix equal to its transpose (a normalised adjacency) shares it.
   *
   * @example
   * const graph = SparseGraph.fromCsr(normalizedAdjacency({ users, items, numUsers, numItems }));
   * const e1 = propagate(graph, e0);
   */
  static fromCsr(csr: CsrMatrix, options: { device?: DeviceOption } = {}): SparseGraph {
    validateCsr(csr, "csr");
    const device = resolveDevice(options.device ?? "cpu");
    const graph = new SparseGraph(csr, device);
    const transpose = transposeValidCsr(csr);
    graph.#transpose = csrEquals(csr, transpose) ? graph : new SparseGraph(transpose, device);
    if (graph.#transpose !== graph) graph.#transpose.#transpose = graph;
    return graph;
  }

  /** Âᵀ, the graph the backward pass runs on (this graph itself when Â is symmetric). */
  get transpose(): SparseGraph {
    this.arrays("transpose");
    return this.#transpose!;
  }

  /** Whether Â equals Âᵀ bit for bit. */
  get symmetric(): boolean {
    return this.#transpose === this;
  }

  /** A host copy of the CSR arrays. */
  toCsr(): CsrMatrix {
    const arrays = this.arrays("toCsr");
    const copy = <T extends Int32Array | Float32Array>(array: T): T =>
      (this.device === "cpu" ? array.slice() : array) as T;
    return {
      rowPtr: copy(arrays.rowPtr.toArray()),
      colIdx: copy(arrays.colIdx.toArray()),
      values: copy(arrays.values.toArray()),
      numCols: this.numCols,
    };
  }

  /** This graph (and its transpose) on another device, or this graph when it is already there. */
  to(device: DeviceOption): SparseGraph {
    const target = resolveDevice(device);
    if (target === this.device) return this;
    const graph = new SparseGraph(this.toCsr(), target);
    const transpose = this.transpose;
    graph.#transpose = transpose === this ? graph : new SparseGraph(transpose.toCsr(), target);
    if (graph.#transpose !== graph) graph.#transpose.#transpose = graph;
    return graph;
  }

  /** Frees the graph's memory (and its transpose's) now. */
  dispose(): void {
    const transpose = this.#transpose;
    for (const tensor of Object.values(this.#arrays ?? {})) (tensor as Tensor).dispose();
    this.#arrays = undefined;
    this.#transpose = undefined;
    if (transpose !== undefined && transpose !== this) transpose.dispose();
  }

  /** @internal The kernel arguments of the CSR arrays. */
  nativeArguments(argument: string): [NativeInt32, NativeInt32, NativeFloat32] {
    const arrays = this.arrays(argument);
    return [kernelArgument(arrays.rowPtr, `${argument}.rowPtr`), kernelArgument(arrays.colIdx, `${argument}.colIdx`),
            kernelArgument(arrays.values, `${argument}.values`)];
  }

  private arrays(argument: string): GraphArrays {
    if (this.#arrays === undefined) throw new Error(`${argument}: the graph is disposed`);
    return this.#arrays;
  }
}

function expectGraph(graph: unknown, argument: string): SparseGraph | CsrMatrix {
  if (graph instanceof SparseGraph) return graph;
  if (typeof graph !== "object" || graph === null) {
    throw new TypeError(`${argument} must be a SparseGraph or a CSR matrix object, got ${describe(graph)}`);
  }
  return graph as CsrMatrix;
}

function graphShape(graph: SparseGraph | CsrMatrix): { numRows: number; numCols: number } {
  return graph instanceof SparseGraph
    ? { numRows: graph.numRows, numCols: graph.numCols }
    : { numRows: Math.max(graph.rowPtr.length - 1, 0), numCols: graph.numCols };
}

/**
 * Runs the dense kernel: a SparseGraph was validated when it was made; a raw CSR (host arrays)
 * is validated by the kernel's binding on this call.
 */
function runDense(graph: SparseGraph | CsrMatrix, argument: string, x: Tensor<"float32">, dim: number,
                  out: Tensor<"float32">): void {
  const device = commonDevice({ x, out });
  if (graph instanceof SparseGraph) {
    if (graph.device !== device) throw new TypeError(`${argument} is on ${graph.device} but x is on ${device}`);
    const [rowPtr, colIdx, values] = graph.nativeArguments(argument);
    native.sparsePropagate(rowPtr, colIdx, values, graph.numCols, kernelArgument(x, "x"), dim,
                            kernelArgument(out, "out"), true);
  } else {
    native.sparsePropagate(graph.rowPtr, graph.colIdx, graph.values, graph.numCols, kernelArgument(x, "x"), dim,
                            kernelArgument(out, "out"), false);
  }
}

function checkCsrTypes(graph: SparseGraph | CsrMatrix, argument: string): void {
  if (graph instanceof SparseGraph) return;
  if (!(graph.rowPtr instanceof Int32Array)) throw new TypeError(`${argument}.rowPtr must be an Int32Array, got ${describe(graph.rowPtr)}`);
  if (!(graph.colIdx instanceof Int32Array)) throw new TypeError(`${argument}.colIdx must be an Int32Array, got ${describe(graph.colIdx)}`);
  if (!(graph.values instanceof Float32Array)) throw new TypeError(`${argument}.values must be a Float32Array, got ${describe(graph.values)}`);
  if (!Number.isInteger(graph.numCols) || graph.numCols < 0) {
    throw new RangeError(`${argument}.numCols must be a non-negative integer, got ${String(graph.numCols)}`);
  }
}

export interface PropagateOptions {
  /** Written in place of a fresh output ([numRows, D], on x's device); its old values are ignored. */
  out?: Tensor<"float32">;
}

/**
 * out = Â·x: out[i, :] = Σ_p values[p]·x[colIdx[p], :] over row i's entries. x is [numCols, D];
 * out is [numRows, D] on x's device. `graph` is a SparseGraph (validated once) or a raw CSR
 * matrix of host arrays (validated on every call).
 */
export function propagate(graph: SparseGraph | CsrMatrix, x: Tensor<"float32">,
                          options: PropagateOptions = {}): Tensor<"float32"> {
  const a = expectGraph(graph, "graph");
  checkCsrTypes(a, "graph");
  const input = expectTensor(x, "float32", "x");
  expectRank(input, 2, "x");
  const { numRows, numCols } = graphShape(a);
  const dim = input.shape[1]!;
  expectShape(input, [numCols, dim], "x");
  const out = options.out === undefined
    ? outputTensor("float32", [numRows, dim], input.device)
    : expectTensor(options.out, "float32", "out");
  expectShape(out, [numRows, dim], "out");
  runDense(a, "graph", input, dim, out);
  return out;
}

/**
 * The backward pass of propagate: dx = Âᵀ·dOut, [numCols, D]. It runs the forward kernel on the
 * transpose (a SparseGraph keeps it; a raw CSR matrix is validated and transposed on this call),
 * so each row of dx sums in a fixed order, with no atomics.
 */
export function propagateBackward(graph: SparseGraph | CsrMatrix, dOut: Tensor<"float32">,
                                  options: PropagateOptions = {}): Tensor<"float32"> {
  const a = expectGraph(graph, "graph");
  checkCsrTypes(a, "graph");
  const grad = expectTensor(dOut, "float32", "dOut");
  expectRank(grad, 2, "dOut");
  const { numRows } = graphShape(a);
  expectShape(grad, [numRows, grad.shape[1]!], "dOut");
  if (a instanceof SparseGraph) return propagate(a.transpose, grad, options);
  validateCsr(a, "graph");
  return propagate(transposeValidCsr(a), grad, options);
}

function allRows(count: number, device: Device): Tensor<"int32"> {
  const ids = new Int32Array(count);
  for (let i = 0; i < count; ++i) ids[i] = i;
  return Tensor.from(ids, { device });
}

function expectStoreGraph(graph: SparseGraph, store: EmbeddingStore): void {
  if (!(graph instanceof SparseGraph)) throw new TypeError(`graph must be a SparseGraph, got ${describe(graph)}`);
  if (typeof store !== "object" || store === null || typeof store.lookup !== "function") {
    throw new TypeError(`store must be an EmbeddingStore, got ${describe(store)}`);
  }
  if (graph.numCols !== store.numRows) {
    throw new RangeError(`graph has ${graph.numCols} columns but store has ${store.numRows} rows; they must match`);
  }
  if (graph.device !== store.device) throw new TypeError(`graph is on ${graph.device} but store is on ${store.device}`);
}

/**
 * out = Â·E for the rows E of a mixed-dimension store: row c of E is the store's row c, zero
 * beyond its size d_c, and out is [numRows, d_max]. Today this gathers every row into a dense
 * [numCols, d_max] buffer (store.lookup) and runs the dense kernel; the fused kernel that reads
 * the rows in place waits on the store binding exposing its rows (docs/sparse_propagation.md).
 */
export function propagateStore(graph: SparseGraph, store: EmbeddingStore,
                               options: PropagateOptions = {}): Tensor<"float32"> {
  expectStoreGraph(graph, store);
  const rows = store.lookup(allRows(store.numRows, store.device));
  try {
    return propagate(graph, rows, options);
  } finally {
    rows.dispose();
  }
}

/** What the store's backward takes: every row id and its gradient, for store.step or store.sparseGradient. */
export interface StoreGradient {
  /** 0 .. numCols − 1. */
  ids: Tensor<"int32">;
  /** Âᵀ·dOut, [numCols, d_max]; the store keeps row c's first d_c entries and drops the rest. */
  gradOut: Tensor<"float32">;
}

/**
 * The backward pass of propagateStore: dE = Âᵀ·dOut for every row, to pass on as
 * `store.step(ids, gradOut)` (fused optimizer step) or `store.sparseGradient(ids, gradOut)`.
 * Row c's gradient is dE[c, :d_c]; the entries beyond d_c belong to no weight and are dropped there.
 */
export function propagateStoreBackward(graph: SparseGraph, store: EmbeddingStore,
                                       dOut: Tensor<"float32">): StoreGradient {
  expectStoreGraph(graph, store);
  const grad = expectTensor(dOut, "float32", "dOut");
  expectShape(grad, [graph.numRows, store.maxDim], "dOut");
  return { ids: allRows(store.numRows, store.device), gradOut: propagateBackward(graph, grad) };
}

/**
 * @internal A mixed-dimension layout given as plain arrays, as the store keeps it: one block of
 * capacity × d_c floats per size class, and per row the packed location (slot << 4) | class.
 */
export interface StoreLayout {
  classWeights: Tensor<"float32">[];
  classDims: Int32Array;
  locations: Int32Array;
  maxDim: number;
}

/**
 * @internal The fused store kernel (rows read in place at their own size) on a layout given as
 * arrays: its test path until the EmbeddingStore binding lets the op read the store directly.
 */
export function propagateStoreLayout(graph: SparseGraph, layout: StoreLayout): Tensor<"float32"> {
  if (!(graph instanceof SparseGraph)) throw new TypeError(`graph must be a SparseGraph, got ${describe(graph)}`);
  if (graph.numCols !== layout.locations.length) {
    throw new RangeError(`graph has ${graph.numCols} columns but the layout has ${layout.locations.length} rows`);
  }
  const out = outputTensor("float32", [graph.numRows, layout.maxDim], graph.device);
  const [rowPtr, colIdx, values] = graph.nativeArguments("graph");
  native.sparsePropagateStoreLayout(rowPtr, colIdx, values,
                                     layout.classWeights.map((w, c) => kernelArgument(w, `classWeights[${c}]`)),
                                     layout.classDims, layout.locations, layout.maxDim, kernelArgument(out, "out"), true);
  return out;
}
