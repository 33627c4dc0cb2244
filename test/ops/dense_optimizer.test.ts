import { describe, expect, it } from "vitest";
import { backend, setThreads } from "../../ts/backend.js";
import { native } from "../../ts/native.js";
import { Tensor } from "../../ts/tensor.js";
import {
  adagradState,
  adagradStep,
  adamState, adamStep, clipGradNorm, type AdamOptions, sgdStep, type SgdState,
} from "../../ts/ops/dense_optimizer.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

/** torch.optim.SGD (dampening 0) from its documented update, in float64. */
function referenceSgd(w: Float64Array, grads: Float32Array[], lr: number, momentum: number, weightDecay: number): Float64Array {
  const buf = new Float64Array(w.length);
  for (const g of grads) {
    for (let i = 0; i < w.length; ++i) {
      let d = g[i]! + weightDecay * w[i]!;
      if (momentum > 0) {
        buf[i] = momentum * buf[i]! + d;
        d = buf[i]!;
      }
      w[i]! -= lr * d;
    }
  }
  return w;
}

/** torch.optim.Adam / AdamW from their documented updates, in float64. */
function referenceAdam(w: Float64Array, grads: Float32Array[], o: Required<AdamOptions>): Float64Array {
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < w.length; ++i) {
      let gi = g[i]!;
      if (o.decoupled) w[i]! *= 1 - o.learningRate * o.weightDecay;
      else gi += o.weightDecay * w[i]!;
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
      const mHat = m[i]! / (1 - o.beta1 ** t);
      const vHat = v[i]! / (1 - o.beta2 ** t);
      w[i]! -= (o.learningRate * mHat) / (Math.sqrt(vHat) + o.eps);
    }
  });
  return w;
}

describe("dense SGD", () => {
  for (const [momentum, weightDecay] of [[0, 0], [0.9, 0], [0, 0.01], [0.8, 0.05]] as const) {
    it(`with momentum ${momentum} and weight decay ${weightDecay} follows torch.optim.SGD over several steps`, () => {
      const random = rng(testSeed(`sgd ${momentum} ${weightDecay}`));
      for (const n of [1, randomInt(random, 2, 1000), 100_000]) {
        const w0 = randomFloats(random, n, 2);
        const grads = Array.from({ length: 4 }, () => randomFloats(random, n));
        const param = Tensor.from(Float32Array.from(w0));
        const state: SgdState = {};
        for (const g of grads) sgdStep(param, Tensor.from(g), state, { learningRate: 0.1, momentum, weightDecay });
        expect(state.momentumBuffer === undefined).toBe(momentum === 0);
        const expected = referenceSgd(Float64Array.from(w0), grads, 0.1, momentum, weightDecay);
        expect(maxRelativeError(param.toArray(), expected)).toBeLessThan(1e-5);
      }
    });
  }

  it("rejects mismatched shapes and out-of-range hyperparameters, naming them", () => {
    const p = Tensor.from(new Float32Array(4));
    expect(() => sgdStep(p, Tensor.from(new Float32Array(3)), {}, { learningRate: 1 }))
      .toThrow(new RangeError("grad has shape [3] but must have [4]"));
    expect(() => sgdStep(p, p, {}, { learningRate: -1 })).toThrow(new RangeError("learningRate must be in [0, Infinity], got -1"));
    expect(() => sgdStep(p, p, {}, { learningRate: NaN })).toThrow(RangeError);
    expect(() => sgdStep(p, p, {}, {} as { learningRate: number })).toThrow(new TypeError("learningRate must be a number, got undefined"));
    expect(() => sgdStep(p, p, {}, { learningRate: 1, weightDecay: -0.1 })).toThrow("weightDecay must be in [0, Infinity]");
    expect(() => sgdStep(p, p, { momentumBuffer: Tensor.from(new Float32Array(2)) }, { learningRate: 1, momentum: 0.9 }))
      .toThrow(new RangeError("state.momentumBuffer has shape [2] but must have [4]"));
    expect(() => sgdStep(Tensor.from(new Int32Array(4)) as unknown as Tensor<"float32">, p, {}, { learningRate: 1 }))
      .toThrow(new TypeError("param must be a float32 tensor, got int32"));
  });
});

