import { describe, expect, it } from "vitest";
import { backend, Tensor } from "mixdim";
import {
  chainBackward, chainForward, chainForwardStepwise, chainLayout, chainLink, type ChainParameters, precomposeChain,
} from "../../ts/ops/projection_chain.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const esapnDims = [2, 4, 8, 16, 64, 128];
const hasCuda = backend().cudaDevices.length > 0;

interface Case {
  dims: number[];
  weights: Float32Array;
  biases: Float32Array;
  rows: Float32Array;
  sizes: Int32Array;
  width: number;
}

/** Random links, and rows of every size (zero beyond each row's size, as the store pads them). */
function randomCase(random: () => number, dims: number[], batch: number, extraWidth = 0): Case {
  const layout = chainLayout(dims);
  const full = dims[dims.length - 1]!;
  const width = full + extraWidth;
  // Links scaled by 1/√d_k keep the chain's output O(1) across six links.
  const weights = new Float32Array(layout.weightCount);
  for (let k = 0; k + 1 < dims.length; ++k) {
    const block = randomFloats(random, dims[k + 1]! * dims[k]!, 1.5 / Math.sqrt(dims[k]!));
    weights.set(block, layout.weightOffsets[k]!);
  }
  const biases = randomFloats(random, layout.biasCount, 0.5);
  const sizes = new Int32Array(batch);
  const rows = new Float32Array(batch * width);
  for (let b = 0; b < batch; ++b) {
    const size = b < dims.length ? dims[b]! : dims[randomInt(random, 0, dims.length)]!;
    sizes[b] = size;
    rows.set(randomFloats(random, size), b * width);
  }
  return { dims, weights, biases, rows, sizes, width };
}

function parameters(c: Case, device: "cpu" | "cuda" = "cpu"): ChainParameters {
  return { dims: c.dims, weights: Tensor.from(c.weights, { device }), biases: Tensor.from(c.biases, { device }) };
}

/** x_{j+1} = W_j x_j + b_j in float64 from a row's own size up to d_{n−1}. */
function referenceRow(dims: number[], weights: ArrayLike<number>, biases: ArrayLike<number>, row: ArrayLike<number>,
                      size: number): number[] {
  const layout = chainLayout(dims);
  let x = Array.from({ length: size }, (_, i) => row[i]!);
  for (let j = dims.indexOf(size); j + 1 < dims.length; ++j) {
    const din = dims[j]!;
    const dout = dims[j + 1]!;
    const next = new Array<number>(dout).fill(0);
    for (let r = 0; r < dout; ++r) {
      let total = biases[layout.biasOffsets[j]! + r]!;
      for (let c = 0; c < din; ++c) total += weights[layout.weightOffsets[j]! + r * din + c]! * x[c]!;
      next[r] = total;
    }
    x = next;
  }
  return x;
}

function referenceForward(c: Case, weights: ArrayLike<number> = c.weights, biases: ArrayLike<number> = c.biases,
                          rows: ArrayLike<number> = c.rows): number[] {
  const out: number[] = [];
  for (let b = 0; b < c.sizes.length; ++b) {
    out.push(...referenceRow(c.dims, weights, biases, Array.from({ length: c.width }, (_, i) => rows[b * c.width + i]!),
                             c.sizes[b]!));
  }
  return out;
}

