/**
 * GumbelMixture against a float64 reference of the whole supernet (lookup → projection → batch
 * norm → mix): the forward, and every gradient (α, W, b, γ, β and the table rows) against central
 * differences of that reference, in each mode, with and without batch norm, shared and separate.
 */
import { describe, expect, it } from "vitest";
import { backend, Tensor } from "mixdim";
import { backward, noGrad } from "../../ts/autograd/tape.js";
import type { Variable } from "../../ts/autograd/variable.js";
import { GumbelMixture, type GumbelMixtureOptions, type MixtureMode } from "../../ts/modules/gumbel_mixture.js";
import { gumbelNoise } from "../../ts/ops/gumbel_mixture.js";
import { SGD } from "../../ts/optim/sgd.js";
import { planBytes } from "../../ts/plan/size_plan.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const hasCuda = backend().cudaDevices.length > 0;

type Norm = "none" | "field" | "field+affine" | "pooled+affine";

// ---- The float64 reference ----

interface Reference {
  fields: number;
  dims: readonly number[];
  dim: number;
  shared: boolean;
  norm: Norm;
  eps: number;
  mode: MixtureMode;
  tau: number;
  /** g [F, M], zero in softmax mode. */
  noise: Float64Array;
  /** Table row of each (b, f), [B·F]. */
  rows: Int32Array;
  width: number;
}

interface Values {
  table: Float64Array;
  weights: Float64Array;
  biases: Float64Array;
  logAlpha: Float64Array;
  gamma: Float64Array;
  beta: Float64Array;
}

interface Forward {
  out: Float64Array;
  /** Candidates after batch norm, [B, F, M, D]. */
  h: Float64Array;
  p: Float64Array;
  w: Float64Array;
}

function referenceForward(r: Reference, v: Values): Forward {
  const { fields: F, dims, dim: D, width: K } = r;
  const M = dims.length;
  const S = dims.reduce((a, d) => a + d, 0);
  const B = r.rows.length / F;
  const h = new Float64Array(B * F * M * D);
  for (let b = 0; b < B; ++b) {
    for (let f = 0; f < F; ++f) {
      const row = r.rows[b * F + f]! * K;
      let column = 0;
      dims.forEach((d, m) => {
        const input = r.shared ? row : row + column;
        for (let j = 0; j < D; ++j) {
          let s = v.biases[(f * M + m) * D + j]!;
          for (let k = 0; k < d; ++k) s += v.weights[(f * D + j) * S + column + k]! * v.table[input + k]!;
          h[((b * F + f) * M + m) * D + j] = s;
        }
        column += d;
      });
    }
  }
  if (r.norm !== "none") {
    const pooled = r.norm === "pooled+affine";
    const affine = r.norm !== "field";
    // A feature is (f, m, j), or (m, j) pooled over fields; its samples are b (and f when pooled).
    const features = pooled ? M * D : F * M * D;
    for (let c = 0; c < features; ++c) {
      const at: number[] = [];
      for (let b = 0; b < B; ++b) {
        if (pooled) for (let f = 0; f < F; ++f) at.push((b * F + f) * M * D + c);
        else at.push(b * F * M * D + c);
      }
      const mean = at.reduce((s, i) => s + h[i]!, 0) / at.length;
      const variance = at.reduce((s, i) => s + (h[i]! - mean) ** 2, 0) / at.length;
      const invstd = 1 / Math.sqrt(variance + r.eps);
      for (const i of at) {
        const x = (h[i]! - mean) * invstd;
        h[i] = affine ? v.gamma[c]! * x + v.beta[c]! : x;
      }
    }
  }
  const p = new Float64Array(F * M);
  const w = new Float64Array(F * M);
  for (let f = 0; f < F; ++f) {
    const x = Array.from({ length: M }, (_, m) => v.logAlpha[f * M + m]! + r.noise[f * M + m]!);
    const largest = Math.max(...x);
    const e = x.map((value) => Math.exp((value - largest) / r.tau));
    const total = e.reduce((a, value) => a + value, 0);
    const chosen = x.indexOf(largest);
    for (let m = 0; m < M; ++m) {
      p[f * M + m] = e[m]! / total;
      w[f * M + m] = r.mode === "hard" ? (m === chosen ? 1 : 0) : e[m]! / total;
    }
  }
  const out = new Float64Array(B * F * D);
  for (let b = 0; b < B; ++b) {
    for (let f = 0; f < F; ++f) {
      for (let m = 0; m < M; ++m) {
        for (let j = 0; j < D; ++j) out[(b * F + f) * D + j]! += w[f * M + m]! * h[((b * F + f) * M + m) * D + j]!;
      }
    }
  }
  return { out, h, p, w };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; ++i) s += a[i]! * b[i]!;
  return s;
};

