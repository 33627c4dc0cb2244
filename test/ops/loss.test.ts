import { describe, expect, it } from "vitest";
import { backend, setThreads } from "../../ts/backend.js";
import { native } from "../../ts/native.js";
import { Tensor } from "../../ts/tensor.js";
import {
  bceWithLogitsLoss, bprLoss, type LossReduction, mseSigmoidLoss, softmaxCrossEntropyLoss,
} from "../../ts/ops/loss.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Per-sample losses from their definitions, in float64. */
const binaryReference = {
  mse: (z: number, y: number) => (sigmoid(z) - y) ** 2,
  bce: (z: number, y: number) => -(y * Math.log(sigmoid(z)) + (1 - y) * Math.log(1 - sigmoid(z))),
};
// The same BCE, written stably for logits where log σ(z) underflows.
const stableBce = (z: number, y: number) => y * softplus(-z) + (1 - y) * softplus(z);

function crossEntropyRow(z: ArrayLike<number>, label: number): number {
  let top = -Infinity;
  for (let j = 0; j < z.length; ++j) top = Math.max(top, z[j]!);
  let total = 0;
  for (let j = 0; j < z.length; ++j) total += Math.exp(z[j]! - top);
  return top + Math.log(total) - z[label]!;
}

const reduce = (losses: number[], reduction: LossReduction) =>
  losses.reduce((a, b) => a + b, 0) / (reduction === "mean" ? losses.length : 1);

/** Central differences of f with respect to each element of x. */
function finiteDifferences(x: ArrayLike<number>, f: (x: Float64Array) => number, h = 1e-5): number[] {
  const values = Float64Array.from(x);
  return Array.from(values, (value, k) => {
    const at = (shift: number) => {
      const perturbed = Float64Array.from(values);
      perturbed[k] = value + shift;
      return f(perturbed);
    };
    return (at(h) - at(-h)) / (2 * h);
  });
}

function randomLabels(random: () => number, n: number, soft: boolean): Float32Array {
  return Float32Array.from({ length: n }, () => (soft ? random() : random() < 0.5 ? 0 : 1));
}

const binaryLosses = { mse: mseSigmoidLoss, bce: bceWithLogitsLoss } as const;

