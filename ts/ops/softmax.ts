/**
 * Softmax along the last dimension, y = exp(x − max) / Σ exp(x − max) per row, and its backward
 * from the output: dx = y ⊙ (dy − Σ_j dy_j y_j).
 */
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectShape, expectTensor, kernelArgument, outputTensor } from "./op_tensors.js";



function rowsAndColumns(tensor: Tensor, argument: string): [number, number] {
  if (tensor.shape.length === 0) throw new RangeError(`${argument} must have at least 1 dimension, got shape []`);
  const cols = tensor.shape[tensor.shape.length - 1]!;
  return [cols === 0 ? 0 : tensor.size / cols, cols];
}

/** Softmax of each row (the last dimension) of x, numerically stable; on x's device. */
export function softmax(x: Tensor<"float32">): Tensor<"float32"> {
  const input = expectTensor(x, "float32", "x");
  const [rows, cols] = rowsAndColumns(input, "x");
  const y = outputTensor("float32", input.shape, input.device);
  native.softmaxForward(kernelArgument(input, "x"), kernelArgument(y, "y"), rows, cols);
  return y;
}

/** dL/dx from the forward output y and dL/dy. */
export function softmaxBackward(y: Tensor<"float32">, dy: Tensor<"float32">): Tensor<"float32"> {
  const output = expectTensor(y, "float32", "y");
  const grad = expectTensor(dy, "float32", "dy");
  expectShape(grad, output.shape, "dy");
  const device = commonDevice({ y: output, dy: grad });
  const [rows, cols] = rowsAndColumns(output, "y");
  const dx = outputTensor("float32", output.shape, device);
  native.softmaxBackward(kernelArgument(output, "y"), kernelArgument(grad, "dy"), kernelArgument(dx, "dx"), rows, cols);
  return dx;
}
