/**
 * LightGCN's propagation on the tape, out = Â·X, in two forms:
 * - `propagateRows(graph, x)`: X is a dense Variable [numCols, D]; the backward is dX = Âᵀ·dOut.
 * - `propagateEmbedding(graph, parameter)`: X is the rows of a mixed-dimension store (row c zero
 *   beyond its size d_c), the output is padded to d_max, and the backward hands Âᵀ·dOut for every
 *   row to the store's row-sparse parameter, which keeps row c's first d_c entries.
 *
 * Both sum in an order fixed by the graph (ts/ops/sparse_propagation.ts), so results do not
 * depend on the thread count. The graph is an attribute, not an input: Â takes no gradient.
 */
import type { EmbeddingParameter } from "../../modules/embedding_parameter.js";
import { propagate, propagateBackward, propagateStore, propagateStoreBackward, SparseGraph } from "../../ops/sparse_propagation.js";
import { describe } from "../../tensor.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import { record } from "../tape.js";
import { Variable } from "../variable.js";

interface PropagationAttrs {
  graph: SparseGraph;
}

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<PropagationAttrs>("sparsePropagate", backend, ([x], { graph }) => ({ output: propagate(graph, x!) }));
}
registerGradient<PropagationAttrs>("sparsePropagate", (dOut, { attrs }) => [propagateBackward(attrs.graph, dOut)]);

function expectSparseGraph(graph: unknown): SparseGraph {
  if (!(graph instanceof SparseGraph)) {
    throw new TypeError(`graph must be a SparseGraph (SparseGraph.fromCsr(csr)), got ${describe(graph)}`);
  }
  return graph;
}

/**
 * Â·x on the tape for a dense x [graph.numCols, D]: [graph.numRows, D] on x's device.
 *
 * @example
 * const graph = SparseGraph.fromCsr(normalizedAdjacency({ users, items, numUsers, numItems }));
 * const e1 = propagateRows(graph, e0);   // e0: Variable [numUsers + numItems, D]
 */
export function propagateRows(graph: SparseGraph, x: Variable): Variable {
  const a = expectSparseGraph(graph);
  if (!(x instanceof Variable)) throw new TypeError(`x must be a Variable, got ${describe(x)}`);
  return runOp<PropagationAttrs>("sparsePropagate", [x], { graph: a });
}

/**
 * Â·E on the tape for the rows E of an embedding parameter's store (every row, in id order):
 * [graph.numRows, store.maxDim], row c of E counting as zero beyond its size. The backward
 * accumulates (ids 0..numCols−1, Âᵀ·dOut) into the parameter, for the optimizer's fused step.
 *
 * @example
 * const embedding = embeddingFromPlan(plan, "nodes");
 * const e1 = propagateEmbedding(graph, embedding.weight);
 */
export function propagateEmbedding(graph: SparseGraph, parameter: EmbeddingParameter): Variable {
  const a = expectSparseGraph(graph);
  if (typeof parameter !== "object" || parameter === null || typeof parameter.accumulate !== "function") {
    throw new TypeError(`parameter must be an EmbeddingParameter (e.g. embedding.weight), got ${describe(parameter)}`);
  }
  const store = parameter.store;
  const rows = propagateStore(a, store);
  return record("propagateEmbedding", [], rows, (dOut) => {
    const { ids, gradOut } = propagateStoreBackward(a, store, dOut);
    parameter.accumulate(ids, gradOut);
    return [];
  }, true);
}
