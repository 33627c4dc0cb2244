/**
 * Checks at the public API's edge that native code cannot make for us: plain JS arrays of
 * integers, option objects and their numbers and choices. Typed arrays pass straight through:
 * the addon checks their type, length and ids itself before it touches memory. Imports nothing
 * native, so the pure-TypeScript parts (data, metrics) use it too.
 * @internal
 */
import { describe } from "./describe_value.js";

/** An Int32Array as is, or a plain array of integers copied into one. */
export function int32Array(value: unknown, argument: string): Int32Array {
  if (value instanceof Int32Array) return value;
  if (Array.isArray(value)) {
    const result = new Int32Array(value.length);
    value.forEach((element, index) => {
      if (typeof element !== "number") {
        throw new TypeError(`${argument}[${index}] must be a number, got ${describe(element)}`);
      }
      if (!Number.isInteger(element) || element < -2147483648 || element > 2147483647) {
        throw new RangeError(`${argument}[${index}] = ${element} is not a 32-bit integer`);
      }
      result[index] = element;
    });
    return result;
  }
  throw new TypeError(`${argument} must be an Int32Array or an array of integers, got ${describe(value)}`);
}

/** int32Array(value, argument) with every id in [0, count): a RangeError naming the first that is not. */
export function idsBelow(value: unknown, argument: string, count: number): Int32Array {
  const ids = int32Array(value, argument);
  for (let b = 0; b < ids.length; ++b) {
    const id = ids[b]!;
    if (!(id >= 0 && id < count)) throw new RangeError(`${argument}[${b}] = ${id} is out of range [0, ${count})`);
  }
  return ids;
}

/** A finite number within [min, max] (exclusive of min when `minExclusive`). */
export function numberInRange(value: unknown, argument: string, min: number, max: number,
                              minExclusive = false): number {
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${describe(value)}`);
  const belowMin = minExclusive ? value <= min : value < min;
  if (!Number.isFinite(value) || belowMin || value > max) {
    const low = minExclusive ? `(${min}` : `[${min}`;
    throw new RangeError(`${argument} must be in ${low}, ${max}], got ${value}`);
  }
  return value;
}

export function integerInRange(value: unknown, argument: string, min: number, max: number): number {
  const number = numberInRange(value, argument, min, max);
  if (!Number.isInteger(number)) throw new RangeError(`${argument} must be an integer, got ${number}`);
  return number;
}

/** `value` as an options object: undefined gives {}, anything else but a plain object is a TypeError. */
export function optionsObject<T extends object>(value: T | undefined, argument = "options"): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${argument} must be an object, got ${describe(value)}`);
  }
  return value;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(value: unknown, argument: string, choices: readonly T[]): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new TypeError(`${argument} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${describe(value)}`);
  }
  return value as T;
}
