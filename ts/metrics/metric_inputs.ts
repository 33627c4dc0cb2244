/**
 * The checks every metric makes on its inputs before it reads them: array types, matching
 * lengths, no NaN, labels in range. Errors name the argument and, for a bad element, its
 * index and value (`labels[17] = 0.5 is not 0 or 1`). The metrics' inner loops then trust
 * their inputs.
 * @internal
 */
import { describe } from "../describe_value.js";

export { describe };

/** Binary labels: every element exactly 0 or 1. */
export type BinaryLabels = Float32Array | Int32Array | Uint8Array;

export function checkFloat32(value: unknown, argument: string): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${argument} must be a Float32Array, got ${describe(value)}`);
  }
  return value;
}

export function checkInt32(value: unknown, argument: string): Int32Array {
  if (!(value instanceof Int32Array)) {
    throw new TypeError(`${argument} must be an Int32Array, got ${describe(value)}`);
  }
  return value;
}

export function checkNonEmpty(length: number, argument: string, metric: string): void {
  if (length === 0) throw new RangeError(`${argument} is empty: ${metric} of no samples is undefined`);
}

export function checkSameLength(a: ArrayLike<number>, aName: string, b: ArrayLike<number>, bName: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${aName} has length ${a.length} but ${bName} has length ${b.length}; they must match`);
  }
}

/** Rejects NaN (and, with `finite`, ±Infinity) anywhere in `values`. */
export function checkNumbers(values: Float32Array, argument: string, finite: boolean): void {
  for (let i = 0; i < values.length; ++i) {
    const v = values[i]!;
    if (finite ? !Number.isFinite(v) : v !== v) {
      throw new RangeError(`${argument}[${i}] = ${v} is not ${finite ? "finite" : "a number"}`);
    }
  }
}

export function checkBinaryLabels(value: unknown, argument: string): BinaryLabels {
  if (!(value instanceof Float32Array || value instanceof Int32Array || value instanceof Uint8Array)) {
    throw new TypeError(`${argument} must be a Float32Array, Int32Array or Uint8Array of 0s and 1s, got ${describe(value)}`);
  }
  for (let i = 0; i < value.length; ++i) {
    const y = value[i]!;
    if (y !== 0 && y !== 1) throw new RangeError(`${argument}[${i}] = ${y} is not 0 or 1`);
  }
  return value;
}

/** An integer class count K ≥ 1. */
export function checkClasses(value: unknown, argument: string): number {
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${argument} must be an integer ≥ 1, got ${value}`);
  return value;
}

/** Class labels in [0, classes). */
export function checkClassLabels(value: unknown, argument: string, classes: number): Int32Array {
  const labels = checkInt32(value, argument);
  for (let i = 0; i < labels.length; ++i) {
    const y = labels[i]!;
    if (y < 0 || y >= classes) throw new RangeError(`${argument}[${i}] = ${y} is out of range [0, ${classes})`);
  }
  return labels;
}

/** A row-major [N, classes] logit block for N labels. */
export function checkLogitBlock(logits: Float32Array, argument: string, rows: number, classes: number): void {
  if (logits.length !== rows * classes) {
    throw new RangeError(`${argument} has length ${logits.length} but must be labels.length × classes = ${rows} × ${classes} = ${rows * classes}`);
  }
}