describe("binary losses", () => {
  for (const name of ["mse", "bce"] as const) {
    for (const reduction of ["sum", "mean"] as const) {
      it(`${name} (${reduction}) matches its float64 definition, per sample and reduced, for any batch size`, () => {
        const random = rng(testSeed(`${name} ${reduction}`));
        for (const n of [1, randomInt(random, 2, 100), 20000]) {
          const z = randomFloats(random, n, 6);
          const y = randomLabels(random, n, random() < 0.5);
          const result = binaryLosses[name](Tensor.from(z), Tensor.from(y), { reduction, perSample: true });
          const expected = Array.from(z, (zi, i) => binaryReference[name](zi, y[i]!));
          expect(maxRelativeError(result.perSample!.toArray(), expected)).toBeLessThan(1e-5);
          expect(Math.abs(result.loss - reduce(expected, reduction)) / Math.max(1, Math.abs(reduce(expected, reduction))))
            .toBeLessThan(1e-6);
          const divisor = reduction === "mean" ? n : 1;
          const analytic = Array.from(z, (zi, i) => {
            const s = sigmoid(zi);
            return (name === "mse" ? 2 * (s - y[i]!) * s * (1 - s) : s - y[i]!) / divisor;
          });
          // Compare the gradient of the sum, so a mean's small gradients are held to the same precision.
          expect(maxRelativeError(result.grad!.toArray().map((g) => g * divisor), analytic.map((g) => g * divisor)))
            .toBeLessThan(1e-5);
        }
      });
    }

    it(`${name}'s gradient matches finite differences of the loss`, () => {
      const random = rng(testSeed(`${name} finite differences`));
      const n = randomInt(random, 1, 30);
      const z = randomFloats(random, n, 4);
      const y = randomLabels(random, n, true);
      const { grad } = binaryLosses[name](Tensor.from(z), Tensor.from(y), { reduction: "sum" });
      const numeric = finiteDifferences(z, (zz) => reduce(Array.from(zz, (zi, i) => binaryReference[name](zi, y[i]!)), "sum"));
      expect(maxRelativeError(grad!.toArray(), numeric)).toBeLessThan(1e-4);
    });
  }

  it("BCE stays finite and exact for logits far into the tails", () => {
    const z = new Float32Array([-90, -30, 30, 90, 0]);
    const y = new Float32Array([1, 0, 1, 0, 1]);
    const result = bceWithLogitsLoss(Tensor.from(z), Tensor.from(y), { reduction: "sum", perSample: true });
    expect(maxRelativeError(result.perSample!.toArray(), Array.from(z, (zi, i) => stableBce(zi, y[i]!)))).toBeLessThan(1e-6);
    expect(maxRelativeError(result.grad!.toArray(), Array.from(z, (zi, i) => sigmoid(zi) - y[i]!))).toBeLessThan(1e-7);
    expect(result.grad!.toArray().every(Number.isFinite)).toBe(true);
  });

  it("skips the gradient when asked, and sums an empty batch to 0 and averages it to NaN", () => {
    const random = rng(testSeed("binary options"));
    const z = Tensor.from(randomFloats(random, 10));
    const y = Tensor.from(randomLabels(random, 10, false));
    const result = mseSigmoidLoss(z, y, { gradient: false });
    expect(result.grad).toBeUndefined();
    expect(result.perSample).toBeUndefined();
    expect(result.loss).toBe(mseSigmoidLoss(z, y).loss);
    const empty = Tensor.from(new Float32Array(0));
    expect(bceWithLogitsLoss(empty, empty, { reduction: "sum" }).loss).toBe(0);
    expect(bceWithLogitsLoss(empty, empty).loss).toBeNaN();
  });

  it("rejects non-finite logits, labels outside [0, 1], mismatched shapes and bad options, naming them", () => {
    const t = (values: number[]) => Tensor.from(new Float32Array(values));
    expect(() => mseSigmoidLoss(t([0, 1, 2, NaN]), t([0, 1, 1, 0]))).toThrow(new RangeError("logits[3] = NaN must be finite"));
    expect(() => bceWithLogitsLoss(t([0, -Infinity]), t([0, 1]))).toThrow(new RangeError("logits[1] = -Infinity must be finite"));
    expect(() => bceWithLogitsLoss(t([0, 1, 2]), t([0, 1, 1.5]))).toThrow(new RangeError("labels[2] = 1.5 must be a number in [0, 1]"));
    expect(() => mseSigmoidLoss(t([0, 1]), t([NaN, 1]))).toThrow(new RangeError("labels[0] = NaN must be a number in [0, 1]"));
    expect(() => mseSigmoidLoss(t([0, 1]), t([-0.5, 1]))).toThrow(RangeError);
    expect(() => mseSigmoidLoss(t([0, 1]), t([1]))).toThrow(new RangeError("labels has shape [1] but must have [2]"));
    expect(() => mseSigmoidLoss(t([0]), Tensor.from(new Int32Array(1)) as unknown as Tensor<"float32">))
      .toThrow(new TypeError("labels must be a float32 tensor, got int32"));
    expect(() => mseSigmoidLoss(t([0]), t([0]), { reduction: "max" as LossReduction })).toThrow(TypeError);
    expect(() => mseSigmoidLoss(t([0]), t([0]), { perSample: 1 as unknown as boolean })).toThrow(TypeError);
  });
});

