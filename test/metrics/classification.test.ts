import { describe, expect, it } from "vitest";
import {
  binaryAccuracy,
  crossEntropy,
  logLossFromLogits,
  logLossFromProbabilities,
  meanSquaredError,
  multiclassAccuracy,
  sigmoidMeanSquaredError,
} from "../../ts/metrics/classification.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const f32 = (values: number[]) => Float32Array.from(values);
const i32 = (values: number[]) => Int32Array.from(values);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function randomBits(random: () => number, n: number): Int32Array {
  return Int32Array.from({ length: n }, () => (random() < 0.4 ? 1 : 0));
}

describe("binaryAccuracy", () => {
  it("counts sigmoid(z) > 0.5, i.e. z > 0, with z = 0 predicting 0", () => {
    // predictions: 2 → 1, −1 → 0, 0 → 0, 0.5 → 1; labels 1, 0, 1, 0: right, right, wrong, wrong → 2/4
    expect(binaryAccuracy(f32([2, -1, 0, 0.5]), i32([1, 0, 1, 0]))).toBe(0.5);
    expect(binaryAccuracy(f32([Infinity, -Infinity]), new Uint8Array([1, 0]))).toBe(1);
  });

  it("matches a float64 count of sigmoid > 0.5 on random logits", () => {
    const random = rng(testSeed("binaryAccuracy"));
    const logits = randomFloats(random, 3001, 5);
    const labels = Float32Array.from(randomBits(random, 3001));
    let correct = 0;
    for (let i = 0; i < logits.length; ++i) if ((sigmoid(logits[i]!) > 0.5 ? 1 : 0) === labels[i]) ++correct;
    expect(binaryAccuracy(logits, labels)).toBe(correct / logits.length);
  });
});

describe("multiclassAccuracy", () => {
  it("takes the argmax, ties going to the lowest class", () => {
    // rows: [1,3,2] → 1, [5,5,0] → 0 (tie), [0,0,1] → 2; labels 1, 1, 2: right, wrong, right → 2/3
    expect(multiclassAccuracy(f32([1, 3, 2, 5, 5, 0, 0, 0, 1]), i32([1, 1, 2]), 3)).toBeCloseTo(2 / 3, 15);
  });

  it("matches a float64 argmax on random logits, batch 1 included", () => {
    const random = rng(testSeed("multiclassAccuracy"));
    for (const n of [1, 777]) {
      const logits = randomFloats(random, n * 5, 3);
      const labels = Int32Array.from({ length: n }, () => randomInt(random, 0, 5));
      let correct = 0;
      for (let i = 0; i < n; ++i) {
        const row = Array.from(logits.subarray(i * 5, i * 5 + 5));
        if (row.indexOf(Math.max(...row)) === labels[i]) ++correct;
      }
      expect(multiclassAccuracy(logits, labels, 5)).toBe(correct / n);
    }
  });
});

describe("meanSquaredError and sigmoidMeanSquaredError", () => {
  it("meanSquaredError of a hand example", () => {
    // (1−1)² + (2−0)² + (3−5)² = 0 + 4 + 4 = 8, over 3
    expect(meanSquaredError(f32([1, 2, 3]), f32([1, 0, 5]))).toBeCloseTo(8 / 3, 15);
  });

  it("sigmoidMeanSquaredError of a hand example", () => {
    // σ(0) = 1/2 → (1/2 − 1)² = 1/4; σ(−ln 3) = 1/4 → (1/4 − 0)² = 1/16; mean = (1/4 + 1/16)/2 = 5/32
    expect(sigmoidMeanSquaredError(f32([0, -Math.log(3)]), i32([1, 0]))).toBeCloseTo(5 / 32, 7);
    // saturated logits: σ(±1000) is exactly 1 or 0
    expect(sigmoidMeanSquaredError(f32([1000, -1000]), i32([1, 1]))).toBe(0.5);
  });

  it("both match float64 definitions on random inputs", () => {
    const random = rng(testSeed("mse"));
    const p = randomFloats(random, 2000, 4);
    const t = randomFloats(random, 2000, 4);
    const labels = randomBits(random, 2000);
    let mse = 0;
    let smse = 0;
    for (let i = 0; i < 2000; ++i) {
      mse += (p[i]! - t[i]!) ** 2;
      smse += (sigmoid(p[i]!) - labels[i]!) ** 2;
    }
    expect(meanSquaredError(p, t)).toBeCloseTo(mse / 2000, 12);
    expect(sigmoidMeanSquaredError(p, labels)).toBeCloseTo(smse / 2000, 12);
  });
});

describe("crossEntropy", () => {
  it("of a hand example", () => {
    // row [0,0,0], label 2: −log(1/3) = ln 3
    // row [2,0,0], label 0: −log(e²/(e² + 2)) = ln(e² + 2) − 2
    const expected = (Math.log(3) + Math.log(Math.exp(2) + 2) - 2) / 2;
    expect(crossEntropy(f32([0, 0, 0, 2, 0, 0]), i32([2, 0]), 3)).toBeCloseTo(expected, 14);
  });

  it("is stable for large logits", () => {
    // [1000, 0], label 1: log(e^1000 + 1) − 0 = 1000 (+ e^−1000); label 0: log(1 + e^−1000) ≈ 0
    expect(crossEntropy(f32([1000, 0, 1000, 0]), i32([1, 0]), 2)).toBeCloseTo(500, 10);
  });

  it("matches log-softmax in float64 on random logits", () => {
    const random = rng(testSeed("crossEntropy"));
    const n = 500;
    const logits = randomFloats(random, n * 5, 6);
    const labels = Int32Array.from({ length: n }, () => randomInt(random, 0, 5));
    let sum = 0;
    for (let i = 0; i < n; ++i) {
      let z = 0;
      for (let k = 0; k < 5; ++k) z += Math.exp(logits[i * 5 + k]!);
      sum += -Math.log(Math.exp(logits[i * 5 + labels[i]!]!) / z);
    }
    expect(crossEntropy(logits, labels, 5)).toBeCloseTo(sum / n, 12);
  });
});