describe("dense Adam", () => {
  for (const decoupled of [false, true]) {
    it(`${decoupled ? "decoupled (AdamW)" : "coupled L2"} weight decay follows PyTorch over several steps`, () => {
      const random = rng(testSeed(`adam ${decoupled}`));
      for (const n of [1, randomInt(random, 2, 1000), 100_000]) {
        // eps well above float32 rounding: where g + λw cancels, m/(sqrt(v) + eps) would otherwise
        // magnify the last bit of w (in float32 here, float64 in the reference) up to lr.
        const options = { learningRate: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: 0.1, decoupled };
        const w0 = randomFloats(random, n, 2);
        const grads = Array.from({ length: 5 }, () => randomFloats(random, n));
        const param = Tensor.from(Float32Array.from(w0));
        const state = adamState(param);
        grads.forEach((g, k) => adamStep(param, Tensor.from(g), state, k + 1, options));
        expect(maxRelativeError(param.toArray(), referenceAdam(Float64Array.from(w0), grads, options))).toBeLessThan(1e-5);
      }
    });
  }

  it("defaults to torch.optim.Adam's betas and eps without weight decay", () => {
    const random = rng(testSeed("adam defaults"));
    const w0 = randomFloats(random, 50);
    const g = randomFloats(random, 50);
    const param = Tensor.from(Float32Array.from(w0));
    adamStep(param, Tensor.from(g), adamState(param), 1, { learningRate: 1e-3 });
    const expected = referenceAdam(Float64Array.from(w0), [g], {
      learningRate: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false,
    });
    expect(maxRelativeError(param.toArray(), expected)).toBeLessThan(1e-6);
  });

  it("rejects a bad step, bad betas and mismatched state, naming them", () => {
    const p = Tensor.from(new Float32Array(4));
    const state = adamState(p);
    expect(() => adamStep(p, p, state, 0, { learningRate: 1 })).toThrow("step must be an integer in [1, ");
    expect(() => adamStep(p, p, state, 1.5, { learningRate: 1 })).toThrow(RangeError);
    expect(() => adamStep(p, p, state, 1, { learningRate: 1, beta1: 1 })).toThrow(new RangeError("beta1 must be in [0, 1), got 1"));
    expect(() => adamStep(p, p, state, 1, { learningRate: 1, beta2: -0.1 })).toThrow("beta2 must be in [0, 1)");
    expect(() => adamStep(p, p, state, 1, { learningRate: 1, eps: -1 })).toThrow(RangeError);
    expect(() => adamStep(p, p, { m: state.m, v: Tensor.from(new Float32Array(5)) }, 1, { learningRate: 1 }))
      .toThrow(new RangeError("state.v has shape [5] but must have [4]"));
    expect(() => adamStep(p, p, {} as typeof state, 1, { learningRate: 1 })).toThrow("state.m must be a Tensor");
    expect(() => adamStep(p, p, state, 1, { learningRate: 1, decoupled: 1 as unknown as boolean })).toThrow(TypeError);
  });
});

describe("dense Adagrad", () => {
  it("matches torch.optim.Adagrad's update in float64 over several steps, with weight decay", () => {
    const random = rng(testSeed("dense adagrad"));
    const n = 777;
    const w0 = randomFloats(random, n);
    const param = Tensor.from(Float32Array.from(w0));
    const state = adagradState(param);
    const w = Float64Array.from(w0);
    const sum = new Float64Array(n);
    const options = { learningRate: 0.05, eps: 1e-10, weightDecay: 0.01 };
    for (let t = 0; t < 4; ++t) {
      const g = randomFloats(random, n);
      adagradStep(param, Tensor.from(g), state, options);
      for (let i = 0; i < n; ++i) {
        const gi = g[i]! + options.weightDecay * w[i]!;
        sum[i]! += gi * gi;
        w[i]! -= (options.learningRate * gi) / (Math.sqrt(sum[i]!) + options.eps);
      }
    }
    expect(maxRelativeError(param.toArray(), w)).toBeLessThan(1e-5);
    expect(maxRelativeError(state.sum.toArray(), sum)).toBeLessThan(1e-5);
  });

  it("rejects mismatched state and a negative learning rate, naming them", () => {
    const p = Tensor.from(new Float32Array(3));
    expect(() => adagradStep(p, p, { sum: Tensor.from(new Float32Array(2)) }, { learningRate: 1 })).toThrow("state.sum has shape [2] but must have [3]");
    expect(() => adagradStep(p, p, adagradState(p), { learningRate: -1 })).toThrow(/learningRate must be in/);
  });
});

