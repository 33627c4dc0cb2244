/**
 * AutoDim's and DARTS's mixture on the tape (see ts/ops/gumbel_mixture.ts for the kernels):
 *
 *   mixtureWeightsOp:   log α [F, M] → w [F, M], w_f = softmax((log α_f + g_f)/τ) or its one-hot
 *   projectCandidatesOp: e [B, F, K] → h [B, F, M, D], h_fm = W_fm e_fm + b_fm
 *   weightedSumOp:      h [B, F, M, D], w [F, M] → [B, F, D]
 *   projectAndMixOp:    e, W, b, w → [B, F, D], the two above fused when no batch norm sits between
 *
 * plus reshapeOp, a view with a new shape (the batch norm between projection and mix sees h as 2-D).
 */
import type { NativeDeviceBuffer } from "../../native.js";
import { Tensor } from "../../tensor.js";
import {
  mixtureWeights, mixtureWeightsBackward, projectAndMix, projectAndMixBackward, projectCandidates,
  projectCandidatesBackward, weightedSum, weightedSumBackward, type CandidateProjections, type MixtureMode,
} from "../../ops/gumbel_mixture.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

export interface MixtureWeightsAttrs {
  tau: number;
  mode: MixtureMode;
  seed: number;
  /** The noise key: one draw per (seed, step, field, candidate). */
  step: number;
}

interface ProjectionAttrs {
  /** Candidate sizes d_m. */
  dims: readonly number[];
  /** Candidate m is the prefix of one d_{M−1}-wide row (true) or has columns of its own (false). */
  shared: boolean;
}

interface ReshapeAttrs {
  shape: readonly number[];
}

/**
 * The same values under another shape, without a copy: the CPU array or the device buffer is
 * shared. (A general helper; it would belong on Tensor.)
 */
export function viewAs(tensor: Tensor<"float32">, shape: readonly number[]): Tensor<"float32"> {
  const size = shape.reduce((n, extent) => n * extent, 1);
  if (size !== tensor.size) {
    throw new RangeError(`cannot view shape [${tensor.shape.join(", ")}] as [${shape.join(", ")}]`);
  }
  if (tensor.device === "cpu") return Tensor.from(tensor.toArray(), { shape });
  return Tensor.fromDeviceBuffer("float32", shape, tensor.nativeArgument("tensor") as NativeDeviceBuffer);
}

const projections = (weights: Tensor<"float32">, biases: Tensor<"float32">, attrs: ProjectionAttrs): CandidateProjections =>
  ({ dims: attrs.dims, shared: attrs.shared, weights, biases });

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<ReshapeAttrs>("mixtureReshape", backend, ([x], { shape }) => ({ output: viewAs(x!, shape) }));
  registerKernel<MixtureWeightsAttrs>("mixtureWeights", backend, ([logAlpha], attrs) => {
    const { p, w } = mixtureWeights(logAlpha!, attrs);
    return { output: w, saved: p };
  });
  registerKernel<undefined>("weightedSum", backend, ([h, w]) => ({ output: weightedSum(h!, w!) }));
  registerKernel<ProjectionAttrs>("projectCandidates", backend, ([e, weights, biases], attrs) =>
    ({ output: projectCandidates(projections(weights!, biases!, attrs), e!) }));
  registerKernel<ProjectionAttrs>("projectAndMix", backend, ([e, weights, biases, w], attrs) =>
    ({ output: projectAndMix(projections(weights!, biases!, attrs), e!, w!) }));
}

registerGradient<ReshapeAttrs>("mixtureReshape", (dy, { inputs: [x] }) => [viewAs(dy, x!.shape)]);

// Hard mode's forward is one-hot; its gradient is the soft one (straight-through), from the saved p.
registerGradient<MixtureWeightsAttrs>("mixtureWeights", (dw, { saved, attrs }) =>
  [mixtureWeightsBackward(saved as Tensor<"float32">, dw, attrs.tau)]);

registerGradient<undefined>("weightedSum", (dout, { inputs: [h, w] }) => {
  const { dh, dw } = weightedSumBackward(h!, w!, dout);
  return [dh, dw];
});

registerGradient<ProjectionAttrs>("projectCandidates", (dh, { inputs: [e, weights, biases], attrs }) => {
  const { de, dweights, dbiases } = projectCandidatesBackward(projections(weights!, biases!, attrs), e!, dh);
  return [de, dweights, dbiases];
});

registerGradient<ProjectionAttrs>("projectAndMix", (dout, { inputs: [e, weights, biases, w], attrs }) => {
  const { de, dweights, dbiases, dw } = projectAndMixBackward(projections(weights!, biases!, attrs), e!, w!, dout);
  return [de, dweights, dbiases, dw];
});

/** x with a new shape of the same size; the gradient takes x's shape back. */
export function reshapeOp(x: Variable, shape: readonly number[]): Variable {
  return runOp<ReshapeAttrs>("mixtureReshape", [x], { shape: [...shape] });
}

/** w [F, M]: softmax((log α + g)/τ) per field ("gumbel"; g = 0 in "softmax"), or its one-hot ("hard"). */
export function mixtureWeightsOp(logAlpha: Variable, attrs: MixtureWeightsAttrs): Variable {
  return runOp<MixtureWeightsAttrs>("mixtureWeights", [logAlpha], { ...attrs });
}

/** out[b, f, :] = Σ_m w[f, m]·h[b, f, m, :]: h [B, F, M, D], w [F, M] → [B, F, D]. */
export function weightedSumOp(h: Variable, w: Variable): Variable {
  return runOp<undefined>("weightedSum", [h, w], undefined);
}

/** h[b, f, m, :] = W_fm e_fm[b] + b_fm: e [B, F, K], weights [F, D, Σ d_m], biases [F, M, D] → [B, F, M, D]. */
export function projectCandidatesOp(e: Variable, weights: Variable, biases: Variable, dims: readonly number[],
                                    shared: boolean): Variable {
  return runOp<ProjectionAttrs>("projectCandidates", [e, weights, biases], { dims: [...dims], shared });
}

/** out[b, f, :] = Σ_m w_fm (W_fm e_fm[b] + b_fm) → [B, F, D], one GEMM per field. */
export function projectAndMixOp(e: Variable, weights: Variable, biases: Variable, w: Variable, dims: readonly number[],
                                shared: boolean): Variable {
  return runOp<ProjectionAttrs>("projectAndMix", [e, weights, biases, w], { dims: [...dims], shared });
}