/** ∂/∂x_i of L = ⟨out, R⟩ at each listed i, by central differences of the float64 reference. */
function numericGradient(r: Reference, v: Values, x: Float64Array, indices: Iterable<number>, R: Float32Array):
    Map<number, number> {
  const step = 1e-6;
  const gradient = new Map<number, number>();
  for (const i of indices) {
    const original = x[i]!;
    x[i] = original + step;
    const plus = dot(referenceForward(r, v).out, R);
    x[i] = original - step;
    const minus = dot(referenceForward(r, v).out, R);
    x[i] = original;
    gradient.set(i, (plus - minus) / (2 * step));
  }
  return gradient;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// ---- Building a mixture and reading it into the reference ----

interface Setup {
  mixture: GumbelMixture;
  ids: Int32Array;
  batch: number;
  reference: Reference;
  values: Values;
}

function setUp(random: () => number, options: { shared: boolean; norm: Norm; mode: MixtureMode; tau: number;
  step?: number; batch?: number; device?: "cpu" | "cuda" }): Setup {
  const fieldCardinalities = [5, 7, 6];
  const dims = [2, 3, 5];
  const batch = options.batch ?? 8;
  const mixtureOptions: GumbelMixtureOptions = {
    fields: 3, fieldCardinalities, candidates: dims, dim: 4, shared: options.shared,
    batchNorm: options.norm !== "none",
    batchNormStatistics: options.norm === "pooled+affine" ? "pooled" : "field",
    batchNormAffine: options.norm === "field+affine" || options.norm === "pooled+affine",
    mode: options.mode, tau: options.tau, seed: randomInt(random, 0, 1000), initStd: 0.5,
    device: options.device ?? "cpu",
  };
  const mixture = new GumbelMixture(mixtureOptions);
  mixture.step = options.step ?? randomInt(random, 0, 100000);
  // Random α away from uniform; random γ, β away from the identity.
  mixture.logAlpha.value.toArray().set(randomFloats(random, 9, 1.5));
  if (mixture.batchNorm?.gamma !== undefined) {
    mixture.batchNorm.gamma.value.toArray().set(randomFloats(random, mixture.batchNorm.gamma.value.size, 1.5));
    mixture.batchNorm.beta!.value.toArray().set(randomFloats(random, mixture.batchNorm.beta!.value.size));
  }
  // Every field sees at least two distinct ids, so no batch-norm feature has zero variance.
  const ids = Int32Array.from({ length: batch * 3 }, (_, i) => {
    const b = Math.floor(i / 3);
    return b < 2 ? b : randomInt(random, 0, fieldCardinalities[i % 3]!);
  });
  const numRows = fieldCardinalities.reduce((a, n) => a + n, 0);
  const table = mixture.embedding.store.readRows(range(numRows));
  const rows = Int32Array.from(ids, (id, i) => mixture.fieldOffsets[i % 3]! + id);
  const noise = options.mode === "softmax"
    ? new Float64Array(9)
    : Float64Array.from(gumbelNoise(3, 3, { seed: mixture.seed, step: mixture.step }).toArray());
  const reference: Reference = {
    fields: 3, dims, dim: 4, shared: options.shared, norm: options.norm, eps: mixture.batchNorm?.eps ?? 0,
    mode: options.mode, tau: options.tau, noise, rows, width: mixture.rowWidth,
  };
  const bn = mixture.batchNorm;
  const values: Values = {
    table: Float64Array.from(table),
    weights: Float64Array.from(mixture.weights.value.toArray()),
    biases: Float64Array.from(mixture.biases.value.toArray()),
    logAlpha: Float64Array.from(mixture.logAlpha.value.toArray()),
    gamma: Float64Array.from(bn?.gamma?.value.toArray() ?? []),
    beta: Float64Array.from(bn?.beta?.value.toArray() ?? []),
  };
  return { mixture, ids, batch, reference, values };
}

/** Runs forward and backward of L = ⟨out, R⟩; returns out and the store's summed row gradient. */
function runBackward(mixture: GumbelMixture, ids: Int32Array, R: Float32Array):
    { out: Float32Array; rowGradient: Map<number, Float32Array> } {
  mixture.zeroGrad();
  const out = mixture.forward(ids);
  backward(out, Tensor.from(R, { shape: out.shape, device: out.device }));
  const { ids: touched, grad } = mixture.embedding.weight.gradient()!;
  const summed = mixture.embedding.store.sparseGradient(touched, grad);
  const K = mixture.rowWidth;
  const rowIds = summed.ids.toArray();
  const rowValues = summed.values.toArray();
  const rowGradient = new Map<number, Float32Array>();
  rowIds.forEach((row, n) => rowGradient.set(row, rowValues.slice(n * K, (n + 1) * K)));
  return { out: Float32Array.from(out.value.toArray()), rowGradient };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, tolerance = 2e-4): void {
  const error = maxRelativeError(actual, expected);
  expect(error, `${label}: max relative error ${error}`).toBeLessThanOrEqual(tolerance);
}

function gradientOf(variable: Variable | undefined): Float32Array {
  return Float32Array.from(variable!.grad!.toArray());
}

// ---- Tests ----

const cases: { shared: boolean; norm: Norm; mode: MixtureMode }[] = [];
for (const shared of [true, false]) {
  for (const norm of ["none", "field", "field+affine", "pooled+affine"] as const) {
    for (const mode of ["softmax", "gumbel", "hard"] as const) cases.push({ shared, norm, mode });
  }
}

describe("GumbelMixture gradients against finite differences of a float64 reference", () => {
  it.each(cases)("shared=$shared, batch norm $norm, $mode", ({ shared, norm, mode }) => {
    const random = rng(testSeed(`gumbel mixture ${shared} ${norm} ${mode}`));
    const tau = mode === "softmax" ? 1 : 0.3 + random();
    const { mixture, ids, batch, reference, values } = setUp(random, { shared, norm, mode, tau });
    const R = randomFloats(random, batch * 3 * 4);
    const { out, rowGradient } = runBackward(mixture, ids, R);
    const forward = referenceForward(reference, values);
    expectClose(out, forward.out, "forward");

    const check = (name: string, actual: Float32Array, x: Float64Array) => {
      const numeric = numericGradient(reference, values, x, range(x.length), R);
      expectClose(actual, range(x.length).map((i) => numeric.get(i)!), name, 1e-3);
    };
    check("weights", gradientOf(mixture.weights), values.weights);
    check("biases", gradientOf(mixture.biases), values.biases);
    if (norm === "field+affine" || norm === "pooled+affine") {
      check("gamma", gradientOf(mixture.batchNorm!.gamma), values.gamma);
      check("beta", gradientOf(mixture.batchNorm!.beta), values.beta);
    }
    // The rows the batch read, every entry (separate tables: every candidate's columns).
    const K = mixture.rowWidth;
    const touched = [...new Set(reference.rows)].sort((a, b) => a - b);
    expect([...rowGradient.keys()]).toEqual(touched);
    const indices = touched.flatMap((row) => range(K).map((k) => row * K + k));
    const numeric = numericGradient(reference, values, values.table, indices, R);
    expectClose(touched.flatMap((row) => [...rowGradient.get(row)!]), indices.map((i) => numeric.get(i)!), "rows", 1e-3);

    const alphaGradient = gradientOf(mixture.logAlpha);
    if (mode !== "hard") {
      check("logAlpha", alphaGradient, values.logAlpha);
    } else {
      // Straight-through: the soft softmax's gradient, (1/τ)·p ⊙ (dw − ⟨p, dw⟩), dw_fm = Σ_b ⟨R_bf, h_bfm⟩.
      const expected = new Float64Array(9);
      for (let f = 0; f < 3; ++f) {
        const dw = range(3).map((m) => {
          let s = 0;
          for (let b = 0; b < batch; ++b) {
            for (let j = 0; j < 4; ++j) s += R[(b * 3 + f) * 4 + j]! * forward.h[((b * 3 + f) * 3 + m) * 4 + j]!;
          }
          return s;
        });
        const mean = dw.reduce((s, g, m) => s + forward.p[f * 3 + m]! * g, 0);
        for (let m = 0; m < 3; ++m) expected[f * 3 + m] = (forward.p[f * 3 + m]! * (dw[m]! - mean)) / tau;
      }
      expectClose(alphaGradient, expected, "logAlpha (straight-through)", 1e-3);
    }
  });

  it("the same step draws the same noise: two forwards agree exactly, another step differs", () => {
    const random = rng(testSeed("gumbel mixture noise key"));
    const { mixture, ids } = setUp(random, { shared: true, norm: "field", mode: "gumbel", tau: 0.5, step: 7 });
    const first = noGrad(() => mixture.forward(ids).value.toArray());
    const again = noGrad(() => mixture.forward(ids).value.toArray());
    expect(again).toEqual(first);
    mixture.step = 8;
    expect(noGrad(() => mixture.forward(ids).value.toArray())).not.toEqual(first);
  });
});

describe("GumbelMixture modes", () => {
  it("DARTS without noise equals the softmax mixture Σ softmax(α)_m · h_m", () => {
    const random = rng(testSeed("gumbel mixture softmax"));
    for (const norm of ["none", "field"] as const) {
      const { mixture, ids, reference, values } = setUp(random, { shared: false, norm, mode: "softmax", tau: 1 });
      const out = noGrad(() => mixture.forward(ids).value.toArray());
      const { h } = referenceForward(reference, values);
      const expected = new Float64Array(out.length);
      for (let f = 0; f < 3; ++f) {
        const a = range(3).map((m) => Math.exp(values.logAlpha[f * 3 + m]!));
        const total = a.reduce((s, x) => s + x, 0);
        for (let b = 0; b < ids.length / 3; ++b) {
          for (let m = 0; m < 3; ++m) {
            for (let j = 0; j < 4; ++j) expected[(b * 3 + f) * 4 + j]! += (a[m]! / total) * h[((b * 3 + f) * 3 + m) * 4 + j]!;
          }
        }
      }
      expectClose(out, expected, `softmax mixture, batch norm ${norm}`);
    }
  });

  it("hard mode's forward is one candidate's projection, while α still gets the soft gradient", () => {
    const random = rng(testSeed("gumbel mixture hard"));
    const { mixture, ids, batch, reference, values } = setUp(random, { shared: true, norm: "field", mode: "hard", tau: 0.5 });
    const R = randomFloats(random, batch * 12);
    const { out } = runBackward(mixture, ids, R);
    const { h, p } = referenceForward(reference, values);
    for (let f = 0; f < 3; ++f) {
      const x = range(3).map((m) => values.logAlpha[f * 3 + m]! + reference.noise[f * 3 + m]!);
      const chosen = x.indexOf(Math.max(...x));
      const actual: number[] = [];
      const expected: number[] = [];
      for (let b = 0; b < batch; ++b) {
        for (let j = 0; j < 4; ++j) {
          actual.push(out[(b * 3 + f) * 4 + j]!);
          expected.push(h[((b * 3 + f) * 3 + chosen) * 4 + j]!);
        }
      }
      expectClose(actual, expected, `field ${f} is candidate ${chosen}`);
      // Every candidate with p > 0 receives gradient, not only the chosen one.
      const alphaGradient = mixture.logAlpha.grad!.toArray();
      for (let m = 0; m < 3; ++m) if (p[f * 3 + m]! > 1e-3) expect(alphaGradient[f * 3 + m]).not.toBe(0);
    }
  });

  it("setStep sets the noise key and AutoDim's temperature max(0.01, 1 − 5e-5·t); softmax mode keeps τ", () => {
    const mixture = new GumbelMixture({ fields: 1, fieldCardinalities: [3], candidates: [2, 4], dim: 2 });
    mixture.setStep(4000);
    expect(mixture.step).toBe(4000);
    expect(mixture.tau).toBeCloseTo(0.8, 12);
    mixture.setStep(10 ** 6);
    expect(mixture.tau).toBe(0.01);
    const darts = new GumbelMixture({ fields: 1, fieldCardinalities: [3], candidates: [2, 4], dim: 2, mode: "softmax" });
    darts.setStep(4000);
    expect([darts.step, darts.tau]).toEqual([4000, 1]);
  });
});

describe("GumbelMixture weight sharing", () => {
  it("candidate m reads only the first d_m entries of a field's row", () => {
    const random = rng(testSeed("gumbel mixture prefix"));
    for (const batchNorm of [false, true]) {
      const dims = [2, 3, 5];
      const mixture = new GumbelMixture({ fields: 2, fieldCardinalities: [4, 3], candidates: dims, dim: 3, batchNorm,
        mode: "hard", seed: 3, initStd: 0.5 });
      const ids = Int32Array.from([0, 1, 1, 2, 3, 0, 2, 2]);
      for (let m = 0; m < dims.length; ++m) {
        // α_m far above the others and the Gumbel noise (|g| < 17 in float): the forward is candidate m.
        const alpha = mixture.logAlpha.value.toArray();
        alpha.fill(0);
        alpha[m] = 100;
        alpha[3 + m] = 100;
        const before = noGrad(() => mixture.forward(ids).value.toArray().slice());
        const row = mixture.fieldOffsets[0]! + 1;
        const original = mixture.embedding.store.readRows([row]);
        const perturbed = original.slice();
        for (let j = dims[m]!; j < 5; ++j) perturbed[j]! += 1 + random();
        mixture.embedding.store.writeRows([row], perturbed);
        expect(noGrad(() => mixture.forward(ids).value.toArray().slice()), `candidate ${m}, entries ≥ ${dims[m]}`)
          .toEqual(before);
        perturbed[dims[m]! - 1]! += 1;
        mixture.embedding.store.writeRows([row], perturbed);
        expect(noGrad(() => mixture.forward(ids).value.toArray().slice())).not.toEqual(before);
        mixture.embedding.store.writeRows([row], original);
      }
    }
  });

  it("a shared table holds d_M per row; separate tables hold Σ d_m", () => {
    const options = { fields: 2, fieldCardinalities: [4, 3], candidates: [2, 3, 5], dim: 3 };
    expect(new GumbelMixture({ ...options, shared: true }).embedding.store.maxDim).toBe(5);
    expect(new GumbelMixture({ ...options, shared: false }).embedding.store.maxDim).toBe(10);
  });
});

describe("GumbelMixture architecture and state", () => {
  it("argmax gives each field's largest α (the first on a tie), and plan() each field's ids at that size", () => {
    const mixture = new GumbelMixture({ fields: 3, fieldCardinalities: [4, 2, 3], candidates: [2, 8, 16], dim: 4 });
    expect(Array.from(mixture.argmax())).toEqual([0, 0, 0]);
    mixture.logAlpha.value.toArray().set([0.1, 0.5, -1, 2, 2, 1, -3, -2, -1]);
    expect(Array.from(mixture.argmax())).toEqual([1, 0, 2]);
    const plan = mixture.plan();
    expect(plan.candidates).toEqual([2, 8, 16]);
    expect(Object.keys(plan.tables)).toEqual(["field0", "field1", "field2"]);
    expect(Array.from(plan.tables.field0!)).toEqual([8, 8, 8, 8]);
    expect(Array.from(plan.tables.field1!)).toEqual([2, 2]);
    expect(Array.from(plan.tables.field2!)).toEqual([16, 16, 16]);
    expect(planBytes(plan)).toBe((4 * 8 + 2 * 2 + 3 * 16) * 4);
  });

  it("α is apart from parameters(): an optimizer over architectureParameters() moves α only", () => {
    const random = rng(testSeed("gumbel mixture bi-level"));
    const { mixture, ids, batch } = setUp(random, { shared: true, norm: "field+affine", mode: "gumbel", tau: 1 });
    expect(mixture.parameters()).not.toContain(mixture.logAlpha);
    expect(mixture.weightParameters()).toEqual(mixture.parameters());
    expect(mixture.architectureParameters()).toEqual([mixture.logAlpha]);
    const names = mixture.namedParameters().map(([name]) => name);
    expect(names).toEqual(["weights", "biases", "embedding.weight", "batchNorm.gamma", "batchNorm.beta"]);
    const architecture = new SGD(mixture.architectureParameters(), { learningRate: 0.1 });
    const weightsBefore = mixture.weights.value.toArray().slice();
    const alphaBefore = mixture.logAlpha.value.toArray().slice();
    runBackward(mixture, ids, randomFloats(random, batch * 12));
    architecture.step();
    expect(mixture.weights.value.toArray()).toEqual(weightsBefore);
    expect(mixture.logAlpha.value.toArray()).not.toEqual(alphaBefore);
    mixture.zeroGrad();
    expect(mixture.logAlpha.grad).toBeUndefined();
  });

  it("state() carries α, the tables, W, b and the batch norms into a fresh mixture", () => {
    const random = rng(testSeed("gumbel mixture state"));
    const { mixture, ids } = setUp(random, { shared: false, norm: "pooled+affine", mode: "gumbel", tau: 0.7, step: 3 });
    noGrad(() => mixture.forward(ids)); // moves the running statistics
    mixture.weights.value.toArray().set(randomFloats(random, mixture.weights.value.size));
    mixture.biases.value.toArray().set(randomFloats(random, mixture.biases.value.size));
    const state = mixture.state();
    expect(Object.keys(state).sort()).toEqual([
      "batchNorm.beta", "batchNorm.gamma", "batchNorm.runningMean", "batchNorm.runningVar", "biases",
      "embedding.weight.rows", "embedding.weight.sizes", "logAlpha", "weights",
    ]);
    const fresh = new GumbelMixture({ fields: 3, fieldCardinalities: [5, 7, 6], candidates: [2, 3, 5], dim: 4,
      shared: false, batchNormStatistics: "pooled", batchNormAffine: true, seed: mixture.seed, initStd: 0.1, tau: 0.7 });
    // The seed is configuration (it keys the noise), not state: the fresh mixture takes the same one.
    fresh.step = 3;
    mixture.eval();
    fresh.eval();
    const expected = noGrad(() => mixture.forward(ids).value.toArray());
    expect(noGrad(() => fresh.forward(ids).value.toArray())).not.toEqual(expected);
    fresh.load(state);
    expect(noGrad(() => fresh.forward(ids).value.toArray())).toEqual(expected);
  });
});

describe("GumbelMixture edge cases and bad input", () => {
  const base = { fields: 2, fieldCardinalities: [3, 4], candidates: [2, 4], dim: 3 };

  it("a batch of one runs without batch norm and is refused by batch norm in training", () => {
    const plain = new GumbelMixture({ ...base, batchNorm: false });
    expect(plain.forward([2, 3]).shape).toEqual([1, 2, 3]);
    const normed = new GumbelMixture(base);
    expect(() => normed.forward([2, 3])).toThrow(/at least 2 rows/);
    normed.eval();
    expect(normed.forward([2, 3]).shape).toEqual([1, 2, 3]);
  });

  it("ids may be a [B, F] int32 tensor", () => {
    const mixture = new GumbelMixture(base);
    const ids = Int32Array.from([0, 1, 2, 3]);
    const fromArray = noGrad(() => mixture.forward(ids).value.toArray());
    expect(noGrad(() => mixture.forward(Tensor.from(ids, { shape: [2, 2] })).value.toArray())).toEqual(fromArray);
  });

  it("τ ≤ 0 is a RangeError naming tau", () => {
    expect(() => new GumbelMixture({ ...base, tau: 0 })).toThrow(/tau/);
    expect(() => new GumbelMixture({ ...base, tau: -1 })).toThrow(RangeError);
    const mixture = new GumbelMixture(base);
    expect(() => { mixture.tau = 0; }).toThrow(RangeError);
    expect(() => { mixture.tau = Number.NaN; }).toThrow(/tau/);
    expect(() => { mixture.step = 1.5; }).toThrow(/step/);
    expect(() => { mixture.mode = "gumbel-hard" as MixtureMode; }).toThrow(TypeError);
  });

  it("fields, cardinalities and candidates that do not agree are named errors", () => {
    expect(() => new GumbelMixture({ ...base, fields: 3 })).toThrow(/fieldCardinalities has 2 entries but fields is 3/);
    expect(() => new GumbelMixture({ ...base, fieldCardinalities: [3, 0] })).toThrow(/fieldCardinalities\[1\]/);
    expect(() => new GumbelMixture({ ...base, candidates: [4, 2] })).toThrow(/candidates must be strictly increasing/);
    expect(() => new GumbelMixture({ ...base, candidates: [] })).toThrow(/candidates/);
    expect(() => new GumbelMixture({ ...base, dim: 0 })).toThrow(/dim/);
    // A state saved from a mixture with another candidate count does not load.
    const three = new GumbelMixture({ ...base, candidates: [2, 4, 8] });
    expect(() => new GumbelMixture(base).load(three.state())).toThrow(RangeError);
  });

  it("ids with the wrong field count or out of their field's range are RangeErrors naming ids", () => {
    const mixture = new GumbelMixture(base);
    expect(() => mixture.forward([0, 1, 2])).toThrow(/ids has 3 values, not a whole number of rows of 2 fields/);
    expect(() => mixture.forward(Tensor.from(Int32Array.from([0, 1, 2, 0, 1, 2]), { shape: [2, 3] })))
      .toThrow(/ids has shape \[2, 3\] but the mixture has 2 fields/);
    expect(() => mixture.forward([0, 1, 3, 0])).toThrow(/ids\[2\] = 3 is out of range \[0, 3\) for field 0/);
    expect(() => mixture.forward([0, 4, 1, 0])).toThrow(/ids\[1\] = 4 is out of range \[0, 4\) for field 1/);
    expect(() => mixture.forward([0, -1, 1, 0])).toThrow(RangeError);
    expect(() => mixture.forward([0, 0.5] as number[])).toThrow(/ids\[1\]/);
  });
});

describe.runIf(hasCuda)("GumbelMixture on CUDA matches the CPU", () => {
  it.each([
    { shared: true, norm: "field+affine" as Norm, mode: "gumbel" as MixtureMode },
    { shared: false, norm: "none" as Norm, mode: "hard" as MixtureMode },
    { shared: false, norm: "pooled+affine" as Norm, mode: "softmax" as MixtureMode },
  ])("shared=$shared, batch norm $norm, $mode", ({ shared, norm, mode }) => {
    const seed = testSeed("gumbel mixture cuda");
    const cpu = setUp(rng(seed), { shared, norm, mode, tau: 0.6, step: 11 });
    const cuda = setUp(rng(seed), { shared, norm, mode, tau: 0.6, step: 11, device: "cuda" });
    cuda.mixture.load(cpu.mixture.state());
    const R = randomFloats(rng(seed + 1), cpu.batch * 12);
    const a = runBackward(cpu.mixture, cpu.ids, R);
    const b = runBackward(cuda.mixture, cuda.ids, R);
    expectClose(b.out, a.out, "forward", 1e-5);
    for (const name of ["weights", "biases", "logAlpha"] as const) {
      expectClose(gradientOf(cuda.mixture[name]), gradientOf(cpu.mixture[name]), name, 1e-4);
    }
    for (const [row, gradient] of a.rowGradient) expectClose(b.rowGradient.get(row)!, gradient, `row ${row}`, 1e-4);
  });
});
