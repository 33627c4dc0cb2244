/**
 * The projection chain on the tape: rows [B, R] at per-row sizes → [B, d_n] through
 * M_k = W_{n−1}⋯W_k and c_k, precomposed from the current weights at each forward (a
 * matrix-sized cost, so every batch sees the weights of the latest optimizer step).
 */
import { chainBackward, chainForward, precomposeChain, type ChainParameters, type PrecomposedChain } from "../../ops/projection_chain.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

interface ChainAttrs {
  dims: readonly number[];
  sizes: Int32Array;
}

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<ChainAttrs>("projectionChain", backend, ([rows, weights, biases], { dims, sizes }) => {
    const precomposed = precomposeChain({ dims, weights: weights!, biases: biases! });
    return { output: chainForward(precomposed, rows!, sizes), saved: precomposed };
  });
}
registerGradient<ChainAttrs>("projectionChain", (dout, { inputs: [rows, weights, biases], saved, attrs }) => {
  const chain: ChainParameters = { dims: attrs.dims, weights: weights!, biases: biases! };
  const { drows, dweights, dbiases } = chainBackward(chain, saved as PrecomposedChain, rows!, attrs.sizes, dout);
  return [drows, dweights, dbiases];
});

export function projectionChain(rows: Variable, weights: Variable, biases: Variable, dims: readonly number[],
                                sizes: Int32Array): Variable {
  return runOp<ChainAttrs>("projectionChain", [rows, weights, biases], { dims, sizes });
}
