/**
 * LightGCN's layer on a synthetic power-law bipartite graph (propagation_bench.ts's workload:
 * 100k users, 50k items, 2M interactions in the full profile), D = 64: out = Â·X and its backward
 * Âᵀ·dOut (Â is symmetric, so the same kernel on the same graph), in GB/s as propagation_bench.ts
 * counts them; and over a mixed-dimension store (sizes {8, 16, 32, 64}): propagateStore as it runs
 * today (gather every row, then the dense kernel at d_max), the fused kernel reading rows in place
 * (propagateStoreLayout), and the store's backward. Both store forwards are read against the bytes
 * the fused kernel must move, so the gather's cost shows as the lower figure.
 */
import type { Device } from "../../backend.js";
import { mulberry32 } from "../../data/random.js";
import { EmbeddingStore } from "../../embedding_store.js";
import { normalizedAdjacency } from "../../graph/normalized_adjacency.js";
import {
  propagate, propagateBackward, propagateStore, propagateStoreBackward, propagateStoreLayout, SparseGraph,
  type StoreLayout,
} from "../../ops/sparse_propagation.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, kernelCase, type KernelGroup } from "../kernel_case.js";
import {
  defaultPropagationWorkload, powerLawInteractions, propagationBytes, storePropagationBytes,
} from "../propagation_bench.js";
import { seededFloats } from "../seeded_floats.js";

/** Rows of each size class packed in id order: the layout a freshly built store has. */
function packedLayout(sizes: Int32Array, candidates: readonly number[], inputs: CaseInputs): StoreLayout {
  const slots = candidates.map(() => 0);
  const locations = new Int32Array(sizes.length);
  sizes.forEach((size, id) => {
    const c = candidates.indexOf(size);
    locations[id] = (slots[c]!++ << 4) | c;
  });
  return {
    classWeights: candidates.map((d, c) => inputs.from(seededFloats(Math.max(slots[c]!, 1) * d, 30 + c))),
    classDims: Int32Array.from(candidates), locations, maxDim: candidates[candidates.length - 1]!,
  };
}

export function sparsePropagationCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const workload = { ...defaultPropagationWorkload, ...profile.propagation };
  const { users, items } = powerLawInteractions(workload);
  const adjacency = normalizedAdjacency({ users, items, numUsers: workload.numUsers, numItems: workload.numItems });
  const graph = SparseGraph.fromCsr(adjacency, { device });
  const inputs = new CaseInputs(device);
  const nodes = graph.numRows;
  const nnz = graph.nnz;
  const { dim, storeCandidates: candidates } = workload;
  const maxDim = candidates[candidates.length - 1]!;
  const x = inputs.seeded([nodes, dim], 1);
  const out = inputs.zeros([nodes, dim]);
  const dOut = inputs.seeded([nodes, maxDim], 2);
  const storeOut = inputs.zeros([nodes, maxDim]);

  const random = mulberry32(workload.seed + 1);
  const sizes = Int32Array.from({ length: nodes }, () => candidates[Math.floor(random() * candidates.length)]!);
  const store = new EmbeddingStore({ candidates, sizes, device, seed: workload.seed });
  const layout = packedLayout(sizes, candidates, inputs);
  let rowFloats = 0;
  for (const column of adjacency.colIdx) rowFloats += sizes[column]!;
  const storeBytes = storePropagationBytes(nodes, nnz, rowFloats, maxDim);

  const graphShape = `N ${nodes}, nnz ${nnz}, D ${dim}`;
  const storeShape = `N ${nodes}, nnz ${nnz}, sizes {${candidates.join(", ")}}`;
  return {
    family: "sparse propagation",
    cases: [
      kernelCase({ op: "propagate", label: "out = Â·X", shape: graphShape, pass: "forward", bound: "bandwidth",
                   effectiveBytes: propagationBytes(nodes, nnz, dim), run: () => propagate(graph, x, { out }) }),
      kernelCase({ op: "propagateBackward", label: "dX = Âᵀ·dOut", shape: graphShape, pass: "backward",
                   bound: "bandwidth", effectiveBytes: propagationBytes(nodes, nnz, dim),
                   run: () => propagateBackward(graph, x, { out }) }),
      kernelCase({ op: "propagateStore", label: "Â·E over the store: gather, then Â·X at d_max", shape: storeShape,
                   pass: "forward", bound: "bandwidth", effectiveBytes: storeBytes,
                   run: () => propagateStore(graph, store, { out: storeOut }) }),
      kernelCase({ op: "propagateStoreLayout", label: "Â·E, fused: rows read in place at their sizes",
                   shape: storeShape, pass: "forward", bound: "bandwidth", effectiveBytes: storeBytes,
                   run: () => propagateStoreLayout(graph, layout), release: disposeOutputs }),
      kernelCase({ op: "propagateStoreBackward", label: "dE = Âᵀ·dOut at d_max, with every row id", shape: storeShape,
                   pass: "backward", bound: "bandwidth", effectiveBytes: propagationBytes(nodes, nnz, maxDim) + 4 * nodes,
                   run: () => propagateStoreBackward(graph, store, dOut), release: disposeOutputs }),
    ],
    dispose: () => {
      inputs.dispose();
      store.dispose();
      graph.dispose();
    },
  };
}
