/**
 * Differentiable ops registered the tfjs-core way: a kernel per (op, backend) and one gradient
 * per op. Adding a backend is a set of registerKernel calls; no op changes.
 *
 * An op runs on the device of its inputs; its gradient receives what the forward saved.
 */
import type { Device } from "../backend.js";
import { commonDevice } from "../ops/op_tensors.js";
import type { Tensor } from "../tensor.js";
import { record } from "./tape.js";
import type { Variable } from "./variable.js";

export interface KernelResult {
  output: Tensor<"float32">;
  /** Whatever the gradient needs beyond inputs and output (e.g. batch statistics). */
  saved?: unknown;
}

export type Kernel<Attrs> = (inputs: readonly Tensor<"float32">[], attrs: Attrs) => KernelResult;

export interface GradientContext<Attrs> {
  inputs: readonly Tensor<"float32">[];
  output: Tensor<"float32">;
  saved: unknown;
  attrs: Attrs;
}

/** dL/d(inputs[i]) given dL/d(output); undefined where an input has no gradient. */
export type Gradient<Attrs> = (gradOutput: Tensor<"float32">, context: GradientContext<Attrs>) =>
  readonly (Tensor<"float32"> | undefined)[];

const kernels = new Map<string, Kernel<unknown>>();
const gradients = new Map<string, Gradient<unknown>>();

const kernelKey = (op: string, backend: Device) => `${op}_${backend}`;

export function registerKernel<Attrs>(op: string, backend: Device, kernel: Kernel<Attrs>): void {
  kernels.set(kernelKey(op, backend), kernel as Kernel<unknown>);
}

export function registerGradient<Attrs>(op: string, gradient: Gradient<Attrs>): void {
  gradients.set(op, gradient as Gradient<unknown>);
}

/** Runs op on its inputs' device and records it on the tape. */
export function runOp<Attrs>(op: string, inputs: readonly Variable[], attrs: Attrs): Variable {
  const named = Object.fromEntries(inputs.map((input, i) => [input.name ?? `${op} input ${i}`, input.value]));
  const device = commonDevice(named);
  const kernel = kernels.get(kernelKey(op, device));
  if (kernel === undefined) throw new Error(`${op} has no kernel registered for ${device}`);
  const values = inputs.map((input) => input.value);
  const { output, saved } = kernel(values, attrs);
  const gradient = gradients.get(op);
  return record(op, inputs, output, (gradOutput) => {
    if (gradient === undefined) throw new Error(`${op} has no gradient registered`);
    return gradient(gradOutput, { inputs: values, output, saved, attrs });
  });
}
