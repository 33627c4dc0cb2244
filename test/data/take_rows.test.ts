import { describe, expect, it } from "vitest";
import { takeMatrixRows, takeRows } from "../../ts/data/take_rows.js";

describe("takeRows", () => {
  it("picks a column's rows in the batch's order, repeats included, keeping the column's type", () => {
    const rows = Int32Array.of(3, 0, 3, 1);
    const ids = takeRows(Int32Array.of(10, 11, 12, 13), rows);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([13, 10, 13, 11]);
    const ratings = takeRows(Float32Array.of(0.5, 1.5, 2.5, 3.5), rows);
    expect(ratings).toBeInstanceOf(Float32Array);
    expect(Array.from(ratings)).toEqual([3.5, 0.5, 3.5, 1.5]);
    expect(takeRows(Float64Array.of(1e300, 2), Int32Array.of(0))).toEqual(Float64Array.of(1e300));
  });

  it("picks a matrix's rows, all columns or a block of them", () => {
    const matrix = Float32Array.from({ length: 12 }, (_, i) => i);  // 4 rows × 3 columns
    expect(Array.from(takeMatrixRows(matrix, 3, Int32Array.of(2, 0, 2)))).toEqual([6, 7, 8, 0, 1, 2, 6, 7, 8]);
    expect(Array.from(takeMatrixRows(matrix, 3, Int32Array.of(3, 1), 1, 2))).toEqual([10, 11, 4, 5]);
  });
});
