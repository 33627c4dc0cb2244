/**
 * A batch's values of a dataset column: out[b] = column[rows[b]], in a new typed array of the
 * column's type. A plain loop: `Int32Array.from(rows, (r) => column[r])` costs ~15× as much
 * (V8 runs the mapping callback through its generic path), ~40 µs for a batch of 500.
 *
 * @example
 * const users = takeRows(data.users, batchRows);   // Int32Array of the batch's user ids
 */
export function takeRows<T extends Int32Array | Float32Array | Float64Array>(column: T, rows: Int32Array): T {
  const out = new (column.constructor as new (length: number) => T)(rows.length);
  for (let b = 0; b < rows.length; ++b) out[b] = column[rows[b]!]!;
  return out;
}

/**
 * Rows `rows` of a row-major matrix of `columns` columns, and of those only the columns
 * [start, start + width): a new [rows.length, width] array.
 */
export function takeMatrixRows(values: Float32Array, columns: number, rows: Int32Array, start = 0,
                               width = columns - start): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; ++r) {
    const from = rows[r]! * columns + start;
    out.set(values.subarray(from, from + width), r * width);
  }
  return out;
}