/** Backpropagation row by row in float64, link by link: an independent reference for the gradients. */
function referenceBackward(c: Case, dout: Float32Array): { drows: number[]; dweights: number[]; dbiases: number[] } {
  const layout = chainLayout(c.dims);
  const full = c.dims[c.dims.length - 1]!;
  const drows = new Array<number>(c.rows.length).fill(0);
  const dweights = new Array<number>(layout.weightCount).fill(0);
  const dbiases = new Array<number>(layout.biasCount).fill(0);
  for (let b = 0; b < c.sizes.length; ++b) {
    const start = c.dims.indexOf(c.sizes[b]!);
    const xs: number[][] = [Array.from({ length: c.sizes[b]! }, (_, i) => c.rows[b * c.width + i]!)];
    for (let j = start; j + 1 < c.dims.length; ++j) {
      const x = xs[xs.length - 1]!;
      const din = c.dims[j]!;
      xs.push(Array.from({ length: c.dims[j + 1]! }, (_, r) => {
        let total = c.biases[layout.biasOffsets[j]! + r]!;
        for (let col = 0; col < din; ++col) total += c.weights[layout.weightOffsets[j]! + r * din + col]! * x[col]!;
        return total;
      }));
    }
    let delta = Array.from({ length: full }, (_, i) => dout[b * full + i]!);
    for (let j = c.dims.length - 2; j >= start; --j) {
      const x = xs[j - start]!;
      const din = c.dims[j]!;
      const back = new Array<number>(din).fill(0);
      delta.forEach((d, r) => {
        dbiases[layout.biasOffsets[j]! + r]! += d;
        for (let col = 0; col < din; ++col) {
          dweights[layout.weightOffsets[j]! + r * din + col]! += d * x[col]!;
          back[col]! += c.weights[layout.weightOffsets[j]! + r * din + col]! * d;
        }
      });
      delta = back;
    }
    delta.forEach((d, i) => { drows[b * c.width + i] = d; });
  }
  return { drows, dweights, dbiases };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; ++i) total += a[i]! * b[i]!;
  return total;
}

