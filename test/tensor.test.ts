import { describe, expect, it } from "vitest";
import { Tensor } from "../ts/tensor.js";

describe("Tensor.empty", () => {
  it("has the shape, dtype and device asked for, and holds what is written to it", () => {
    for (const [dtype, shape] of [["float32", [500, 512]], ["int32", [3, 4]], ["float32", [0, 7]]] as const) {
      const tensor = Tensor.empty(dtype, shape);
      expect(tensor.dtype).toBe(dtype);
      expect(tensor.shape).toEqual(shape);
      expect(tensor.device).toBe("cpu");
      expect(tensor.size).toBe(shape[0] * shape[1]);
      const values = tensor.toArray();
      expect(values).toBeInstanceOf(dtype === "float32" ? Float32Array : Int32Array);
      expect(values.length).toBe(tensor.size);
      values.fill(3);
      expect(tensor.toArray().every((v) => v === 3)).toBe(true);
    }
  });

  it("is filled with NaN (int32: −1) under MIXDIM_FILL_UNINITIALIZED=nan, which CI sets for the ops' tests", () => {
    const large = Tensor.empty("float32", [64, 1024]).toArray();
    const ids = Tensor.empty("int32", [64, 1024]).toArray();
    if (process.env.MIXDIM_FILL_UNINITIALIZED === "nan") {
      expect(large.every(Number.isNaN)).toBe(true);
      expect(ids.every((v) => v === -1)).toBe(true);
    } else {
      expect(large.length).toBe(64 * 1024);
    }
  });

  it("rejects a bad shape or dtype by name", () => {
    expect(() => Tensor.empty("float32", [2, -1])).toThrow(/shape\[1\] = -1 must be a non-negative integer/);
    expect(() => Tensor.empty("float64" as "float32", [64, 1024])).toThrow(TypeError);
  });
});
