import { describe, expect, it } from "vitest";
import { backend } from "../../ts/backend.js";
import { native } from "../../ts/native.js";
import {
  concatFeatures, concatFeaturesBackward, sliceFeatures, sliceFeaturesBackward,
} from "../../ts/ops/feature_concat.js";
import { Tensor } from "../../ts/tensor.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

/** Column j of the concatenation of row-major parts [rows, widths[i]]. */
function referenceConcat(parts: Float32Array[], widths: number[], rows: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; ++r) parts.forEach((part, i) => out.push(...part.subarray(r * widths[i]!, (r + 1) * widths[i]!)));
  return out;
}

describe("concatFeatures and sliceFeatures", () => {
  it("concatenates along columns and slices each part back out", () => {
    const random = rng(testSeed("feature concat"));
    for (const rows of [1, 0, 37]) {
      const widths = [randomInt(random, 1, 9), 0, randomInt(random, 1, 40), 1];
      const parts = widths.map((w) => randomFloats(random, rows * w));
      const out = concatFeatures(parts.map((p, i) => Tensor.from(p, { shape: [rows, widths[i]!] })));
      const total = widths.reduce((s, w) => s + w, 0);
      expect(out.shape).toEqual([rows, total]);
      expect(Array.from(out.toArray())).toEqual(referenceConcat(parts, widths, rows));
      let start = 0;
      widths.forEach((w, i) => {
        expect(sliceFeatures(out, start, w).toArray()).toEqual(parts[i]);
        start += w;
      });
    }
  });

  it("the backward of concat is a slice per input; the backward of slice is a concat with zeros", () => {
    const random = rng(testSeed("feature concat backward"));
    const rows = 6;
    const widths = [3, 5, 2];
    const dy = randomFloats(random, rows * 10);
    const grads = concatFeaturesBackward(Tensor.from(dy, { shape: [rows, 10] }), widths);
    // L = Σ concat(xs) ⊙ dy is linear, so dL/dxs[i] is exactly dy's columns of part i.
    expect(Array.from(concatFeatures(grads).toArray())).toEqual(Array.from(dy));
    expect(grads.map((g) => g.shape)).toEqual([[rows, 3], [rows, 5], [rows, 2]]);

    const dSlice = randomFloats(random, rows * 4);
    const dx = sliceFeaturesBackward(Tensor.from(dSlice, { shape: [rows, 4] }), 10, 3);
    const zeros = (w: number) => new Float32Array(rows * w);
    expect(Array.from(dx.toArray())).toEqual(referenceConcat([zeros(3), dSlice, zeros(3)], [3, 4, 3], rows));
    // Finite differences of L = Σ slice(x, 3, 4) ⊙ dSlice: perturbing x[r, j] moves L by dSlice[r, j − 3] or not at all.
    const x = randomFloats(random, rows * 10);
    const loss = (v: Float32Array) => {
      const y = sliceFeatures(Tensor.from(v, { shape: [rows, 10] }), 3, 4).toArray();
      return y.reduce((s, yi, i) => s + yi * dSlice[i]!, 0);
    };
    for (const i of [0, 4, 13, 59]) {
      const up = Float32Array.from(x); up[i] = x[i]! + 0.5;
      const down = Float32Array.from(x); down[i] = x[i]! - 0.5;
      expect((loss(up) - loss(down)) / (up[i]! - down[i]!)).toBeCloseTo(dx.toArray()[i]!, 5);
    }
  });

  it("rejects bad inputs, naming the argument", () => {
    const x = Tensor.zeros("float32", [2, 3]);
    expect(() => concatFeatures([])).toThrow(new RangeError("xs must hold at least one tensor"));
    expect(() => concatFeatures(x as unknown as Tensor<"float32">[])).toThrow(TypeError);
    expect(() => concatFeatures([x, Tensor.zeros("float32", [3, 3])])).toThrow("xs[1] has shape [3, 3] but xs[0] has 2 rows");
    expect(() => concatFeatures([x, Tensor.zeros("float32", [6])])).toThrow("xs[1] must have 2 dimensions, got shape [6]");
    expect(() => concatFeatures([x, Tensor.zeros("int32", [2, 1]) as unknown as Tensor<"float32">])).toThrow("xs[1] must be a float32 tensor, got int32");
    expect(() => sliceFeatures(x, 2, 2)).toThrow(new RangeError("start + width = 2 + 2 exceeds x's 3 columns"));
    expect(() => sliceFeatures(x, -1, 1)).toThrow("start must be a non-negative integer, got -1");
    expect(() => sliceFeatures(x, 0, 1.5)).toThrow("width must be a non-negative integer, got 1.5");
    expect(() => sliceFeatures(x, "0" as unknown as number, 1)).toThrow(TypeError);
    expect(() => concatFeaturesBackward(x, [1, 1])).toThrow("widths sum to 2 but dy has shape [2, 3]");
    expect(() => sliceFeaturesBackward(x, 4, 2)).toThrow("start + dy's width = 2 + 3 exceeds columns = 4");
    const addon = native;
    const buffer = new Float32Array(6);
    expect(() => addon.featureCopy(buffer, 3, 0, new Float32Array(4), 2, 0, 2, 3)).toThrow("dstStart + width = 0 + 3 exceeds dstColumns = 2");
    expect(() => addon.featureCopy(buffer, 3, 0, new Float32Array(5), 2, 0, 2, 1)).toThrow("dst has length 5 but must have rows × dstColumns = 2 × 2");
    expect(() => addon.featureCopy(buffer.subarray(0, 4), 2, 0, buffer.subarray(2), 2, 0, 2, 2)).toThrow("dst overlaps src");
  });
});

describe.runIf(backend().cudaDevices.length > 0)("feature concat on CUDA", () => {
  it("matches the CPU in both directions", () => {
    const random = rng(testSeed("feature concat cuda"));
    const rows = 1000;
    const parts = [7, 64, 1].map((w) => Tensor.from(randomFloats(random, rows * w), { shape: [rows, w] }));
    const cpu = concatFeatures(parts);
    const gpu = concatFeatures(parts.map((p) => p.to("cuda")));
    expect(gpu.device).toBe("cuda");
    expect(gpu.toArray()).toEqual(cpu.toArray());
    expect(sliceFeatures(gpu, 5, 60).toArray()).toEqual(sliceFeatures(cpu, 5, 60).toArray());
    expect(sliceFeaturesBackward(sliceFeatures(gpu, 5, 60), 72, 5).toArray())
      .toEqual(sliceFeaturesBackward(sliceFeatures(cpu, 5, 60), 72, 5).toArray());
    expect(() => concatFeatures([parts[0]!, parts[1]!.to("cuda")])).toThrow(TypeError);
  });
});
