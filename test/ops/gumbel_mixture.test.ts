import { describe, expect, it } from "vitest";
import { backend, Tensor } from "mixdim";
import {
  type CandidateProjections, gumbelNoise, mixtureInputWidth, type MixtureMode, mixtureWeights, mixtureWeightsBackward,
  projectAndMix, projectAndMixBackward, projectCandidates, projectCandidatesBackward, weightedSum, weightedSumBackward,
} from "../../ts/ops/gumbel_mixture.js";
import { maxRelativeError } from "../support/reference_store.js";
import { philox, uniformOpen } from "../support/philox.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const hasCuda = backend().cudaDevices.length > 0;

// ---- The Gumbel transform in float64 over the independent Philox ----

function referenceNoise(seed: number, step: number, field: number, candidate: number): number {
  const u = uniformOpen(philox(seed, [step, field, candidate, 0x67756d62])[0]!);
  return -Math.log(-Math.log(u));
}

function referenceWeights(logAlpha: ArrayLike<number>, fields: number, candidates: number, tau: number,
                          mode: MixtureMode, seed: number, step: number): { p: number[]; w: number[] } {
  const p: number[] = [];
  const w: number[] = [];
  for (let f = 0; f < fields; ++f) {
    const x = Array.from({ length: candidates }, (_, m) =>
      logAlpha[f * candidates + m]! + (mode === "softmax" ? 0 : referenceNoise(seed, step, f, m)));
    const largest = Math.max(...x);
    const e = x.map((v) => Math.exp((v - largest) / tau));
    const total = e.reduce((s, v) => s + v, 0);
    const pf = e.map((v) => v / total);
    const argmax = x.indexOf(largest);
    p.push(...pf);
    w.push(...(mode === "hard" ? pf.map((_, m) => (m === argmax ? 1 : 0)) : pf));
  }
  return { p, w };
}

// ---- Float64 references for the projections and the mix ----

interface Problem {
  batch: number;
  fields: number;
  dim: number;
  dims: number[];
  shared: boolean;
  e: Float32Array;
  weights: Float32Array;
  biases: Float32Array;
  w: Float32Array;
}

function randomProblem(random: () => number, batch: number, fields: number, dim: number, dims: number[],
                       shared: boolean): Problem {
  const width = mixtureInputWidth(dims, shared);
  const total = dims.reduce((s, d) => s + d, 0);
  const w = new Float32Array(fields * dims.length);
  for (let f = 0; f < fields; ++f) {
    const raw = Array.from({ length: dims.length }, () => random() + 0.1);
    const sum = raw.reduce((s, v) => s + v, 0);
    raw.forEach((v, m) => { w[f * dims.length + m] = v / sum; });
  }
  return {
    batch, fields, dim, dims, shared,
    e: randomFloats(random, batch * fields * width),
    weights: randomFloats(random, fields * dim * total),
    biases: randomFloats(random, fields * dims.length * dim),
    w,
  };
}

function projections(p: Problem, device: "cpu" | "cuda" = "cpu"): CandidateProjections {
  const total = p.dims.reduce((s, d) => s + d, 0);
  return {
    dims: p.dims, shared: p.shared,
    weights: Tensor.from(p.weights, { shape: [p.fields, p.dim, total], device }),
    biases: Tensor.from(p.biases, { shape: [p.fields, p.dims.length, p.dim], device }),
  };
}

function eTensor(p: Problem, device: "cpu" | "cuda" = "cpu"): Tensor<"float32"> {
  return Tensor.from(p.e, { shape: [p.batch, p.fields, mixtureInputWidth(p.dims, p.shared)], device });
}