describe("gradient-norm clipping", () => {
  const norm = (arrays: Float32Array[]) => Math.sqrt(arrays.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));

  it("returns the global L2 norm and scales every gradient by maxNorm/(norm + 1e-6) when above it", () => {
    const random = rng(testSeed("clip"));
    const arrays = [randomFloats(random, randomInt(random, 1, 100)), new Float32Array(0), randomFloats(random, 50_000, 3)];
    const grads = arrays.map((a) => Tensor.from(Float32Array.from(a)));
    const expectedNorm = norm(arrays);
    const maxNorm = expectedNorm / 3;
    expect(Math.abs(clipGradNorm(grads, maxNorm) - expectedNorm) / expectedNorm).toBeLessThan(1e-12);
    const factor = maxNorm / (expectedNorm + 1e-6);
    grads.forEach((grad, k) => expect(maxRelativeError(grad.toArray(), Array.from(arrays[k]!, (x) => x * factor))).toBeLessThan(1e-6));
    expect(Math.abs(norm(grads.map((g) => g.toArray())) - maxNorm) / maxNorm).toBeLessThan(1e-5);
  });

  it("leaves gradients under the limit unchanged, and returns 0 for none", () => {
    const random = rng(testSeed("clip under"));
    const a = randomFloats(random, 20);
    const grad = Tensor.from(Float32Array.from(a));
    expect(clipGradNorm([grad], norm([a]) * 2)).toBeCloseTo(norm([a]), 6);
    expect(Array.from(grad.toArray())).toEqual(Array.from(a));
    expect(clipGradNorm([], 1)).toBe(0);
  });

  it("returns a non-finite norm and leaves the gradients unchanged", () => {
    const grad = Tensor.from(new Float32Array([1, Infinity, 2]));
    expect(clipGradNorm([grad], 1)).toBe(Infinity);
    expect(Array.from(grad.toArray())).toEqual([1, Infinity, 2]);
  });

  it("computes a bit-identical norm for any thread count", () => {
    const random = rng(testSeed("clip threads"));
    const grads = [Tensor.from(randomFloats(random, 300_000)), Tensor.from(randomFloats(random, 70_001))];
    const threads = backend().threads;
    try {
      setThreads(1);
      const one = clipGradNorm(grads, 1e9);
      setThreads(6);
      expect(clipGradNorm(grads, 1e9)).toBe(one);
    } finally {
      setThreads(threads);
    }
  });

  it("rejects a non-array, a wrong dtype and a negative maxNorm, naming them", () => {
    const g = Tensor.from(new Float32Array(3));
    expect(() => clipGradNorm(g as unknown as Tensor<"float32">[], 1)).toThrow(new TypeError("grads must be an Array of tensors, got a Tensor"));
    expect(() => clipGradNorm([g, Tensor.from(new Int32Array(2)) as unknown as Tensor<"float32">], 1))
      .toThrow(new TypeError("grads[1] must be a float32 tensor, got int32"));
    expect(() => clipGradNorm([g], -1)).toThrow(new RangeError("maxNorm must be in [0, Infinity], got -1"));
  });
});

describe("dense optimizer bindings", () => {
  it("check every length and type before touching memory", () => {
    const kernels = native;
    const f = (n: number) => new Float32Array(n);
    expect(() => kernels.denseSgdStep(f(4), f(3), null, 1, 0, 0)).toThrow(new RangeError("grad has length 3 but must have 4 (param.length)"));
    expect(() => kernels.denseSgdStep(f(4), f(4), f(5), 1, 0.9, 0)).toThrow(new RangeError("momentumBuffer has length 5 but must have 4 (param.length)"));
    expect(() => kernels.denseAdamStep(f(4), f(4), f(4), f(3), 1, 1, 0.9, 0.999, 1e-8, 0, false))
      .toThrow(new RangeError("v has length 3 but must have 4 (param.length)"));
    expect(() => kernels.denseAdamStep(f(4), f(4), f(4), f(4), 1, 1, 0.9, 0.999, 1e-8, 0, 0 as unknown as boolean)).toThrow(TypeError);
    expect(() => kernels.clipGradNorm([f(2), new Int32Array(2) as unknown as Float32Array], 1))
      .toThrow(new TypeError("grads[1] must be a Float32Array, got an Int32Array"));
    expect(() => kernels.clipGradNorm(f(2) as unknown as Float32Array[], 1)).toThrow(new TypeError("grads must be an Array"));
  });
});

describe.runIf(backend().cudaDevices.length > 0)("dense optimizers on CUDA", () => {
  it("match the CPU for SGD, Adam, Adagrad and clipping", () => {
    const random = rng(testSeed("dense optimizer cuda"));
    for (const n of [1, randomInt(random, 2, 5000), 1_000_003]) {
      const w0 = randomFloats(random, n, 2);
      const grads = Array.from({ length: 3 }, () => randomFloats(random, n));
      const run = (device: "cpu" | "cuda") => {
        const on = (a: Float32Array) => Tensor.from(Float32Array.from(a), { device });
        const sgdParam = on(w0);
        const state: SgdState = {};
        const adamParam = on(w0);
        const moments = adamState(adamParam);
        const adagradParam = on(w0);
        const squares = adagradState(adagradParam);
        grads.forEach((g, k) => {
          sgdStep(sgdParam, on(g), state, { learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 });
          // eps well above rounding, as in the reference test (nvcc fuses multiply-adds; the CPU build does not).
          adamStep(adamParam, on(g), moments, k + 1, { learningRate: 0.01, eps: 1e-3, weightDecay: 0.1, decoupled: k % 2 === 0 });
          adagradStep(adagradParam, on(g), squares, { learningRate: 0.05, eps: 1e-3, weightDecay: 0.01 });
        });
        const clipped = grads.map(on);
        const total = clipGradNorm(clipped, 1);
        return { total, arrays: [sgdParam, state.momentumBuffer!, adamParam, moments.m, moments.v, adagradParam, squares.sum, ...clipped].map((t) => t.toArray()) };
      };
      const cpu = run("cpu");
      const cuda = run("cuda");
      expect(Math.abs(cuda.total - cpu.total) / cpu.total).toBeLessThan(1e-12);
      cpu.arrays.forEach((array, k) => expect(maxRelativeError(cuda.arrays[k]!, array)).toBeLessThan(1e-5));
    }
  });
});
