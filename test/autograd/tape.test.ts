import { describe, expect, it } from "vitest";
import { Tensor } from "mixdim";
import { backward, noGrad } from "../../ts/autograd/tape.js";
import { Variable } from "../../ts/autograd/variable.js";
import { relu, sigmoid, tanh } from "../../ts/autograd/ops/activation_op.js";
import { combine, plus, times } from "../../ts/autograd/ops/arithmetic_op.js";
import { randomFloats, rng, testSeed } from "../support/random.js";

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0);

describe("the tape", () => {
  it("back-propagates a graph with a shared input as central differences say", () => {
    const random = rng(testSeed("tape"));
    const xs = randomFloats(random, 64, 2);
    const ys = randomFloats(random, 64, 2);
    // f(x, y) = Σ tanh(x ⊙ y) ⊙ sigmoid(x) + 0.5·relu(x − 2y): x is used three times.
    const f = (x: Variable, y: Variable) => plus(times(tanh(times(x, y)), sigmoid(x)), combine(0.5, relu(combine(1, x, -2, y)), 0, x));
    const x = new Variable(Tensor.from(xs), { requiresGrad: true });
    const y = new Variable(Tensor.from(ys), { requiresGrad: true });
    const out = f(x, y);
    backward(out, Tensor.from(new Float32Array(64).fill(1)));
    const value = (a: Float32Array, b: Float32Array) =>
      sum(noGrad(() => f(new Variable(Tensor.from(a)), new Variable(Tensor.from(b)))).value.toArray());
    const h = 1e-3;
    for (const i of [0, 7, 63]) {
      const plusX = Float32Array.from(xs); plusX[i]! += h;
      const minusX = Float32Array.from(xs); minusX[i]! -= h;
      expect(x.grad!.toArray()[i]!).toBeCloseTo((value(plusX, ys) - value(minusX, ys)) / (2 * h), 2);
      const plusY = Float32Array.from(ys); plusY[i]! += h;
      const minusY = Float32Array.from(ys); minusY[i]! -= h;
      expect(y.grad!.toArray()[i]!).toBeCloseTo((value(xs, plusY) - value(xs, minusY)) / (2 * h), 2);
    }
  });

  it("accumulates gradients over two backward passes until zeroGrad", () => {
    const x = new Variable(Tensor.from(Float32Array.of(3)), { requiresGrad: true });
    backward(times(x, x));
    backward(times(x, x));
    expect(Array.from(x.grad!.toArray())).toEqual([12]);
    x.zeroGrad();
    expect(x.grad).toBeUndefined();
  });

  it("records nothing under noGrad, and refuses backward without a gradient path", () => {
    const x = new Variable(Tensor.from(Float32Array.of(3)), { requiresGrad: true });
    const y = noGrad(() => times(x, x));
    expect(y.creator).toBeUndefined();
    expect(() => backward(y)).toThrow(/does not depend on anything/);
  });

  it("asks for gradRoot when the output is not a scalar", () => {
    const x = new Variable(Tensor.from(Float32Array.of(1, 2)), { requiresGrad: true });
    expect(() => backward(times(x, x))).toThrow(RangeError);
  });
});
