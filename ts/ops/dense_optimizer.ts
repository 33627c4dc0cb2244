/**
 * Dense optimizer steps over flat float32 parameters, in place, with PyTorch's semantics:
 * SGD with momentum and L2 weight decay (torch.optim.SGD, dampening 0), Adam with coupled L2
 * weight decay (torch.optim.Adam) or decoupled decay (AdamW), and clipping by the global L2
 * norm (torch.nn.utils.clip_grad_norm_). These are functional kernels: the caller keeps the
 * state and the step count (a stateful optimizer layer builds on them).
 */
import { native } from "../native.js";
import { describe, type Tensor } from "../tensor.js";
import { commonDevice, expectShape, expectTensor, kernelArgument, outputTensor } from "./op_tensors.js";



export interface SgdOptions {
  learningRate: number;
  /** μ ≥ 0: buf ← μ·buf + g, w ← w − lr·buf. Default 0 (plain SGD, no buffer). */
  momentum?: number;
  /** λ ≥ 0, L2: g ← g + λ·w. Default 0. */
  weightDecay?: number;
}

export interface SgdState {
  /** Created (zeros, like param) on the first step with momentum > 0. */
  momentumBuffer?: Tensor<"float32">;
}

export interface AdamOptions {
  learningRate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** λ ≥ 0. Default 0. */
  weightDecay?: number;
  /** false (default): L2 added to the gradient, as torch.optim.Adam; true: w ← w·(1 − lr·λ), as AdamW. */
  decoupled?: boolean;
}

export interface AdamState {
  m: Tensor<"float32">;
  v: Tensor<"float32">;
}

function paramAndGrad(param: Tensor<"float32">, grad: Tensor<"float32">): [Tensor<"float32">, Tensor<"float32">] {
  const p = expectTensor(param, "float32", "param");
  const g = expectTensor(grad, "float32", "grad");
  expectShape(g, p.shape, "grad");
  return [p, g];
}

/**
 * One SGD step on param, in place: w ← w − lr·d with d = g + λ·w, or the momentum buffer μ·buf + d.
 *
 * @example
 * const state: SgdState = {};
 * sgdStep(weights, grads, state, { learningRate: 0.1, momentum: 0.9 });
 */
export function sgdStep(param: Tensor<"float32">, grad: Tensor<"float32">, state: SgdState, options: SgdOptions): void {
  const [p, g] = paramAndGrad(param, grad);
  const momentum = options.momentum ?? 0;
  let buffer: Tensor<"float32"> | undefined;
  if (typeof momentum === "number" && momentum > 0) {
    buffer = state.momentumBuffer ?? outputTensor("float32", p.shape, p.device);
    expectTensor(buffer, "float32", "state.momentumBuffer");
    expectShape(buffer, p.shape, "state.momentumBuffer");
  }
  commonDevice(buffer === undefined ? { param: p, grad: g } : { param: p, grad: g, "state.momentumBuffer": buffer });
  native.denseSgdStep(kernelArgument(p, "param"), kernelArgument(g, "grad"),
                       buffer === undefined ? null : kernelArgument(buffer, "state.momentumBuffer"),
                       options.learningRate, momentum, options.weightDecay ?? 0);
  if (buffer !== undefined) state.momentumBuffer = buffer;
}

/** Zeroed Adam moments for param, on its device. */
export function adamState(param: Tensor<"float32">): AdamState {
  const p = expectTensor(param, "float32", "param");
  return { m: outputTensor("float32", p.shape, p.device), v: outputTensor("float32", p.shape, p.device) };
}

/**
 * One Adam step on param, in place, updating state.m and state.v. `step` is the 1-based count of
 * steps taken including this one; it sets the bias corrections 1 − β^step.
 *
 * @example
 * const state = adamState(weights);
 * adamStep(weights, grads, state, 1, { learningRate: 1e-3 });
 */
export function adamStep(param: Tensor<"float32">, grad: Tensor<"float32">, state: AdamState, step: number,
                         options: AdamOptions): void {
  const [p, g] = paramAndGrad(param, grad);
  const m = expectTensor(state?.m, "float32", "state.m");
  const v = expectTensor(state?.v, "float32", "state.v");
  expectShape(m, p.shape, "state.m");
  expectShape(v, p.shape, "state.v");
  commonDevice({ param: p, grad: g, "state.m": m, "state.v": v });
  const decoupled = options.decoupled ?? false;
  if (typeof decoupled !== "boolean") throw new TypeError(`decoupled must be a boolean, got ${describe(decoupled)}`);
  native.denseAdamStep(kernelArgument(p, "param"), kernelArgument(g, "grad"), kernelArgument(m, "state.m"),
                        kernelArgument(v, "state.v"), step, options.learningRate, options.beta1 ?? 0.9,
                        options.beta2 ?? 0.999, options.eps ?? 1e-8, options.weightDecay ?? 0, decoupled);
}

export interface AdagradOptions {
  learningRate: number;
  /** Default 1e-10 (PyTorch's). */
  eps?: number;
  weightDecay?: number;
}

export interface AdagradState {
  /** Σ g² per element. */
  sum: Tensor<"float32">;
}

/** A zeroed Adagrad accumulator for param, on its device. */
export function adagradState(param: Tensor<"float32">): AdagradState {
  const p = expectTensor(param, "float32", "param");
  return { sum: outputTensor("float32", p.shape, p.device) };
}

/** One Adagrad step on param, in place: G ← G + g², w ← w − lr·g/(sqrt(G) + ε), with g ← g + λ·w first. */
export function adagradStep(param: Tensor<"float32">, grad: Tensor<"float32">, state: AdagradState,
                            options: AdagradOptions): void {
  const [p, g] = paramAndGrad(param, grad);
  const sum = expectTensor(state?.sum, "float32", "state.sum");
  expectShape(sum, p.shape, "state.sum");
  commonDevice({ param: p, grad: g, "state.sum": sum });
  native.denseAdagradStep(kernelArgument(p, "param"), kernelArgument(g, "grad"), kernelArgument(sum, "state.sum"),
                           options.learningRate, options.eps ?? 1e-10, options.weightDecay ?? 0);
}

/**
 * Scales every gradient, in place, by min(1, maxNorm/(‖g‖ + 1e-6)), where ‖g‖ is the L2 norm of all
 * of them together (summed in double, in a fixed order), and returns ‖g‖. A non-finite norm is
 * returned and leaves the gradients unchanged. All gradients must share one device.
 */
export function clipGradNorm(grads: readonly Tensor<"float32">[], maxNorm: number): number {
  if (!Array.isArray(grads)) throw new TypeError(`grads must be an Array of tensors, got ${describe(grads)}`);
  const tensors = grads.map((grad, i) => expectTensor(grad, "float32", `grads[${i}]`));
  if (tensors.length > 0) commonDevice(Object.fromEntries(tensors.map((tensor, i) => [`grads[${i}]`, tensor])));
  return native.clipGradNorm(tensors.map((tensor, i) => kernelArgument(tensor, `grads[${i}]`)), maxNorm);
}

