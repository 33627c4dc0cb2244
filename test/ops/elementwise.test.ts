import { describe, expect, it } from "vitest";
import { add, addScaledInPlace, linearCombination, multiply, scale, Tensor } from "mixdim";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, rng, testSeed } from "../support/random.js";

describe("elementwise arithmetic", () => {
  it("computes α·x + β·y, x + y, α·x and x ⊙ y as float64 does", () => {
    const random = rng(testSeed("elementwise"));
    const xs = randomFloats(random, 3001);
    const ys = randomFloats(random, 3001);
    const x = Tensor.from(xs);
    const y = Tensor.from(ys);
    expect(maxRelativeError(linearCombination(0.5, x, -2, y).toArray(), Array.from(xs, (v, i) => 0.5 * v - 2 * ys[i]!))).toBeLessThan(1e-6);
    expect(maxRelativeError(add(x, y).toArray(), Array.from(xs, (v, i) => v + ys[i]!))).toBeLessThan(1e-6);
    expect(maxRelativeError(scale(x, 3).toArray(), Array.from(xs, (v) => 3 * v))).toBeLessThan(1e-6);
    expect(maxRelativeError(multiply(x, y).toArray(), Array.from(xs, (v, i) => v * ys[i]!))).toBeLessThan(1e-6);
  });

  it("accumulates in place, and β = 0 ignores NaN in the output", () => {
    const y = Tensor.from(Float32Array.from([1, 2]));
    addScaledInPlace(y, 2, Tensor.from(Float32Array.from([10, 20])));
    expect(Array.from(y.toArray())).toEqual([21, 42]);
    const garbage = Tensor.from(Float32Array.from([Number.NaN, Number.NaN]));
    expect(Array.from(linearCombination(2, Tensor.from(Float32Array.from([1, 2])), 0, garbage, garbage).toArray())).toEqual([2, 4]);
  });

  it("rejects mismatched shapes and non-finite coefficients", () => {
    const x = Tensor.from(new Float32Array(4));
    expect(() => add(x, Tensor.from(new Float32Array(3)))).toThrow("y has shape [3] but must have [4]");
    expect(() => linearCombination(Number.NaN, x, 1, x)).toThrow(/alpha must be finite/);
    expect(() => multiply(x, x, Tensor.from(new Float32Array(5)))).toThrow(/out has shape/);
  });
});
