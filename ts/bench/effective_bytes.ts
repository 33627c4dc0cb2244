/**
 * Effective bytes: what a kernel must move at the least, counted as FBGEMM's table-batched
 * embedding benchmarks do ("bytes of rows accessed"). A kernel's GB/s is these bytes over its
 * time, so it can be read against the copy bandwidth; indexing overhead (the 4-byte location
 * per id, sort scratch) is the kernel's cost and is deliberately not counted. All values are
 * float32 or int32, 4 bytes each; B = batch, U = distinct ids, d_max = the largest candidate.
 */
import type { BatchShape } from "./store_workload.js";

export type OptimizerType = "sgd" | "adam" | "adagrad";

const bytesPerValue = 4;

/** lookup: 4·B (ids read) + 4·Σ_b d(ids[b]) (rows read) + 4·B·d_max (output written, padding included). */
export function lookupBytes(shape: BatchShape, maxDim: number): number {
  return bytesPerValue * (shape.ids + shape.idRowFloats + shape.ids * maxDim);
}

/**
 * sparseGradient: 4·B (ids) + 4·Σ_b d(ids[b]) (the gradient entries inside each row's size, read)
 * + 4·U (unique ids written) + 4·U·d_max (summed gradients written, padded to d_max).
 */
export function sparseGradientBytes(shape: BatchShape, maxDim: number): number {
  return bytesPerValue * (shape.ids + shape.idRowFloats + shape.uniqueIds + shape.uniqueIds * maxDim);
}

/**
 * Fused backward + optimizer step: 4·B (ids) + 4·Σ_b d(ids[b]) (gradients read) and, per unique
 * row u, 2·4·d_u (weights read and written) plus its optimizer state read and written:
 * Adam 2·2·4·d_u (m and v), row-wise Adagrad 2·4 (one accumulator per row), SGD nothing.
 * The NaN check of checkFinite re-reads the gradients; it is not counted, so its cost shows as
 * a lower figure.
 */
export function stepBytes(shape: BatchShape, optimizer: OptimizerType): number {
  const stateFloats = optimizer === "adam" ? 2 * 2 * shape.uniqueRowFloats
    : optimizer === "adagrad" ? 2 * shape.uniqueIds
    : 0;
  return bytesPerValue * (shape.ids + shape.idRowFloats + 2 * shape.uniqueRowFloats + stateFloats);
}

/**
 * resize of `rows` rows from size d_from to d_to, weights only (an SGD store holds no optimizer
 * state): 4·2·rows (ids and new sizes read) and per row, the values it starts from read (init's
 * first d_to values when given, else the old row's first min(d_from, d_to)) and its new row written.
 */
export function resizeBytes(rows: number, fromSize: number, toSize: number, withInit: boolean): number {
  const readFloats = withInit ? toSize : Math.min(fromSize, toSize);
  return bytesPerValue * rows * (2 + readFloats + toSize);
}
