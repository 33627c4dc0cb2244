/**
 * Sparse propagation's figure: out = Â·X, LightGCN's layer, on a synthetic power-law bipartite
 * graph (100k users, 50k items, 2M interactions by default; Â has twice as many entries), timed
 * as every kernel here is (median of repeated synchronous calls) and read in GB/s against the
 * device's copy bandwidth (target on a GPU: ≥ 0.6×).
 *
 * Effective bytes, as FBGEMM counts "bytes of rows accessed": 4·(N+1) + 8·nnz of CSR read,
 * 4·nnz·D of rows read (one row per entry, cached or not), 4·N·D of output written.
 *
 * It also times the store path of propagateStore as it runs today, store.lookup of every row into
 * a dense [N, d_max] buffer and then the dense kernel, so the cost of that gather shows beside
 * the propagation it feeds (what a fused kernel reading rows in place would save).
 */
import type { Device } from "../backend.js";
import { mulberry32 } from "../data/random.js";
import { EmbeddingStore } from "../embedding_store.js";
import { normalizedAdjacency } from "../graph/normalized_adjacency.js";
import { propagate, SparseGraph } from "../ops/sparse_propagation.js";
import { Tensor } from "../tensor.js";
import { defaultTiming, gigabytesPerSecond, timeMedian, type TimingOptions } from "./timing.js";

export interface PropagationWorkload {
  numUsers: number;
  numItems: number;
  /** Pairs drawn before duplicates are merged. */
  interactions: number;
  /** D, the width of X's rows. */
  dim: number;
  /** P(user k) ∝ (k+1)^−userExponent, P(item k) ∝ (k+1)^−itemExponent, ids then shuffled. */
  userExponent: number;
  itemExponent: number;
  seed: number;
  /** Candidate sizes of the store the store path reads, d_max = the last; each row's size drawn uniformly. */
  storeCandidates: readonly number[];
}

export const defaultPropagationWorkload: PropagationWorkload = {
  numUsers: 100_000,
  numItems: 50_000,
  interactions: 2_000_000,
  dim: 64,
  userExponent: 0.6,
  itemExponent: 0.9,
  seed: 1,
  storeCandidates: [8, 16, 32, 64],
};

export interface PropagationFigure {
  device: Device;
  /** N = numUsers + numItems: Â is N × N. */
  numNodes: number;
  nnz: number;
  maxDegree: number;
  dim: number;
  bytes: number;
  medianMs: number;
  runs: number;
  gbPerSecond: number;
  /** propagateStore as it runs today: the gather of every row, then the dense kernel at d_max. */
  store: {
    lookupMs: number;
    propagateMs: number;
    /** 4·Σ_p d_col[p] + CSR + output: the bytes a fused kernel reading rows in place would move. */
    fusedBytes: number;
  };
}

/** 4·(N+1) + 8·nnz (CSR) + 4·nnz·D (rows read) + 4·N·D (output written). */
export function propagationBytes(numRows: number, nnz: number, dim: number): number {
  return 4 * (numRows + 1) + 8 * nnz + 4 * nnz * dim + 4 * numRows * dim;
}

/**
 * What a kernel reading a mixed-dimension store's rows in place must move for Â·E: the CSR,
 * 4·Σ_p d_col[p] of rows read (each entry's row at its own size) and the [N, d_max] output written.
 */
export function storePropagationBytes(numRows: number, nnz: number, rowFloats: number, maxDim: number): number {
  return 4 * (numRows + 1) + 8 * nnz + 4 * rowFloats + 4 * numRows * maxDim;
}

/** Draws ids in [0, n) with P(k) ∝ (k+1)^−exponent, then relabels them by a seeded shuffle. */
function powerLawSampler(n: number, exponent: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; ++k) cdf[k] = total += (k + 1) ** -exponent;
  const label = Int32Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; --k) {
    const j = Math.floor(random() * (k + 1));
    [label[k], label[j]] = [label[j]!, label[k]!];
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cdf[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return label[low]!;
  };
}

/** The benchmark's interaction pairs: power-law users and items, seeded. */
export function powerLawInteractions(workload: PropagationWorkload): { users: Int32Array; items: Int32Array } {
  const random = mulberry32(workload.seed);
  const user = powerLawSampler(workload.numUsers, workload.userExponent, random);
  const item = powerLawSampler(workload.numItems, workload.itemExponent, random);
  const users = new Int32Array(workload.interactions);
  const items = new Int32Array(workload.interactions);
  for (let k = 0; k < workload.interactions; ++k) {
    users[k] = user();
    items[k] = item();
  }
  return { users, items };
}

/** Times propagate(Â, X) on `device` and the store path beside it; returns the figure (GB/s included). */
export function benchPropagation(device: Device, overrides: Partial<PropagationWorkload> = {},
                                 timing: TimingOptions = defaultTiming): PropagationFigure {
  const workload = { ...defaultPropagationWorkload, ...overrides };
  const { users, items } = powerLawInteractions(workload);
  const adjacency = normalizedAdjacency({ users, items, numUsers: workload.numUsers, numItems: workload.numItems });
  const graph = SparseGraph.fromCsr(adjacency, { device });
  const numNodes = workload.numUsers + workload.numItems;
  const nnz = adjacency.colIdx.length;
  let maxDegree = 0;
  for (let r = 0; r < numNodes; ++r) maxDegree = Math.max(maxDegree, adjacency.rowPtr[r + 1]! - adjacency.rowPtr[r]!);

  const random = mulberry32(workload.seed + 1);
  const xHost = new Float32Array(numNodes * workload.dim);
  for (let k = 0; k < xHost.length; ++k) xHost[k] = random() - 0.5;
  const x = Tensor.from(xHost, { shape: [numNodes, workload.dim], device });
  const out = Tensor.zeros("float32", [numNodes, workload.dim], device);

  const candidates = workload.storeCandidates;
  const maxDim = candidates[candidates.length - 1]!;
  const sizes = Int32Array.from({ length: numNodes }, () => candidates[Math.floor(random() * candidates.length)]!);
  const store = new EmbeddingStore({ candidates, sizes, device, seed: workload.seed });
  const ids = Tensor.from(Int32Array.from({ length: numNodes }, (_, i) => i), { device });
  const rows = Tensor.zeros("float32", [numNodes, maxDim], device);
  const storeOut = Tensor.zeros("float32", [numNodes, maxDim], device);
  try {
    const dense = timeMedian(() => propagate(graph, x, { out }), () => {}, timing);
    const lookup = timeMedian(() => store.lookup(ids, rows), () => {}, timing);
    const gathered = timeMedian(() => propagate(graph, rows, { out: storeOut }), () => {}, timing);
    let rowFloats = 0;
    for (let p = 0; p < nnz; ++p) rowFloats += sizes[adjacency.colIdx[p]!]!;
    const bytes = propagationBytes(numNodes, nnz, workload.dim);
    return {
      device, numNodes, nnz, maxDegree, dim: workload.dim, bytes,
      medianMs: dense.medianMs, runs: dense.runs, gbPerSecond: gigabytesPerSecond(bytes, dense.medianMs),
      store: {
        lookupMs: lookup.medianMs,
        propagateMs: gathered.medianMs,
        fusedBytes: storePropagationBytes(numNodes, nnz, rowFloats, maxDim),
      },
    };
  } finally {
    for (const tensor of [x, out, ids, rows, storeOut]) tensor.dispose();
    store.dispose();
    graph.dispose();
  }
}