describe("softmax cross-entropy", () => {
  for (const reduction of ["sum", "mean"] as const) {
    it(`(${reduction}) matches log-softmax in float64, per sample and reduced, with softmax − onehot as gradient`, () => {
      const random = rng(testSeed(`softmax ce ${reduction}`));
      for (const [rows, classes] of [[1, 5], [randomInt(random, 2, 50), randomInt(random, 1, 12)], [3000, 7]] as const) {
        const z = randomFloats(random, rows * classes, 8);
        const labels = Int32Array.from({ length: rows }, () => randomInt(random, 0, classes));
        const result = softmaxCrossEntropyLoss(Tensor.from(z, { shape: [rows, classes] }), Tensor.from(labels),
                                               { reduction, perSample: true });
        const expected = Array.from(labels, (label, i) => crossEntropyRow(z.subarray(i * classes, (i + 1) * classes), label));
        expect(maxRelativeError(result.perSample!.toArray(), expected)).toBeLessThan(1e-5);
        expect(Math.abs(result.loss - reduce(expected, reduction)) / Math.max(1, reduce(expected, reduction))).toBeLessThan(1e-6);
        const divisor = reduction === "mean" ? rows : 1;
        const analytic: number[] = [];
        for (let i = 0; i < rows; ++i) {
          const row = z.subarray(i * classes, (i + 1) * classes);
          const lse = crossEntropyRow(row, 0) + row[0]!;
          for (let j = 0; j < classes; ++j) analytic.push(Math.exp(row[j]! - lse) - (j === labels[i] ? 1 : 0));
        }
        expect(result.grad!.shape).toEqual([rows, classes]);
        expect(maxRelativeError(result.grad!.toArray().map((g) => g * divisor), analytic)).toBeLessThan(1e-5);
      }
    });
  }

  it("its gradient matches finite differences, and large logits stay stable", () => {
    const random = rng(testSeed("softmax ce finite differences"));
    const rows = randomInt(random, 1, 6);
    const classes = randomInt(random, 2, 6);
    const z = randomFloats(random, rows * classes, 3);
    const labels = Int32Array.from({ length: rows }, () => randomInt(random, 0, classes));
    const { grad } = softmaxCrossEntropyLoss(Tensor.from(z, { shape: [rows, classes] }), Tensor.from(labels), { reduction: "sum" });
    const numeric = finiteDifferences(z, (zz) => {
      let total = 0;
      for (let i = 0; i < rows; ++i) total += crossEntropyRow(zz.subarray(i * classes, (i + 1) * classes), labels[i]!);
      return total;
    });
    expect(maxRelativeError(grad!.toArray(), numeric)).toBeLessThan(1e-4);
    const big = softmaxCrossEntropyLoss(Tensor.from(new Float32Array([1000, 0, -1000]), { shape: [1, 3] }),
                                        Tensor.from(new Int32Array([1])), { reduction: "sum" });
    expect(big.loss).toBe(1000);
    expect(Array.from(big.grad!.toArray())).toEqual([1, -1, 0]);
  });

  it("gives a zero loss and gradient for a single class, and handles an empty batch", () => {
    const one = softmaxCrossEntropyLoss(Tensor.from(new Float32Array([3, -2]), { shape: [2, 1] }), Tensor.from(new Int32Array(2)));
    expect(one.loss).toBe(0);
    expect(Array.from(one.grad!.toArray())).toEqual([0, 0]);
    const empty = softmaxCrossEntropyLoss(Tensor.from(new Float32Array(0), { shape: [0, 4] }), Tensor.from(new Int32Array(0)),
                                          { reduction: "sum" });
    expect(empty.loss).toBe(0);
  });

  it("rejects labels out of range, non-finite logits and bad shapes, naming them", () => {
    const z = Tensor.from(new Float32Array(10), { shape: [2, 5] });
    expect(() => softmaxCrossEntropyLoss(z, Tensor.from(new Int32Array([0, 5]))))
      .toThrow(new RangeError("labels[1] = 5 is out of range [0, 5)"));
    expect(() => softmaxCrossEntropyLoss(z, Tensor.from(new Int32Array([-1, 0]))))
      .toThrow(new RangeError("labels[0] = -1 is out of range [0, 5)"));
    const nan = new Float32Array(10);
    nan[7] = NaN;
    expect(() => softmaxCrossEntropyLoss(Tensor.from(nan, { shape: [2, 5] }), Tensor.from(new Int32Array(2))))
      .toThrow(new RangeError("logits[1, 2] = NaN must be finite"));
    expect(() => softmaxCrossEntropyLoss(z, Tensor.from(new Int32Array(3)))).toThrow(new RangeError("labels has shape [3] but must have [2]"));
    expect(() => softmaxCrossEntropyLoss(Tensor.from(new Float32Array(10)), Tensor.from(new Int32Array(10))))
      .toThrow(new RangeError("logits must have 2 dimensions, got shape [10]"));
    expect(() => softmaxCrossEntropyLoss(z, Tensor.from(new Float32Array(2)) as unknown as Tensor<"int32">))
      .toThrow(new TypeError("labels must be a int32 tensor, got float32"));
  });
});

