/**
 * Elementwise arithmetic on tensors of one shape and device: z = α·x + β·y, and z = x ⊙ y.
 * `out` may be one of the inputs, which makes accumulation (y += x) an in-place update.
 */
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectShape, expectTensor, kernelArgument, outputTensor } from "./op_tensors.js";

function operands(x: Tensor<"float32">, y: Tensor<"float32">, out: Tensor<"float32"> | undefined) {
  const left = expectTensor(x, "float32", "x");
  const right = expectTensor(y, "float32", "y");
  expectShape(right, left.shape, "y");
  const device = commonDevice({ x: left, y: right });
  const result = out === undefined ? outputTensor("float32", left.shape, device) : expectTensor(out, "float32", "out");
  expectShape(result, left.shape, "out");
  commonDevice({ x: left, out: result });
  return { left, right, result };
}

/** α·x + β·y, written to `out` when given. */
export function linearCombination(alpha: number, x: Tensor<"float32">, beta: number, y: Tensor<"float32">,
                                  out?: Tensor<"float32">): Tensor<"float32"> {
  const { left, right, result } = operands(x, y, out);
  native.linearCombination(alpha, kernelArgument(left, "x"), beta, kernelArgument(right, "y"), kernelArgument(result, "out"));
  return result;
}

/** x + y. */
export function add(x: Tensor<"float32">, y: Tensor<"float32">, out?: Tensor<"float32">): Tensor<"float32"> {
  return linearCombination(1, x, 1, y, out);
}

/** y ← y + α·x, in place; returns y. */
export function addScaledInPlace(y: Tensor<"float32">, alpha: number, x: Tensor<"float32">): Tensor<"float32"> {
  return linearCombination(alpha, x, 1, y, y);
}

/** α·x. */
export function scale(x: Tensor<"float32">, alpha: number): Tensor<"float32"> {
  return linearCombination(alpha, x, 0, x);
}

/** x ⊙ y. */
export function multiply(x: Tensor<"float32">, y: Tensor<"float32">, out?: Tensor<"float32">): Tensor<"float32"> {
  const { left, right, result } = operands(x, y, out);
  native.product(kernelArgument(left, "x"), kernelArgument(right, "y"), kernelArgument(result, "out"));
  return result;
}