/** Central differences of L = ⟨dout, forward⟩ in float64 with respect to every entry of `values`. */
function finiteDifferences(values: ArrayLike<number>, loss: (perturbed: Float64Array) => number): number[] {
  const h = 1e-3;
  const base = Float64Array.from(values);
  return Array.from(base, (_, i) => {
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i]! += h;
    minus[i]! -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

describe("projection chain", () => {
  it("precomposed forward matches the float64 chain for rows of every size, padded wider than d_n", () => {
    const random = rng(testSeed("chain forward"));
    const c = randomCase(random, esapnDims, 97, 3);
    const chain = parameters(c);
    const out = chainForward(precomposeChain(chain), Tensor.from(c.rows, { shape: [97, c.width] }), c.sizes);
    expect(out.shape).toEqual([97, 128]);
    expect(maxRelativeError(out.toArray(), referenceForward(c))).toBeLessThan(2e-5);
    const into = Tensor.from(new Float32Array(97 * 128).fill(Number.NaN), { shape: [97, 128] });
    expect(chainForward(precomposeChain(chain), Tensor.from(c.rows, { shape: [97, c.width] }), c.sizes, { out: into }))
      .toBe(into);
    expect(Array.from(into.toArray())).toEqual(Array.from(out.toArray()));
    expect(() => chainForward(precomposeChain(chain), Tensor.from(c.rows, { shape: [97, c.width] }), c.sizes,
                              { out: Tensor.zeros("float32", [97, 64]) })).toThrow("out has shape [97, 64] but must have [97, 128]");
  });

  it("step-by-step forward matches the float64 chain", () => {
    const random = rng(testSeed("chain stepwise"));
    const c = randomCase(random, esapnDims, 61);
    const out = chainForwardStepwise(parameters(c), Tensor.from(c.rows, { shape: [61, c.width] }), c.sizes);
    expect(maxRelativeError(out.toArray(), referenceForward(c))).toBeLessThan(2e-5);
  });

  it("handles batch 1, a single candidate, and an empty batch", () => {
    const random = rng(testSeed("chain edges"));
    const c = randomCase(random, [2, 4, 8], 1);
    c.sizes[0] = 2;
    const chain = parameters(c);
    const rows = Tensor.from(c.rows, { shape: [1, c.width] });
    expect(maxRelativeError(chainForward(precomposeChain(chain), rows, c.sizes).toArray(), referenceForward(c)))
      .toBeLessThan(1e-5);
    const single = randomCase(random, [5], 4);
    const singleChain = parameters(single);
    const singleRows = Tensor.from(single.rows, { shape: [4, 5] });
    expect(Array.from(chainForward(precomposeChain(singleChain), singleRows, single.sizes).toArray()))
      .toEqual(Array.from(single.rows));
    const dout = randomFloats(random, 20);
    const grads = chainBackward(singleChain, precomposeChain(singleChain), singleRows, single.sizes,
                                Tensor.from(dout, { shape: [4, 5] }));
    expect(Array.from(grads.drows.toArray())).toEqual(Array.from(dout));
    expect(grads.dweights.size).toBe(0);
    const empty = chainForward(precomposeChain(chain), Tensor.from(new Float32Array(0), { shape: [0, 8] }),
                               new Int32Array(0));
    expect(empty.shape).toEqual([0, 8]);
  });

  it("enlarging a row by one link keeps the chain's output unchanged", () => {
    const random = rng(testSeed("chain link"));
    const c = randomCase(random, esapnDims, 40);
    const chain = parameters(c);
    const rows = Tensor.from(c.rows, { shape: [40, c.width] });
    const linked = chainLink(chain, rows, c.sizes);
    const grown = Int32Array.from(c.sizes, (s) => esapnDims[Math.min(esapnDims.indexOf(s) + 1, esapnDims.length - 1)]!);
    const values = linked.toArray();
    // Each linked row is W_k e + b_k at d_{k+1}, zero beyond.
    for (let b = 0; b < 40; ++b) {
      const k = esapnDims.indexOf(c.sizes[b]!);
      const expected = k + 1 === esapnDims.length
        ? Array.from(c.rows.subarray(b * c.width, (b + 1) * c.width))
        : [...referenceRow(esapnDims.slice(0, k + 2), c.weights, c.biases, c.rows.subarray(b * c.width), c.sizes[b]!),
           ...new Array<number>(c.width - grown[b]!).fill(0)];
      expect(maxRelativeError(values.subarray(b * c.width, (b + 1) * c.width), expected)).toBeLessThan(1e-5);
    }
    const precomposed = precomposeChain(chain);
    expect(maxRelativeError(chainForward(precomposed, linked, grown).toArray(),
                            chainForward(precomposed, rows, c.sizes).toArray())).toBeLessThan(2e-5);
  });

  it("backward matches finite differences for the rows, every link and every bias", () => {
    const random = rng(testSeed("chain backward fd"));
    const c = randomCase(random, [2, 3, 5, 8], 9, 2);
    const full = 8;
    const dout = randomFloats(random, 9 * full);
    const chain = parameters(c);
    const rows = Tensor.from(c.rows, { shape: [9, c.width] });
    const grads = chainBackward(chain, precomposeChain(chain), rows, c.sizes, Tensor.from(dout, { shape: [9, full] }));
    const dweights = finiteDifferences(c.weights, (w) => dot(dout, referenceForward(c, w)));
    const dbiases = finiteDifferences(c.biases, (bias) => dot(dout, referenceForward(c, c.weights, bias)));
    const drows = finiteDifferences(c.rows, (r) => dot(dout, referenceForward(c, c.weights, c.biases, r)));
    // Entries beyond a row's size do not reach the output: their gradient is 0 either way.
    expect(maxRelativeError(grads.dweights.toArray(), dweights)).toBeLessThan(1e-4);
    expect(maxRelativeError(grads.dbiases.toArray(), dbiases)).toBeLessThan(1e-4);
    expect(maxRelativeError(grads.drows.toArray(), drows)).toBeLessThan(1e-4);
  });

  it("backward over the ESAPN sizes matches row-by-row backpropagation in float64", () => {
    const random = rng(testSeed("chain backward esapn"));
    for (const batch of [1, 150]) {
      const c = randomCase(random, esapnDims, batch);
      const dout = randomFloats(random, batch * 128);
      const chain = parameters(c);
      const grads = chainBackward(chain, precomposeChain(chain), Tensor.from(c.rows, { shape: [batch, c.width] }),
                                  c.sizes, Tensor.from(dout, { shape: [batch, 128] }));
      const expected = referenceBackward(c, dout);
      expect(maxRelativeError(grads.drows.toArray(), expected.drows)).toBeLessThan(2e-5);
      expect(maxRelativeError(grads.dweights.toArray(), expected.dweights)).toBeLessThan(2e-5);
      expect(maxRelativeError(grads.dbiases.toArray(), expected.dbiases)).toBeLessThan(2e-5);
    }
  });

  it("rejects bad dims, sizes, shapes and types with errors that name them", () => {
    const random = rng(testSeed("chain errors"));
    const c = randomCase(random, [2, 4, 8], 3);
    const chain = parameters(c);
    const precomposed = precomposeChain(chain);
    const rows = Tensor.from(c.rows, { shape: [3, 8] });
    expect(() => chainLayout([4, 2])).toThrow(RangeError);
    expect(() => chainLayout([4, 2])).toThrow(/dims/);
    expect(() => chainLayout([])).toThrow(/dims must hold 1 to 64/);
    expect(() => precomposeChain({ ...chain, weights: Tensor.from(new Float32Array(3)) }))
      .toThrow("weights has shape [3] but must have [40]");
    expect(() => precomposeChain({ ...chain, biases: Tensor.from(new Int32Array(12)) as unknown as Tensor<"float32"> }))
      .toThrow(TypeError);
    expect(() => chainForward(precomposed, rows, Int32Array.from([2, 5, 8]))).toThrow(RangeError);
    expect(() => chainForward(precomposed, rows, Int32Array.from([2, 5, 8])))
      .toThrow("sizes[1] = 5 is not one of the candidate sizes [2, 4, 8]");
    expect(() => chainForward(precomposed, rows, Int32Array.from([2, 4]))).toThrow("sizes has length 2 but rows has 3 rows");
    expect(() => chainForward(precomposed, rows, [2, 4, 8] as unknown as Int32Array)).toThrow(TypeError);
    expect(() => chainForward(precomposed, Tensor.from(new Float32Array(12), { shape: [3, 4] }), c.sizes))
      .toThrow("rows has width 4 but must be at least dims[n−1] = 8");
    expect(() => chainForward({ ...precomposed, dims: [2, 4, 16] }, rows, c.sizes)).toThrow(RangeError);
    expect(() => chainBackward(chain, precomposed, rows, c.sizes, Tensor.from(new Float32Array(8), { shape: [1, 8] })))
      .toThrow("dout has shape [1, 8] but must have [3, 8]");
  });
});

describe.runIf(hasCuda)("projection chain on CUDA", () => {
  it("matches the CPU in every op", () => {
    const random = rng(testSeed("chain cuda"));
    const c = randomCase(random, esapnDims, 333, 1);
    const dout = randomFloats(random, 333 * 128);
    const results = (["cpu", "cuda"] as const).map((device) => {
      const chain = parameters(c, device);
      const rows = Tensor.from(c.rows, { shape: [333, c.width], device });
      const precomposed = precomposeChain(chain);
      const grads = chainBackward(chain, precomposed, rows, c.sizes, Tensor.from(dout, { shape: [333, 128], device }));
      return [precomposed.matrices, precomposed.offsets, chainForward(precomposed, rows, c.sizes),
              chainForwardStepwise(chain, rows, c.sizes), chainLink(chain, rows, c.sizes), grads.drows,
              grads.dweights, grads.dbiases].map((t) => Array.from(t.toArray()));
    });
    results[0]!.forEach((cpu, i) => expect(maxRelativeError(results[1]![i]!, cpu)).toBeLessThan(1e-5));
  });
});
