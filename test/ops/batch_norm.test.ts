import { describe, expect, it } from "vitest";
import { backend, setThreads } from "../../ts/backend.js";
import { native } from "../../ts/native.js";
import { Tensor } from "../../ts/tensor.js";
import { activation, activationBackward } from "../../ts/ops/activation.js";
import { batchNorm, batchNormBackward } from "../../ts/ops/batch_norm.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

interface Reference {
  y: Float64Array;
  mean: Float64Array;
  variance: Float64Array; // the variance used to normalise (biased batch variance, or the running one)
  runningMean?: Float64Array;
  runningVar?: Float64Array;
}

interface ReferenceInput {
  x: ArrayLike<number>;
  rows: number;
  features: number;
  training: boolean;
  gamma?: ArrayLike<number>;
  beta?: ArrayLike<number>;
  runningMean?: ArrayLike<number>;
  runningVar?: ArrayLike<number>;
  momentum?: number;
  eps?: number;
}

/** BatchNorm1d from its definition, in float64. */
function referenceBatchNorm(input: ReferenceInput): Reference {
  const { x, rows: n, features: c } = input;
  const eps = input.eps ?? 1e-5;
  const momentum = input.momentum ?? 0.1;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const result: Reference = { y: new Float64Array(n * c), mean, variance };
  if (input.training) {
    for (let j = 0; j < c; ++j) {
      let sum = 0;
      for (let i = 0; i < n; ++i) sum += x[i * c + j]!;
      mean[j] = sum / n;
      let squares = 0;
      for (let i = 0; i < n; ++i) squares += (x[i * c + j]! - mean[j]!) ** 2;
      variance[j] = squares / n;
    }
    if (input.runningMean !== undefined && input.runningVar !== undefined) {
      const rm = input.runningMean;
      const rv = input.runningVar;
      result.runningMean = Float64Array.from(mean, (m, j) => (1 - momentum) * rm[j]! + momentum * m);
      result.runningVar = Float64Array.from(variance, (v, j) => (1 - momentum) * rv[j]! + momentum * v * n / (n - 1));
    }
  } else {
    mean.set(Array.from(input.runningMean!));
    variance.set(Array.from(input.runningVar!));
  }
  for (let i = 0; i < n; ++i) {
    for (let j = 0; j < c; ++j) {
      const xhat = (x[i * c + j]! - mean[j]!) / Math.sqrt(variance[j]! + eps);
      result.y[i * c + j] = (input.gamma?.[j] ?? 1) * xhat + (input.beta?.[j] ?? 0);
    }
  }
  return result;
}

/** Σ dy·y, the scalar whose gradients the backward computes. */
function objective(input: ReferenceInput, dy: ArrayLike<number>): number {
  const { y } = referenceBatchNorm(input);
  let total = 0;
  for (let i = 0; i < y.length; ++i) total += dy[i]! * y[i]!;
  return total;
}

/** Central differences of `objective` with respect to each element of one of its arrays. */
function finiteDifferences(input: ReferenceInput, dy: ArrayLike<number>, key: "x" | "gamma" | "beta"): number[] {
  const values = Float64Array.from(input[key]!);
  const h = 1e-6;
  return Array.from(values, (value, k) => {
    const at = (shift: number) => {
      const perturbed = Float64Array.from(values);
      perturbed[k] = value + shift;
      return objective({ ...input, [key]: perturbed }, dy);
    };
    return (at(h) - at(-h)) / (2 * h);
  });
}

/**
 * The largest |y − expected| over the outputs, less what float32 allows: the kernel keeps μ in
 * float32 (as PyTorch does), and its rounding, |x − μ|·2⁻²⁴, is multiplied by γ·invstd, up to
 * γ/sqrt(ε) when a feature's values nearly coincide. Positive means out of tolerance.
 */