/** h[b, f, m, r] = Σ_c W_fm[r, c]·e_fm[b, c] + b_fm[r] in float64. */
function referenceProject(p: Problem, e: ArrayLike<number> = p.e, weights: ArrayLike<number> = p.weights,
                          biases: ArrayLike<number> = p.biases): number[] {
  const M = p.dims.length;
  const K = mixtureInputWidth(p.dims, p.shared);
  const S = p.dims.reduce((s, d) => s + d, 0);
  const offsets = p.dims.map((_, m) => p.dims.slice(0, m).reduce((s, d) => s + d, 0));
  const h: number[] = [];
  for (let b = 0; b < p.batch; ++b) {
    for (let f = 0; f < p.fields; ++f) {
      for (let m = 0; m < M; ++m) {
        const input = p.shared ? 0 : offsets[m]!;
        for (let r = 0; r < p.dim; ++r) {
          let total = biases[(f * M + m) * p.dim + r]!;
          for (let c = 0; c < p.dims[m]!; ++c) {
            total += weights[(f * p.dim + r) * S + offsets[m]! + c]! * e[(b * p.fields + f) * K + input + c]!;
          }
          h.push(total);
        }
      }
    }
  }
  return h;
}

function referenceMix(h: ArrayLike<number>, w: ArrayLike<number>, batch: number, fields: number, candidates: number,
                      dim: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; ++b) {
    for (let f = 0; f < fields; ++f) {
      for (let d = 0; d < dim; ++d) {
        let total = 0;
        for (let m = 0; m < candidates; ++m) total += w[f * candidates + m]! * h[((b * fields + f) * candidates + m) * dim + d]!;
        out.push(total);
      }
    }
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; ++i) total += a[i]! * b[i]!;
  return total;
}