describe("BPR loss", () => {
  for (const reduction of ["sum", "mean"] as const) {
    it(`(${reduction}) is softplus(neg − pos) in float64, with gradients ∓σ(neg − pos)`, () => {
      const random = rng(testSeed(`bpr ${reduction}`));
      for (const n of [1, randomInt(random, 2, 100), 20000]) {
        const pos = randomFloats(random, n, 10);
        const neg = randomFloats(random, n, 10);
        const result = bprLoss(Tensor.from(pos), Tensor.from(neg), { reduction, perSample: true });
        const expected = Array.from(pos, (p, i) => softplus(neg[i]! - p));
        expect(maxRelativeError(result.perSample!.toArray(), expected)).toBeLessThan(1e-5);
        expect(Math.abs(result.loss - reduce(expected, reduction)) / Math.max(1, reduce(expected, reduction))).toBeLessThan(1e-6);
        const divisor = reduction === "mean" ? n : 1;
        const dneg = Array.from(pos, (p, i) => sigmoid(neg[i]! - p));
        expect(maxRelativeError(result.gradNeg!.toArray().map((g) => g * divisor), dneg)).toBeLessThan(1e-5);
        expect(maxRelativeError(result.gradPos!.toArray().map((g) => g * divisor), dneg.map((g) => -g))).toBeLessThan(1e-5);
      }
    });
  }

  it("its gradients match finite differences", () => {
    const random = rng(testSeed("bpr finite differences"));
    const n = randomInt(random, 1, 20);
    const pos = randomFloats(random, n, 3);
    const neg = randomFloats(random, n, 3);
    const { gradPos, gradNeg } = bprLoss(Tensor.from(pos), Tensor.from(neg), { reduction: "sum" });
    const total = (p: ArrayLike<number>, q: ArrayLike<number>) => reduce(Array.from(p, (pi, i) => softplus(q[i]! - pi)), "sum");
    expect(maxRelativeError(gradPos!.toArray(), finiteDifferences(pos, (p) => total(p, neg)))).toBeLessThan(1e-4);
    expect(maxRelativeError(gradNeg!.toArray(), finiteDifferences(neg, (q) => total(pos, q)))).toBeLessThan(1e-4);
  });

  it("rejects non-finite scores and mismatched shapes", () => {
    const t = (values: number[]) => Tensor.from(new Float32Array(values));
    expect(() => bprLoss(t([0, 1]), t([0, NaN]))).toThrow(new RangeError("neg[1] = NaN must be finite"));
    expect(() => bprLoss(t([Infinity, 1]), t([0, 0]))).toThrow(new RangeError("pos[0] = Infinity must be finite"));
    expect(() => bprLoss(t([0, 1]), t([0]))).toThrow(new RangeError("neg has shape [1] but must have [2]"));
  });
});

