import { describe, expect, it } from "vitest";
import { backend } from "../../ts/backend.js";
import { native } from "../../ts/native.js";
import { softmax, softmaxBackward } from "../../ts/ops/softmax.js";
import { Tensor } from "../../ts/tensor.js";
import { randomFloats, rng, testSeed } from "../support/random.js";
import { maxRelativeError } from "../support/reference_store.js";

/** float64 softmax of each row. */
function reference(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; ++r) {
    let max = -Infinity;
    for (let j = 0; j < cols; ++j) max = Math.max(max, x[r * cols + j]!);
    let sum = 0;
    for (let j = 0; j < cols; ++j) sum += Math.exp(x[r * cols + j]! - max);
    for (let j = 0; j < cols; ++j) y[r * cols + j] = Math.exp(x[r * cols + j]! - max) / sum;
  }
  return y;
}

describe("softmax", () => {
  it("matches float64 row by row, for batch 1, one column and wide rows", () => {
    const random = rng(testSeed("softmax"));
    for (const [rows, cols] of [[1, 7], [64, 1], [300, 10], [3, 2000]] as const) {
      const x = randomFloats(random, rows * cols, 8);
      const y = softmax(Tensor.from(x, { shape: [rows, cols] }));
      expect(y.shape).toEqual([rows, cols]);
      expect(maxRelativeError(y.toArray(), reference(x, rows, cols))).toBeLessThan(1e-6);
    }
  });

  it("is stable for large logits (subtracts the row maximum)", () => {
    const y = softmax(Tensor.from(new Float32Array([1000, 1001, -1000, 88, 89, 90]), { shape: [2, 3] })).toArray();
    expect(maxRelativeError(y, reference([1000, 1001, -1000, 88, 89, 90], 2, 3))).toBeLessThan(1e-6);
  });

  it("runs over the last dimension of higher-rank tensors, and on empty ones", () => {
    const random = rng(testSeed("softmax rank 3"));
    const x = randomFloats(random, 2 * 3 * 4);
    expect(maxRelativeError(softmax(Tensor.from(x, { shape: [2, 3, 4] })).toArray(), reference(x, 6, 4))).toBeLessThan(1e-6);
    expect(softmax(Tensor.zeros("float32", [0, 5])).size).toBe(0);
    expect(softmax(Tensor.zeros("float32", [4, 0])).size).toBe(0);
  });

  it("backward matches finite differences of L = Σ softmax(x) ⊙ R", () => {
    const random = rng(testSeed("softmax backward"));
    const [rows, cols] = [5, 9];
    const x = randomFloats(random, rows * cols, 3);
    const r = randomFloats(random, rows * cols);
    const loss = (v: Float64Array) => reference(v, rows, cols).reduce((sum, y, i) => sum + y * r[i]!, 0);
    const y = softmax(Tensor.from(x, { shape: [rows, cols] }));
    const dx = softmaxBackward(y, Tensor.from(r, { shape: [rows, cols] })).toArray();
    const h = 1e-5;
    const expected = Array.from(x, (_, i) => {
      const up = Float64Array.from(x); up[i]! += h;
      const down = Float64Array.from(x); down[i]! -= h;
      return (loss(up) - loss(down)) / (2 * h);
    });
    expect(maxRelativeError(dx, expected)).toBeLessThan(1e-5);
  });

  it("rejects wrong dtypes, shapes, devices and overlapping outputs, naming the argument", () => {
    const y = Tensor.zeros("float32", [2, 3]);
    expect(() => softmax(new Float32Array(6) as unknown as Tensor<"float32">)).toThrow("x must be a Tensor, got a Float32Array");
    expect(() => softmax(Tensor.zeros("int32", [2, 3]) as unknown as Tensor<"float32">)).toThrow("x must be a float32 tensor, got int32");
    expect(() => softmax(Tensor.zeros("float32", []))).toThrow(RangeError);
    expect(() => softmaxBackward(y, Tensor.zeros("float32", [3, 2]))).toThrow("dy has shape [3, 2] but must have [2, 3]");
    const addon = native;
    const buffer = new Float32Array(6);
    expect(() => addon.softmaxForward(buffer, buffer, 2, 3)).toThrow("y overlaps x");
    expect(() => addon.softmaxForward(buffer, new Float32Array(5), 2, 3)).toThrow("y has length 5 but must have rows × cols = 2 × 3");
    expect(() => addon.softmaxBackward(buffer, new Float32Array(6), buffer, 2, 3)).toThrow("dx overlaps y");
  });
});

describe.runIf(backend().cudaDevices.length > 0)("softmax on CUDA", () => {
  it("matches the CPU forward and backward", () => {
    const random = rng(testSeed("softmax cuda"));
    for (const [rows, cols] of [[1, 1], [1000, 10], [7, 3000]] as const) {
      const x = Tensor.from(randomFloats(random, rows * cols, 5), { shape: [rows, cols] });
      const dy = Tensor.from(randomFloats(random, rows * cols), { shape: [rows, cols] });
      const y = softmax(x);
      const yCuda = softmax(x.to("cuda"));
      expect(maxRelativeError(yCuda.toArray(), y.toArray())).toBeLessThan(1e-6);
      const dx = softmaxBackward(y, dy);
      const dxCuda = softmaxBackward(y.to("cuda"), dy.to("cuda"));
      expect(maxRelativeError(dxCuda.toArray(), dx.toArray())).toBeLessThan(1e-5);
    }
  });

  it("rejects mixed devices", () => {
    expect(() => softmaxBackward(Tensor.zeros("float32", [2, 2], "cuda"), Tensor.zeros("float32", [2, 2]))).toThrow(TypeError);
  });
});
