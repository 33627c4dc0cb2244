import { describe, expect, it } from "vitest";

import { binaryLabels, fiveClassLabels } from "../../ts/data/labels.js";

const halfStars = Float32Array.from({ length: 10 }, (_, k) => (k + 1) / 2);

describe("labels", () => {
  it("binary: 1 exactly for ratings above 3.5 (4, 4.5 and 5)", () => {
    expect(Array.from(binaryLabels(halfStars))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(binaryLabels(halfStars)).toBeInstanceOf(Float32Array);
    expect(Array.from(binaryLabels([1, 2, 3, 4, 5], 2.5))).toEqual([0, 0, 1, 1, 1]);
  });

  it("5-class: floor(rating − 0.5), so {0.5, 1} → 0, {1.5, 2} → 1, …, {4.5, 5} → 4", () => {
    expect(Array.from(fiveClassLabels(halfStars))).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect(Array.from(fiveClassLabels([1, 2, 3, 4, 5]))).toEqual([0, 1, 2, 3, 4]);
  });

  it("5-class: clamps ratings off the scale into 0..4", () => {
    expect(Array.from(fiveClassLabels([0, -3, 5.5, 10]))).toEqual([0, 0, 4, 4]);
  });

  it("handles no ratings", () => {
    expect(binaryLabels(new Float32Array(0)).length).toBe(0);
    expect(fiveClassLabels(new Float32Array(0)).length).toBe(0);
  });
});