describe("loss kernels", () => {
  it("sum to bit-identical losses for any thread count", () => {
    const random = rng(testSeed("loss threads"));
    const n = 100_000;
    const z = Tensor.from(randomFloats(random, n, 5));
    const y = Tensor.from(randomLabels(random, n, true));
    const ce = Tensor.from(randomFloats(random, n * 3, 5), { shape: [n, 3] });
    const labels = Tensor.from(Int32Array.from({ length: n }, () => randomInt(random, 0, 3)));
    const run = (threads: number) => {
      setThreads(threads);
      return [mseSigmoidLoss(z, y).loss, bceWithLogitsLoss(z, y).loss, bprLoss(z, y).loss,
              softmaxCrossEntropyLoss(ce, labels).loss];
    };
    const threads = backend().threads;
    try {
      expect(run(1)).toEqual(run(7));
    } finally {
      setThreads(threads);
    }
  });

  it("check every length in the native binding", () => {
    const kernels = native;
    const f = (n: number) => new Float32Array(n);
    expect(() => kernels.binaryLoss(0, f(4), f(3), null, null, true)).toThrow(new RangeError("labels has length 3 but must have 4 (logits.length)"));
    expect(() => kernels.binaryLoss(0, f(4), f(4), f(2), null, true)).toThrow(new RangeError("grad has length 2 but must have 4 (logits.length)"));
    expect(() => kernels.binaryLoss(2, f(4), f(4), null, null, true)).toThrow(RangeError);
    expect(() => kernels.bprLoss(f(4), f(4), f(4), null, null, true)).toThrow(TypeError);
    expect(() => kernels.bprLoss(f(4), f(4), null, null, f(5), false)).toThrow(new RangeError("perSample has length 5 but must have 4 (pos.length)"));
    expect(() => kernels.softmaxCrossEntropyLoss(f(9), new Int32Array(2), 5, null, null, true))
      .toThrow(new RangeError("logits has length 9 but must have 10 (labels.length × classes)"));
    expect(() => kernels.softmaxCrossEntropyLoss(f(10), new Float32Array(2) as unknown as Int32Array, 5, null, null, true))
      .toThrow(new TypeError("labels must be an Int32Array, got a Float32Array"));
  });
});

describe.runIf(backend().cudaDevices.length > 0)("losses on CUDA", () => {
  it("match the CPU, values, gradients and per-sample losses, and report invalid inputs alike", () => {
    const random = rng(testSeed("loss cuda"));
    for (const n of [1, randomInt(random, 2, 3000), 300_000]) {
      const z = randomFloats(random, n, 6);
      const y = randomLabels(random, n, true);
      const labels = Int32Array.from({ length: n }, () => randomInt(random, 0, 5));
      const logits = randomFloats(random, n * 5, 6);
      const run = (device: "cpu" | "cuda") => {
        const on = <A extends Float32Array | Int32Array>(a: A, shape?: number[]) => Tensor.from(a, { shape, device });
        const options = { perSample: true, reduction: "sum" as const };
        const results = [mseSigmoidLoss(on(z), on(y), options), bceWithLogitsLoss(on(z), on(y), options),
                         softmaxCrossEntropyLoss(on(logits, [n, 5]), on(labels), options)];
        const bpr = bprLoss(on(z), on(y), options);
        return {
          losses: [...results.map((r) => r.loss), bpr.loss],
          arrays: [...results.flatMap((r) => [r.grad!.toArray(), r.perSample!.toArray()]),
                   bpr.gradPos!.toArray(), bpr.gradNeg!.toArray(), bpr.perSample!.toArray()],
        };
      };
      const cpu = run("cpu");
      const cuda = run("cuda");
      // Per-item losses differ in the last bits (CUDA's expf/log1pf are not glibc's); the sums are in double.
      cpu.losses.forEach((loss, k) => expect(Math.abs(cuda.losses[k]! - loss) / Math.max(1, Math.abs(loss))).toBeLessThan(1e-6));
      cpu.arrays.forEach((array, k) => expect(maxRelativeError(cuda.arrays[k]!, array)).toBeLessThan(1e-5));
    }
    const on = (values: number[]) => Tensor.from(new Float32Array(values), { device: "cuda" });
    expect(() => mseSigmoidLoss(on([0, NaN]), on([0, 1]))).toThrow(new RangeError("logits[1] must be finite"));
    expect(() => bceWithLogitsLoss(on([0, 1]), on([2, 1]))).toThrow(new RangeError("labels[0] must be a number in [0, 1]"));
    expect(() => softmaxCrossEntropyLoss(Tensor.from(new Float32Array(4), { shape: [2, 2], device: "cuda" }),
                                         Tensor.from(new Int32Array([0, 2]), { device: "cuda" })))
      .toThrow(new RangeError("labels[1] is out of range [0, 2)"));
  });
});