describe("log loss", () => {
  it("from logits, a hand example", () => {
    // z = 0, y = 1: −log σ(0) = ln 2; z = 100, y = 0: −log(1 − σ(100)) = 100 + log(1 + e^−100) ≈ 100
    expect(logLossFromLogits(f32([0, 100]), i32([1, 0]))).toBeCloseTo((Math.LN2 + 100) / 2, 12);
    // confident and right costs ≈ 0 without log(0)
    expect(logLossFromLogits(f32([-100, 100]), i32([0, 1]))).toBeLessThan(1e-40);
  });

  it("from probabilities, a hand example, with the clamp", () => {
    // p = 1/2, y = 1: ln 2; p = 1/4, y = 0: −ln(3/4)
    expect(logLossFromProbabilities(f32([0.5, 0.25]), i32([1, 0]))).toBeCloseTo((Math.LN2 - Math.log(0.75)) / 2, 7);
    // p = 0, y = 1: clamped to ε = 1e-7, cost −ln 1e-7
    expect(logLossFromProbabilities(f32([0]), i32([1]))).toBeCloseTo(-Math.log(1e-7), 9);
  });

  it("both match binary cross-entropy in float64 on random inputs", () => {
    const random = rng(testSeed("logLoss"));
    const z = randomFloats(random, 2000, 8);
    const labels = randomBits(random, 2000);
    const p = z.map(sigmoid);
    let fromLogits = 0;
    let fromProbabilities = 0;
    for (let i = 0; i < 2000; ++i) {
      const s = sigmoid(z[i]!);
      fromLogits -= labels[i] ? Math.log(s) : Math.log(1 - s);
      fromProbabilities -= labels[i] ? Math.log(p[i]!) : Math.log(1 - p[i]!);
    }
    expect(logLossFromLogits(z, labels)).toBeCloseTo(fromLogits / 2000, 10);
    expect(logLossFromProbabilities(p, labels)).toBeCloseTo(fromProbabilities / 2000, 10);
  });
});

describe("bad inputs", () => {
  it("name the argument and the element", () => {
    expect(() => binaryAccuracy(f32([1, 2]), i32([1]))).toThrow(new RangeError("logits has length 2 but labels has length 1; they must match"));
    expect(() => binaryAccuracy(f32([]), i32([]))).toThrow(RangeError);
    expect(() => binaryAccuracy(f32([]), i32([]))).toThrow("logits is empty");
    expect(() => binaryAccuracy(f32([1, NaN]), i32([1, 0]))).toThrow("logits[1] = NaN is not a number");
    expect(() => binaryAccuracy(f32([1]), f32([0.5]))).toThrow("labels[0] = 0.5 is not 0 or 1");
    expect(() => binaryAccuracy(f32([1]), i32([2]))).toThrow(RangeError);
    expect(() => binaryAccuracy([1] as unknown as Float32Array, i32([1]))).toThrow(TypeError);
    expect(() => binaryAccuracy(f32([1]), [1] as unknown as Int32Array)).toThrow(TypeError);
    expect(() => multiclassAccuracy(f32([1, 2, 3]), i32([3]), 3)).toThrow("labels[0] = 3 is out of range [0, 3)");
    expect(() => multiclassAccuracy(f32([1, 2, 3]), i32([-1]), 3)).toThrow(RangeError);
    expect(() => multiclassAccuracy(f32([1, 2, 3]), i32([0, 1]), 3)).toThrow("logits has length 3 but must be labels.length × classes");
    expect(() => multiclassAccuracy(f32([1, 2, 3]), i32([0]), 0)).toThrow("classes must be an integer ≥ 1, got 0");
    expect(() => multiclassAccuracy(f32([]), i32([]), 3)).toThrow("labels is empty");
    expect(() => multiclassAccuracy(f32([1, 2, 3]), f32([0]) as unknown as Int32Array, 3)).toThrow(TypeError);
    expect(() => meanSquaredError(f32([1]), f32([NaN]))).toThrow("targets[0] = NaN");
    expect(() => sigmoidMeanSquaredError(f32([1]), i32([1, 0]))).toThrow(RangeError);
    expect(() => crossEntropy(f32([Infinity, 0]), i32([0]), 2)).toThrow("logits[0] = Infinity is not finite");
    expect(() => logLossFromLogits(f32([-Infinity]), i32([0]))).toThrow("logits[0] = -Infinity is not finite");
    expect(() => logLossFromProbabilities(f32([1.5]), i32([0]))).toThrow("probabilities[0] = 1.5 is not in [0, 1]");
    expect(() => logLossFromProbabilities(f32([0.5]), i32([0]), 0)).toThrow("epsilon must be in (0, 0.5)");
  });
});