/** Central differences in float64 of `loss` with respect to every entry of `values`. */
function finiteDifferences(values: ArrayLike<number>, loss: (perturbed: Float64Array) => number, h = 1e-3): number[] {
  const base = Float64Array.from(values);
  return Array.from(base, (_, i) => {
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i]! += h;
    minus[i]! -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

describe("Gumbel noise", () => {
  it("is −log(−log u) of Philox keyed by (seed, step, field, candidate)", () => {
    const random = rng(testSeed("gumbel noise"));
    const seed = randomInt(random, 0, 2 ** 31) * 4096 + randomInt(random, 0, 4096);
    const step = randomInt(random, 0, 2 ** 31);
    const noise = gumbelNoise(7, 5, { seed, step }).toArray();
    const expected = Array.from({ length: 35 }, (_, i) => referenceNoise(seed, step, Math.floor(i / 5), i % 5));
    expect(maxRelativeError(noise, expected)).toBeLessThan(1e-6);
    expect(Array.from(gumbelNoise(7, 5, { seed, step }).toArray())).toEqual(Array.from(noise));
    expect(Array.from(gumbelNoise(7, 5, { seed, step: step + 1 }).toArray())).not.toEqual(Array.from(noise));
  });

  it("has the Gumbel distribution's mean (Euler's γ) and variance (π²/6)", () => {
    const noise = gumbelNoise(400, 100, { seed: testSeed("gumbel moments"), step: 3 }).toArray();
    const mean = noise.reduce((s, v) => s + v, 0) / noise.length;
    const variance = noise.reduce((s, v) => s + (v - mean) ** 2, 0) / noise.length;
    expect(Math.abs(mean - 0.5772156649)).toBeLessThan(0.05);
    expect(Math.abs(variance - Math.PI ** 2 / 6)).toBeLessThan(0.1);
  });
});

describe("mixture weights", () => {
  const cases: { mode: MixtureMode; tau: number; fields: number; candidates: number }[] = [
    { mode: "gumbel", tau: 1, fields: 13, candidates: 5 },
    { mode: "gumbel", tau: 0.01, fields: 9, candidates: 6 },
    { mode: "softmax", tau: 1, fields: 4, candidates: 7 },
    { mode: "softmax", tau: 0.3, fields: 1, candidates: 1 },
    { mode: "hard", tau: 0.5, fields: 8, candidates: 4 },
  ];
  for (const { mode, tau, fields, candidates } of cases) {
    it(`${mode} at τ = ${tau} (${fields}×${candidates}) matches float64, and its backward matches finite differences`, () => {
      const random = rng(testSeed(`weights ${mode} ${tau}`));
      const seed = randomInt(random, 0, 2 ** 31);
      const step = randomInt(random, 0, 100000);
      const logAlpha = randomFloats(random, fields * candidates, 2);
      const { p, w } = mixtureWeights(Tensor.from(logAlpha, { shape: [fields, candidates] }), { tau, mode, seed, step });
      const expected = referenceWeights(logAlpha, fields, candidates, tau, mode, seed, step);
      expect(maxRelativeError(p.toArray(), expected.p)).toBeLessThan(1e-4);
      expect(maxRelativeError(w.toArray(), expected.w)).toBeLessThan(1e-4);

      // d/dlog α of ⟨dw, p⟩: in hard mode the straight-through gradient is the soft one.
      const dw = randomFloats(random, fields * candidates);
      const dlogAlpha = mixtureWeightsBackward(p, Tensor.from(dw, { shape: [fields, candidates] }), tau).toArray();
      const numeric = finiteDifferences(logAlpha, (la) =>
        dot(dw, referenceWeights(la, fields, candidates, tau, mode, seed, step).p), 1e-4 * tau);
      expect(maxRelativeError(dlogAlpha, numeric)).toBeLessThan(1e-3);
    });
  }

  it("rejects τ ≤ 0, a bad mode, bad seeds and mismatched shapes", () => {
    const logAlpha = Tensor.from(new Float32Array(6), { shape: [2, 3] });
    expect(() => mixtureWeights(logAlpha, { tau: 0 })).toThrow(RangeError);
    expect(() => mixtureWeights(logAlpha, { tau: -1 })).toThrow(/tau must be > 0/);
    expect(() => mixtureWeights(logAlpha, { tau: Number.NaN })).toThrow(/tau/);
    expect(() => mixtureWeights(logAlpha, { tau: "1" as unknown as number })).toThrow(TypeError);
    expect(() => mixtureWeights(logAlpha, { tau: 1, mode: "argmax" as MixtureMode })).toThrow(TypeError);
    expect(() => mixtureWeights(logAlpha, { tau: 1, seed: -1 })).toThrow(/seed must be an integer/);
    expect(() => mixtureWeights(logAlpha, { tau: 1, step: 2 ** 32 })).toThrow(RangeError);
    expect(() => mixtureWeights(Tensor.from(new Float32Array(6)), { tau: 1 })).toThrow("logAlpha must have 2 dimensions");
    const p = mixtureWeights(logAlpha, { tau: 1 }).p;
    expect(() => mixtureWeightsBackward(p, Tensor.from(new Float32Array(4), { shape: [2, 2] }), 1))
      .toThrow("dw has shape [2, 2] but must have [2, 3]");
    expect(() => mixtureWeightsBackward(p, p, 0)).toThrow(RangeError);
  });
});

describe("weighted sum", () => {
  for (const [batch, fields, candidates, dim] of [[70, 3, 4, 5], [1, 1, 1, 8], [130, 2, 3, 1]] as const) {
    it(`matches float64 and finite differences for [${batch}, ${fields}, ${candidates}, ${dim}]`, () => {
      const random = rng(testSeed(`weighted sum ${batch}`));
      const h = randomFloats(random, batch * fields * candidates * dim);
      const w = randomFloats(random, fields * candidates);
      const dout = randomFloats(random, batch * fields * dim);
      const hT = Tensor.from(h, { shape: [batch, fields, candidates, dim] });
      const wT = Tensor.from(w, { shape: [fields, candidates] });
      const out = weightedSum(hT, wT);
      expect(out.shape).toEqual([batch, fields, dim]);
      expect(maxRelativeError(out.toArray(), referenceMix(h, w, batch, fields, candidates, dim))).toBeLessThan(1e-5);
      const grads = weightedSumBackward(hT, wT, Tensor.from(dout, { shape: [batch, fields, dim] }));
      const dw = finiteDifferences(w, (x) => dot(dout, referenceMix(h, x, batch, fields, candidates, dim)));
      expect(maxRelativeError(grads.dw.toArray(), dw)).toBeLessThan(1e-4);
      if (batch * fields * candidates * dim <= 400) {
        const dh = finiteDifferences(h, (x) => dot(dout, referenceMix(x, w, batch, fields, candidates, dim)));
        expect(maxRelativeError(grads.dh.toArray(), dh)).toBeLessThan(1e-4);
      } else {
        const dh = Array.from(h, (_, i) => {
          const d = i % dim;
          const row = Math.floor(i / dim);
          const m = row % candidates;
          const bf = Math.floor(row / candidates);
          return w[(bf % fields) * candidates + m]! * dout[bf * dim + d]!;
        });
        expect(maxRelativeError(grads.dh.toArray(), dh)).toBeLessThan(1e-6);
      }
    });
  }

  it("handles an empty batch and rejects mismatched candidate counts", () => {
    const w = Tensor.from(new Float32Array(6), { shape: [2, 3] });
    const h = Tensor.from(new Float32Array(0), { shape: [0, 2, 3, 4] });
    expect(weightedSum(h, w).shape).toEqual([0, 2, 4]);
    expect(Array.from(weightedSumBackward(h, w, Tensor.from(new Float32Array(0), { shape: [0, 2, 4] })).dw.toArray()))
      .toEqual([0, 0, 0, 0, 0, 0]);
    const h4 = Tensor.from(new Float32Array(2 * 2 * 4 * 4), { shape: [2, 2, 4, 4] });
    expect(() => weightedSum(h4, w)).toThrow(RangeError);
    expect(() => weightedSum(h4, w)).toThrow("w has shape [2, 3] but must have [2, 4]");
    expect(() => weightedSum(Tensor.from(new Float32Array(8), { shape: [2, 4] }), w)).toThrow("h must have 4 dimensions");
    expect(() => weightedSumBackward(h4, Tensor.from(new Float32Array(8), { shape: [2, 4] }),
                                     Tensor.from(new Float32Array(3)))).toThrow(/dout has shape/);
  });
});

describe("candidate projections and the fused projection-and-mix", () => {
  const shapes: { batch: number; fields: number; dim: number; dims: number[]; shared: boolean }[] = [
    { batch: 6, fields: 2, dim: 3, dims: [1, 2, 4], shared: false },
    { batch: 5, fields: 3, dim: 4, dims: [1, 2, 3], shared: true },
    { batch: 1, fields: 1, dim: 2, dims: [3], shared: false },
    { batch: 1, fields: 2, dim: 5, dims: [2, 4], shared: true },
  ];
  for (const shape of shapes) {
    const label = `${shape.shared ? "shared" : "separate"} dims [${shape.dims.join(", ")}], batch ${shape.batch}`;

    it(`projectCandidates matches float64 and finite differences (${label})`, () => {
      const random = rng(testSeed(`project ${label}`));
      const p = randomProblem(random, shape.batch, shape.fields, shape.dim, shape.dims, shape.shared);
      const h = projectCandidates(projections(p), eTensor(p));
      const M = p.dims.length;
      expect(h.shape).toEqual([p.batch, p.fields, M, p.dim]);
      expect(maxRelativeError(h.toArray(), referenceProject(p))).toBeLessThan(1e-5);
      const dh = randomFloats(random, h.size);
      const grads = projectCandidatesBackward(projections(p), eTensor(p), Tensor.from(dh, { shape: h.shape }));
      expect(maxRelativeError(grads.de.toArray(), finiteDifferences(p.e, (x) => dot(dh, referenceProject(p, x)))))
        .toBeLessThan(1e-4);
      expect(maxRelativeError(grads.dweights.toArray(),
                              finiteDifferences(p.weights, (x) => dot(dh, referenceProject(p, p.e, x))))).toBeLessThan(1e-4);
      expect(maxRelativeError(grads.dbiases.toArray(),
                              finiteDifferences(p.biases, (x) => dot(dh, referenceProject(p, p.e, p.weights, x)))))
        .toBeLessThan(1e-4);
    });

    it(`projectAndMix matches float64 and finite differences for e, W, b and w (${label})`, () => {
      const random = rng(testSeed(`mix ${label}`));
      const p = randomProblem(random, shape.batch, shape.fields, shape.dim, shape.dims, shape.shared);
      const M = p.dims.length;
      const mix = (e: ArrayLike<number>, weights: ArrayLike<number>, biases: ArrayLike<number>, w: ArrayLike<number>) =>
        referenceMix(referenceProject(p, e, weights, biases), w, p.batch, p.fields, M, p.dim);
      const wT = Tensor.from(p.w, { shape: [p.fields, M] });
      const out = projectAndMix(projections(p), eTensor(p), wT);
      expect(out.shape).toEqual([p.batch, p.fields, p.dim]);
      expect(maxRelativeError(out.toArray(), mix(p.e, p.weights, p.biases, p.w))).toBeLessThan(1e-5);
      const dout = randomFloats(random, out.size);
      const grads = projectAndMixBackward(projections(p), eTensor(p), wT, Tensor.from(dout, { shape: out.shape }));
      expect(maxRelativeError(grads.de.toArray(),
                              finiteDifferences(p.e, (x) => dot(dout, mix(x, p.weights, p.biases, p.w))))).toBeLessThan(1e-4);
      expect(maxRelativeError(grads.dweights.toArray(),
                              finiteDifferences(p.weights, (x) => dot(dout, mix(p.e, x, p.biases, p.w))))).toBeLessThan(1e-4);
      expect(maxRelativeError(grads.dbiases.toArray(),
                              finiteDifferences(p.biases, (x) => dot(dout, mix(p.e, p.weights, x, p.w))))).toBeLessThan(1e-4);
      expect(maxRelativeError(grads.dw.toArray(),
                              finiteDifferences(p.w, (x) => dot(dout, mix(p.e, p.weights, p.biases, x))))).toBeLessThan(1e-4);
    });
  }

  it("fused and unfused paths agree on a larger AutoDim-sized problem", () => {
    const random = rng(testSeed("fused vs unfused"));
    const p = randomProblem(random, 300, 5, 16, [2, 4, 8, 16], true);
    const wT = Tensor.from(p.w, { shape: [5, 4] });
    const fused = projectAndMix(projections(p), eTensor(p), wT);
    const unfused = weightedSum(projectCandidates(projections(p), eTensor(p)), wT);
    expect(maxRelativeError(fused.toArray(), unfused.toArray())).toBeLessThan(1e-5);
    const dout = Tensor.from(randomFloats(random, fused.size), { shape: fused.shape });
    const a = projectAndMixBackward(projections(p), eTensor(p), wT, dout);
    const h = projectCandidates(projections(p), eTensor(p));
    const mixGrads = weightedSumBackward(h, wT, dout);
    const b = projectCandidatesBackward(projections(p), eTensor(p), mixGrads.dh);
    expect(maxRelativeError(a.dw.toArray(), mixGrads.dw.toArray())).toBeLessThan(1e-4);
    expect(maxRelativeError(a.de.toArray(), b.de.toArray())).toBeLessThan(1e-5);
    expect(maxRelativeError(a.dweights.toArray(), b.dweights.toArray())).toBeLessThan(1e-4);
    expect(maxRelativeError(a.dbiases.toArray(), b.dbiases.toArray())).toBeLessThan(1e-4);
  });

  it("rejects inconsistent dims, widths and candidate counts with named errors", () => {
    const random = rng(testSeed("projection errors"));
    const p = randomProblem(random, 2, 2, 3, [1, 2], false);
    const proj = projections(p);
    const e = eTensor(p);
    const w = Tensor.from(p.w, { shape: [2, 2] });
    expect(() => projectAndMix({ ...proj, dims: [1, 3] }, e, w)).toThrow(/weights has 3 columns per output but the candidates \[1, 3\] need 4/);
    expect(() => projectAndMix({ ...proj, shared: true }, e, w)).toThrow("e has shape [2, 2, 3] but must have [2, 2, 2]");
    expect(() => projectAndMix(proj, e, Tensor.from(new Float32Array(6), { shape: [2, 3] })))
      .toThrow("w has shape [2, 3] but must have [2, 2]");
    expect(() => projectAndMix({ ...proj, dims: [2, 1], shared: true }, e, w)).toThrow(/strictly increasing/);
    expect(() => projectAndMix({ ...proj, dims: [0, 3] }, e, w)).toThrow("dims[0] = 0 must be a positive integer");
    expect(() => projectCandidates({ ...proj, biases: Tensor.from(new Float32Array(3)) }, e)).toThrow(/biases must have 3 dimensions|biases has shape/);
    expect(() => projectCandidates({ ...proj, shared: 1 as unknown as boolean }, e)).toThrow(TypeError);
    expect(() => projectCandidatesBackward(proj, e, Tensor.from(new Float32Array(3)))).toThrow(/dh has shape/);
  });
});

describe.runIf(hasCuda)("Gumbel mixture on CUDA", () => {
  it("draws exactly the CPU's Gumbel noise for the same seed and step", () => {
    const seed = testSeed("cuda noise");
    for (const step of [0, 1, 77777, 2 ** 32 - 1]) {
      const cpu = gumbelNoise(37, 11, { seed, step, device: "cpu" }).toArray();
      const cuda = gumbelNoise(37, 11, { seed, step, device: "cuda" }).toArray();
      expect(Array.from(cuda)).toEqual(Array.from(cpu));
    }
  });

  it("matches the CPU in every op", () => {
    const random = rng(testSeed("cuda mixture"));
    const logAlpha = randomFloats(random, 26 * 6);
    for (const mode of ["gumbel", "softmax", "hard"] as MixtureMode[]) {
      const [cpu, cuda] = (["cpu", "cuda"] as const).map((device) => {
        const { p, w } = mixtureWeights(Tensor.from(logAlpha, { shape: [26, 6], device }), { tau: 0.2, mode, seed: 5, step: 9 });
        return [p, w, mixtureWeightsBackward(p, w, 0.2)].map((t) => t.toArray());
      });
      cpu!.forEach((values, i) => expect(maxRelativeError(cuda![i]!, values)).toBeLessThan(1e-6));
    }
    for (const shared of [false, true]) {
      const p = randomProblem(random, 1000, 7, 16, [2, 4, 8, 16], shared);
      const dout = randomFloats(random, 1000 * 7 * 16);
      const results = (["cpu", "cuda"] as const).map((device) => {
        const proj = projections(p, device);
        const e = eTensor(p, device);
        const w = Tensor.from(p.w, { shape: [7, 4], device });
        const d = Tensor.from(dout, { shape: [1000, 7, 16], device });
        const h = projectCandidates(proj, e);
        const mixed = projectAndMixBackward(proj, e, w, d);
        const sum = weightedSumBackward(h, w, d);
        const projected = projectCandidatesBackward(proj, e, sum.dh);
        return [h, weightedSum(h, w), projectAndMix(proj, e, w), mixed.de, mixed.dweights, mixed.dbiases, mixed.dw,
                sum.dh, sum.dw, projected.de, projected.dweights, projected.dbiases].map((t) => t.toArray());
      });
      results[0]!.forEach((values, i) => expect(maxRelativeError(results[1]![i]!, values)).toBeLessThan(1e-4));
    }
  });
});