function outputExcess(actual: ArrayLike<number>, reference: Reference, input: ReferenceInput, tolerance = 1e-5): number {
  const eps = input.eps ?? 1e-5;
  let scale = 1;
  for (let i = 0; i < reference.y.length; ++i) scale = Math.max(scale, Math.abs(reference.y[i]!));
  let worst = -Infinity;
  for (let i = 0; i < reference.y.length; ++i) {
    const j = i % input.features;
    const invstd = 1 / Math.sqrt(reference.variance[j]! + eps);
    const rounding = 2 ** -23 * (Math.abs(input.x[i]!) + Math.abs(reference.mean[j]!)) * invstd * Math.abs(input.gamma?.[j] ?? 1);
    worst = Math.max(worst, Math.abs(actual[i]! - reference.y[i]!) - tolerance * scale - rounding);
  }
  return worst;
}

const positive = (random: () => number, n: number) => Float32Array.from(randomFloats(random, n), (v) => 0.5 + Math.abs(v));

describe("batch norm", () => {
  it("in training normalises by the batch statistics and updates the running statistics", () => {
    const random = rng(testSeed("batch norm training"));
    for (const [rows, features] of [[randomInt(random, 2, 40), randomInt(random, 1, 50)], [700, 75]] as const) {
      const x = randomFloats(random, rows * features, 3);
      for (let i = 0; i < x.length; ++i) x[i]! += (i % features) * 0.5; // a different mean per feature
      const gamma = randomFloats(random, features, 2);
      const beta = randomFloats(random, features);
      const runningMean = randomFloats(random, features);
      const runningVar = positive(random, features);
      const input: ReferenceInput = { x, rows, features, training: true, gamma, beta, runningMean, runningVar,
                                      momentum: 0.3, eps: 1e-3 };
      const expected = referenceBatchNorm(input);
      const rm = Tensor.from(Float32Array.from(runningMean));
      const rv = Tensor.from(Float32Array.from(runningVar));
      const out = batchNorm(Tensor.from(x, { shape: [rows, features] }), {
        training: true, gamma: Tensor.from(gamma), beta: Tensor.from(beta), runningMean: rm, runningVar: rv,
        momentum: 0.3, eps: 1e-3,
      });
      expect(out.y.shape).toEqual([rows, features]);
      expect(outputExcess(out.y.toArray(), expected, input)).toBeLessThan(0);
      expect(maxRelativeError(out.mean.toArray(), expected.mean)).toBeLessThan(1e-6);
      expect(maxRelativeError(out.invstd.toArray(), Array.from(expected.variance, (v) => 1 / Math.sqrt(v + 1e-3))))
        .toBeLessThan(1e-6);
      expect(maxRelativeError(rm.toArray(), expected.runningMean!)).toBeLessThan(1e-6);
      expect(maxRelativeError(rv.toArray(), expected.runningVar!)).toBeLessThan(1e-6);
    }
  });

  it("without gamma and beta outputs the normalised input, and needs no running statistics", () => {
    const random = rng(testSeed("batch norm no affine"));
    const x = randomFloats(random, 2 * 9, 5);
    const out = batchNorm(Tensor.from(x, { shape: [2, 9] }), { training: true });
    const input: ReferenceInput = { x, rows: 2, features: 9, training: true };
    expect(outputExcess(out.y.toArray(), referenceBatchNorm(input), input)).toBeLessThan(0);
    expect(out.affine).toBe(false);
  });

  it("in eval normalises by the running statistics, also for a batch of one, and leaves them unchanged", () => {
    const random = rng(testSeed("batch norm eval"));
    for (const rows of [1, randomInt(random, 2, 60)]) {
      const features = randomInt(random, 1, 30);
      const x = randomFloats(random, rows * features, 2);
      const gamma = randomFloats(random, features);
      const beta = randomFloats(random, features);
      const runningMean = randomFloats(random, features);
      const runningVar = positive(random, features);
      const rm = Tensor.from(Float32Array.from(runningMean));
      const rv = Tensor.from(Float32Array.from(runningVar));
      const out = batchNorm(Tensor.from(x, { shape: [rows, features] }), {
        training: false, gamma: Tensor.from(gamma), beta: Tensor.from(beta), runningMean: rm, runningVar: rv,
      });
      const input: ReferenceInput = { x, rows, features, training: false, gamma, beta, runningMean, runningVar };
      expect(outputExcess(out.y.toArray(), referenceBatchNorm(input), input)).toBeLessThan(0);
      expect(Array.from(rm.toArray())).toEqual(Array.from(runningMean));
      expect(Array.from(rv.toArray())).toEqual(Array.from(runningVar));
    }
  });

  it("handles an empty feature axis, and an empty batch in eval", () => {
    expect(batchNorm(Tensor.from(new Float32Array(0), { shape: [4, 0] }), { training: true }).y.shape).toEqual([4, 0]);
    const stats = { runningMean: Tensor.from(new Float32Array([0, 1])), runningVar: Tensor.from(new Float32Array([1, 4])) };
    const out = batchNorm(Tensor.from(new Float32Array(0), { shape: [0, 2] }), { training: false, ...stats });
    expect(out.y.size).toBe(0);
    expect(Array.from(out.invstd.toArray())).toEqual([Math.fround(1 / Math.sqrt(1 + 1e-5)), Math.fround(1 / Math.sqrt(4 + 1e-5))]);
    const grads = batchNormBackward(Tensor.from(new Float32Array(0), { shape: [0, 2] }),
                                    Tensor.from(new Float32Array(0), { shape: [0, 2] }), out);
    expect(grads.dx.size).toBe(0);
  });

  for (const training of [true, false]) {
    for (const affine of [true, false]) {
      it(`backward in ${training ? "training" : "eval"}${affine ? "" : " without gamma and beta"} matches finite differences`, () => {
        const random = rng(testSeed(`batch norm backward ${training} ${affine}`));
        const rows = training ? randomInt(random, 2, 7) : randomInt(random, 1, 7);
        const features = randomInt(random, 1, 6);
        const x = randomFloats(random, rows * features, 2);
        const dy = randomFloats(random, rows * features);
        const gamma = affine ? randomFloats(random, features, 2) : undefined;
        const beta = affine ? randomFloats(random, features) : undefined;
        const runningMean = randomFloats(random, features);
        const runningVar = positive(random, features);
        const input: ReferenceInput = { x, rows, features, training, gamma, beta, runningMean, runningVar };
        const t = (values: Float32Array | undefined) => values === undefined ? undefined : Tensor.from(values);
        const xt = Tensor.from(x, { shape: [rows, features] });
        const forward = batchNorm(xt, {
          training, gamma: t(gamma), beta: t(beta),
          runningMean: Tensor.from(Float32Array.from(runningMean)), runningVar: Tensor.from(Float32Array.from(runningVar)),
        });
        const grads = batchNormBackward(Tensor.from(dy, { shape: [rows, features] }), xt, forward, { gamma: t(gamma) });
        expect(maxRelativeError(grads.dx.toArray(), finiteDifferences(input, dy, "x"))).toBeLessThan(1e-4);
        if (affine) {
          expect(maxRelativeError(grads.dgamma!.toArray(), finiteDifferences(input, dy, "gamma"))).toBeLessThan(1e-4);
          expect(maxRelativeError(grads.dbeta!.toArray(), finiteDifferences(input, dy, "beta"))).toBeLessThan(1e-4);
        } else {
          expect(grads.dgamma).toBeUndefined();
        }
      });
    }
  }

  it("gives bit-identical results for any thread count", () => {
    const random = rng(testSeed("batch norm threads"));
    const rows = 3000;
    const features = 40;
    const x = Tensor.from(randomFloats(random, rows * features, 3), { shape: [rows, features] });
    const dy = Tensor.from(randomFloats(random, rows * features), { shape: [rows, features] });
    const gamma = Tensor.from(randomFloats(random, features));
    const beta = Tensor.from(randomFloats(random, features));
    const run = (threads: number) => {
      setThreads(threads);
      const forward = batchNorm(x, { training: true, gamma, beta });
      const grads = batchNormBackward(dy, x, forward, { gamma });
      return [forward.y, forward.mean, forward.invstd, grads.dx, grads.dgamma!, grads.dbeta!].map((t) => Array.from(t.toArray()));
    };
    const threads = backend().threads;
    try {
      expect(run(1)).toEqual(run(5));
    } finally {
      setThreads(threads);
    }
  });

  it("fused with tanh gives the bits of the tanh op after the batch norm, forward and backward", () => {
    const random = rng(testSeed("batch norm tanh"));
    for (const training of [true, false]) {
      for (const affine of [true, false]) {
        const rows = randomInt(random, 2, 600);
        const features = randomInt(random, 1, 70);
        const x = Tensor.from(randomFloats(random, rows * features, 3), { shape: [rows, features] });
        const dy = Tensor.from(randomFloats(random, rows * features), { shape: [rows, features] });
        const gamma = affine ? Tensor.from(randomFloats(random, features, 2)) : undefined;
        const beta = affine ? Tensor.from(randomFloats(random, features)) : undefined;
        const stats = () => ({ runningMean: Tensor.from(randomFloats(rng(7), features)),
                               runningVar: Tensor.from(positive(rng(8), features)) });
        const plain = batchNorm(x, { training, gamma, beta, ...stats() });
        const fused = batchNorm(x, { training, gamma, beta, ...stats(), activation: "tanh" });
        const y = activation("tanh", plain.y);
        expect(Array.from(fused.y.toArray())).toEqual(Array.from(y.toArray()));
        const separate = batchNormBackward(activationBackward("tanh", y, dy), x, plain, { gamma });
        const together = batchNormBackward(dy, x, fused, { gamma });
        expect(Array.from(together.dx.toArray())).toEqual(Array.from(separate.dx.toArray()));
        if (affine) {
          expect(Array.from(together.dgamma!.toArray())).toEqual(Array.from(separate.dgamma!.toArray()));
          expect(Array.from(together.dbeta!.toArray())).toEqual(Array.from(separate.dbeta!.toArray()));
        }
      }
    }
  });

  it("rejects a batch of one in training, bad shapes, unpaired parameters and bad options", () => {
    const x = Tensor.from(new Float32Array(6), { shape: [2, 3] });
    const c3 = () => Tensor.from(new Float32Array(3));
    expect(() => batchNorm(Tensor.from(new Float32Array(3), { shape: [1, 3] }), { training: true }))
      .toThrow(new RangeError("x must have at least 2 rows in training mode, got 1"));
    expect(() => batchNorm(Tensor.from(new Float32Array(6)), { training: true })).toThrow(RangeError);
    expect(() => batchNorm(Tensor.from(new Float32Array(6)), { training: true })).toThrow("x must have 2 dimensions");
    expect(() => batchNorm(x, { training: true, gamma: Tensor.from(new Float32Array(2)), beta: c3() }))
      .toThrow(new RangeError("gamma has shape [2] but must have [3]"));
    expect(() => batchNorm(x, { training: true, gamma: c3() })).toThrow(new TypeError("gamma and beta must be given together"));
    expect(() => batchNorm(x, { training: true, runningMean: c3() }))
      .toThrow(new TypeError("runningMean and runningVar must be given together"));
    expect(() => batchNorm(x, { training: false })).toThrow(new TypeError("runningMean and runningVar are required in eval mode"));
    expect(() => batchNorm(x, { training: true, momentum: 1.5 })).toThrow(new RangeError("momentum must be in [0, 1], got 1.5"));
    expect(() => batchNorm(x, { training: true, eps: -1 })).toThrow(RangeError);
    expect(() => batchNorm(x, { training: true, eps: Number.NaN })).toThrow("eps must be in");
    expect(() => batchNorm(x, {} as { training: boolean })).toThrow(TypeError);
    expect(() => batchNorm(Tensor.from(new Int32Array(6), { shape: [2, 3] }) as unknown as Tensor<"float32">, { training: true }))
      .toThrow(new TypeError("x must be a float32 tensor, got int32"));
    const forward = batchNorm(x, { training: true, gamma: c3(), beta: c3() });
    expect(() => batchNormBackward(Tensor.from(new Float32Array(3), { shape: [1, 3] }), x, forward, { gamma: c3() }))
      .toThrow(new RangeError("dy has shape [1, 3] but must have [2, 3]"));
    expect(() => batchNormBackward(x, x, forward)).toThrow(new TypeError("gamma is required: the forward had gamma and beta"));
    expect(() => batchNorm(x, { training: true, activation: "relu" as "tanh" }))
      .toThrow(new TypeError('activation must be "none" or "tanh", got "relu"'));
  });

  it("checks every length and pairing again in the native binding", () => {
    const kernels = native;
    const f = (n: number) => new Float32Array(n);
    expect(() => kernels.batchNormForward(true, f(6), null, null, null, null, f(5), f(3), f(3), 2, 3, 1e-5, 0.1, 0))
      .toThrow(new RangeError("y has length 5 but must have 6 (rows × features)"));
    expect(() => kernels.batchNormForward(true, f(6), f(3), null, null, null, f(6), f(3), f(3), 2, 3, 1e-5, 0.1, 0))
      .toThrow(new TypeError("gamma and beta must be given together or both be null"));
    expect(() => kernels.batchNormForward(true, f(3), null, null, null, null, f(3), f(3), f(3), 1, 3, 1e-5, 0.1, 0))
      .toThrow(RangeError);
    expect(() => kernels.batchNormForward(false, f(6), null, null, null, null, f(6), f(3), f(3), 2, 3, 1e-5, 0.1, 0))
      .toThrow(TypeError);
    expect(() => kernels.batchNormBackward(true, f(6), f(6), null, f(2), f(3), f(6), null, null, 2, 3, 0, null))
      .toThrow(new RangeError("saveMean has length 2 but must have 3 (features)"));
    expect(() => kernels.batchNormForward(true, f(6), null, null, null, null, f(6), f(3), f(3), 2, 3, 1e-5, 2, 0))
      .toThrow(RangeError);
    expect(() => kernels.batchNormForward(true, f(6), null, null, null, null, f(6), f(3), f(3), 2, 3, 1e-5, 0.1, 2))
      .toThrow(new RangeError("activation must be an integer in [0, 1], got 2.000000"));
    expect(() => kernels.batchNormBackward(true, f(6), f(6), null, f(3), f(3), f(6), null, null, 2, 3, 1, null))
      .toThrow(new TypeError("y (the forward's output) is required with activation tanh"));
    expect(() => kernels.batchNormBackward(true, f(6), f(6), null, f(3), f(3), f(6), null, null, 2, 3, 0, f(6)))
      .toThrow(new TypeError("y must be null without an activation"));
    expect(() => kernels.batchNormBackward(true, f(6), f(6), null, f(3), f(3), f(6), null, null, 2, 3, 1, f(5)))
      .toThrow(new RangeError("y has length 5 but must have 6 (rows × features)"));
  });
});

