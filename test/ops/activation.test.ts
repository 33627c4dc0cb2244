import { describe, expect, it } from "vitest";
import { activation, activationBackward, Tensor, type Activation } from "mixdim";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, rng, testSeed } from "../support/random.js";

const reference: Record<Activation, (x: number) => number> = {
  relu: (x) => Math.max(x, 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

describe("activations", () => {
  for (const kind of ["relu", "tanh", "sigmoid"] as Activation[]) {
    it(`${kind} matches the float64 definition, and its backward matches finite differences`, () => {
      const random = rng(testSeed(kind));
      const x = randomFloats(random, 5000, 4);
      const y = activation(kind, Tensor.from(x, { shape: [50, 100] }));
      expect(y.shape).toEqual([50, 100]);
      expect(maxRelativeError(y.toArray(), Array.from(x, reference[kind]))).toBeLessThan(1e-6);
      const dy = randomFloats(random, 5000);
      const dx = activationBackward(kind, y, Tensor.from(dy, { shape: [50, 100] })).toArray();
      const h = 1e-4;
      const expected = Array.from(x, (xi, i) =>
        Math.abs(xi) < 1e-3 && kind === "relu" ? dx[i]! : ((reference[kind](xi + h) - reference[kind](xi - h)) / (2 * h)) * dy[i]!);
      expect(maxRelativeError(dx, expected)).toBeLessThan(1e-4);
    });
  }

  it("handles an empty tensor", () => {
    expect(activation("tanh", Tensor.from(new Float32Array(0))).size).toBe(0);
  });

  it("rejects a wrong kind, a wrong dtype and mismatched shapes", () => {
    const x = Tensor.from(new Float32Array(4));
    expect(() => activation("gelu" as Activation, x)).toThrow(TypeError);
    expect(() => activation("relu", Tensor.from(new Int32Array(4)) as unknown as Tensor<"float32">)).toThrow("x must be a float32 tensor, got int32");
    expect(() => activation("relu", new Float32Array(4) as unknown as Tensor<"float32">)).toThrow("x must be a Tensor, got a Float32Array");
    expect(() => activationBackward("relu", x, Tensor.from(new Float32Array(3)))).toThrow("dy has shape [3] but must have [4]");
  });
});
