/**
 * Concatenation and slicing along the feature (column) dimension of [rows, columns] tensors.
 * Each is the other's backward: the gradient of concatFeatures is a slice per input
 * (concatFeaturesBackward), and the gradient of sliceFeatures places dy in its columns of a
 * zero tensor (sliceFeaturesBackward). All run one copy kernel with row and column offsets.
 */
import type { Device } from "../backend.js";
import { native } from "../native.js";
import { describe, type Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectTensor, kernelArgument, outputTensor, overwrittenOutput } from "./op_tensors.js";



function columnIndex(value: unknown, argument: string): number {
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${argument} must be a non-negative integer, got ${value}`);
  return value;
}

/** [rows, Σ c_i] from inputs [rows, c_i], side by side in order. */
export function concatFeatures(xs: readonly Tensor<"float32">[]): Tensor<"float32"> {
  if (!Array.isArray(xs)) throw new TypeError(`xs must be an array of tensors, got ${describe(xs)}`);
  if (xs.length === 0) throw new RangeError("xs must hold at least one tensor");
  const inputs = xs.map((x, i) => {
    const input = expectTensor(x, "float32", `xs[${i}]`);
    expectRank(input, 2, `xs[${i}]`);
    return input;
  });
  const rows = inputs[0]!.shape[0]!;
  inputs.forEach((input, i) => {
    if (input.shape[0] !== rows) {
      throw new RangeError(`xs[${i}] has shape [${input.shape.join(", ")}] but xs[0] has ${rows} rows`);
    }
  });
  const device: Device = commonDevice(Object.fromEntries(inputs.map((input, i) => [`xs[${i}]`, input])));
  const columns = inputs.reduce((sum, input) => sum + input.shape[1]!, 0);
  const out = overwrittenOutput("float32", [rows, columns], device);
  let start = 0;
  inputs.forEach((input, i) => {
    const width = input.shape[1]!;
    native.featureCopy(kernelArgument(input, `xs[${i}]`), width, 0, kernelArgument(out, "out"), columns, start, rows, width);
    start += width;
  });
  return out;
}

/** Columns [start, start + width) of x [rows, columns], as [rows, width]. */
export function sliceFeatures(x: Tensor<"float32">, start: number, width: number): Tensor<"float32"> {
  const input = expectTensor(x, "float32", "x");
  expectRank(input, 2, "x");
  const [rows, columns] = input.shape as [number, number];
  const first = columnIndex(start, "start");
  const count = columnIndex(width, "width");
  if (first + count > columns) {
    throw new RangeError(`start + width = ${first} + ${count} exceeds x's ${columns} columns`);
  }
  const out = overwrittenOutput("float32", [rows, count], input.device);
  native.featureCopy(kernelArgument(input, "x"), columns, first, kernelArgument(out, "out"), count, 0, rows, count);
  return out;
}

/** The gradients of concatFeatures' inputs: dy [rows, Σ widths] sliced into [rows, widths[i]]. */
export function concatFeaturesBackward(dy: Tensor<"float32">, widths: readonly number[]): Tensor<"float32">[] {
  const grad = expectTensor(dy, "float32", "dy");
  expectRank(grad, 2, "dy");
  if (!Array.isArray(widths)) throw new TypeError(`widths must be an array of numbers, got ${describe(widths)}`);
  const counts = widths.map((width, i) => columnIndex(width, `widths[${i}]`));
  const total = counts.reduce((sum, width) => sum + width, 0);
  if (total !== grad.shape[1]) {
    throw new RangeError(`widths sum to ${total} but dy has shape [${grad.shape.join(", ")}]`);
  }
  let start = 0;
  return counts.map((width) => {
    const part = sliceFeatures(grad, start, width);
    start += width;
    return part;
  });
}

/** The gradient of sliceFeatures' input: dy [rows, width] placed at column `start` of zeros [rows, columns]. */
export function sliceFeaturesBackward(dy: Tensor<"float32">, columns: number, start: number): Tensor<"float32"> {
  const grad = expectTensor(dy, "float32", "dy");
  expectRank(grad, 2, "dy");
  const [rows, width] = grad.shape as [number, number];
  const total = columnIndex(columns, "columns");
  const first = columnIndex(start, "start");
  if (first + width > total) {
    throw new RangeError(`start + dy's width = ${first} + ${width} exceeds columns = ${total}`);
  }
  const dx = outputTensor("float32", [rows, total], grad.device);
  native.featureCopy(kernelArgument(grad, "dy"), width, 0, kernelArgument(dx, "dx"), total, first, rows, width);
  return dx;
}
