/**
 * ESAPN's projection chain over {2, 4, 8, 16, 64, 128} at batch B: precomposing once per step, the
 * forward precomposed (one product per row, M_k·e + c_k) and step by step (one link after another)
 * for rows all at each size class and for rows spread over them, one link (enlarge), and the
 * backward. Both forward paths move the same effective bytes (rows read within their sizes, the
 * [B, 128] output written), so their GB/s compare as their speeds do; the table pairs them by rows.
 */
import type { Device } from "../../backend.js";
import {
  chainBackward, chainForward, chainForwardStepwise, chainLayout, chainLink, type ChainParameters, precomposeChain,
} from "../../ops/projection_chain.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { rowsAt } from "../chain_bench.js";
import { disposeOutputs, floatBytes, type KernelCase, kernelCase, type KernelGroup } from "../kernel_case.js";

const dims = [2, 4, 8, 16, 64, 128];

export function projectionChainCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const batch = profile.batch;
  const layout = chainLayout(dims);
  const full = dims[dims.length - 1]!;
  const chain: ChainParameters = {
    dims, weights: inputs.seeded([layout.weightCount], 1, 0.3), biases: inputs.seeded([layout.biasCount], 2, 0.1),
  };
  const precomposed = precomposeChain(chain);
  inputs.hold(precomposed.matrices);
  inputs.hold(precomposed.offsets);
  const out = inputs.zeros([batch, full]);
  const rowValues = (sizes: Int32Array) => sizes.reduce((total, size) => total + size, 0);

  const forwardPair = (rows: string, sizes: Int32Array, seed: number): KernelCase[] => {
    const values = inputs.from(rowsAt(sizes, full, seed), [batch, full]);
    const common = { shape: `B ${batch}, ${rows}`, pass: "forward", bound: "bandwidth",
                     effectiveBytes: floatBytes(rowValues(sizes), batch * full) } as const;
    return [
      kernelCase({ op: "chainForward", label: `precomposed, ${rows}`, ...common,
                   chainPath: { rows, path: "precomposed" },
                   run: () => chainForward(precomposed, values, sizes, { out }) }),
      kernelCase({ op: "chainForwardStepwise", label: `step by step, ${rows}`, ...common,
                   chainPath: { rows, path: "step-by-step" },
                   run: () => chainForwardStepwise(chain, values, sizes, { out }) }),
    ];
  };
  const spreadSizes = Int32Array.from({ length: batch }, (_, b) => dims[b % dims.length]!);
  const spreadRows = inputs.from(rowsAt(spreadSizes, full, 20), [batch, full]);
  const dout = inputs.seeded([batch, full], 21);
  const parameterValues = layout.weightCount + layout.biasCount;
  const spread = `B ${batch}, sizes spread evenly`;

  const cases: KernelCase[] = [
    kernelCase({ op: "precomposeChain", label: "M_k = W_{n−2}⋯W_k and c_k, every class",
                 shape: `dims {${dims.join(", ")}}`, pass: "update", bound: "bandwidth",
                 effectiveBytes: floatBytes(parameterValues, layout.matrixCount, dims.length * full),
                 run: () => precomposeChain(chain), release: disposeOutputs }),
    ...dims.slice(0, -1).flatMap((size, k) => forwardPair(`all at ${size}`, new Int32Array(batch).fill(size), 3 + k)),
    ...forwardPair("sizes spread evenly", spreadSizes, 10),
    kernelCase({ op: "chainLink", label: "one link per row (enlarge)", shape: spread, pass: "forward",
                 bound: "bandwidth", effectiveBytes: floatBytes(rowValues(spreadSizes), parameterValues, batch * full),
                 run: () => chainLink(chain, spreadRows, spreadSizes), release: disposeOutputs }),
    kernelCase({ op: "chainBackward", label: "drows, dW_j, db_j", shape: spread, pass: "backward", bound: "bandwidth",
                 // Rows, dout, the links and M_k read; drows and the links' gradients written.
                 effectiveBytes: floatBytes(rowValues(spreadSizes), batch * full, parameterValues, layout.matrixCount,
                                            batch * full, parameterValues),
                 run: () => chainBackward(chain, precomposed, spreadRows, spreadSizes, dout), release: disposeOutputs }),
  ];
  return { family: "projection chain", cases, dispose: () => inputs.dispose() };
}