describe.runIf(backend().cudaDevices.length > 0)("batch norm on CUDA", () => {
  it("matches the CPU in training and eval, with and without the fused tanh, forward and backward", () => {
    const random = rng(testSeed("batch norm cuda"));
    for (const [rows, features] of [[2, 1], [randomInt(random, 2, 100), randomInt(random, 1, 100)], [5000, 129]] as const) {
      for (const [training, activation] of [[true, "none"], [false, "none"], [true, "tanh"], [false, "tanh"]] as const) {
        const x = randomFloats(random, rows * features, 3);
        const dy = randomFloats(random, rows * features);
        const gamma = randomFloats(random, features);
        const beta = randomFloats(random, features);
        const runningMean = randomFloats(random, features);
        const runningVar = positive(random, features);
        const run = (device: "cpu" | "cuda") => {
          const on = (values: Float32Array, shape?: number[]) => Tensor.from(Float32Array.from(values), { shape, device });
          const rm = on(runningMean);
          const rv = on(runningVar);
          const xt = on(x, [rows, features]);
          const g = on(gamma);
          const forward = batchNorm(xt, { training, gamma: g, beta: on(beta), runningMean: rm, runningVar: rv, activation });
          const grads = batchNormBackward(on(dy, [rows, features]), xt, forward, { gamma: g });
          return [forward.y, forward.mean, forward.invstd, rm, rv, grads.dx, grads.dgamma!, grads.dbeta!].map((t) => t.toArray());
        };
        const cpu = run("cpu");
        const cuda = run("cuda");
        cpu.forEach((expected, k) => expect(maxRelativeError(cuda[k]!, expected)).toBeLessThan(1e-5));
      }
    }
  });
});
