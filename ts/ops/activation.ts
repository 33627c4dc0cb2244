/**
 * Elementwise activations, forward and backward. The backward takes the forward's output y,
 * from which each derivative follows (relu' = [y > 0], tanh' = 1 − y², sigmoid' = y(1 − y)).
 */
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectShape, expectTensor, kernelArgument, overwrittenOutput } from "./op_tensors.js";

export type Activation = "relu" | "tanh" | "sigmoid";

const activationCodes: Record<Activation, number> = { relu: 0, tanh: 1, sigmoid: 2 };

function activationCode(kind: Activation): number {
  const code = activationCodes[kind];
  if (code === undefined) throw new TypeError(`kind must be "relu", "tanh" or "sigmoid", got ${JSON.stringify(kind)}`);
  return code;
}

/** y = f(x), elementwise, on x's device. */
export function activation(kind: Activation, x: Tensor<"float32">): Tensor<"float32"> {
  const code = activationCode(kind);
  const input = expectTensor(x, "float32", "x");
  const y = overwrittenOutput("float32", input.shape, input.device);
  native.activationForward(code, kernelArgument(input, "x"), kernelArgument(y, "y"));
  return y;
}

/** dL/dx from the forward output y and dL/dy. */
export function activationBackward(kind: Activation, y: Tensor<"float32">, dy: Tensor<"float32">): Tensor<"float32"> {
  const code = activationCode(kind);
  const output = expectTensor(y, "float32", "y");
  const grad = expectTensor(dy, "float32", "dy");
  expectShape(grad, output.shape, "dy");
  const device = commonDevice({ y: output, dy: grad });
  const dx = overwrittenOutput("float32", output.shape, device);
  native.activationBackward(code, kernelArgument(output, "y"), kernelArgument(grad, "dy"), kernelArgument(dx, "dx"));
  return dx;
}
