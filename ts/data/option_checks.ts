/**
 * Checks on the options objects of the data layer, at the public API's edge.
 *
 * ts/arguments.ts holds the same kind of checks for the ops, but it imports the tensor module
 * and with it the native addon; the data layer is plain TypeScript and must load without it.
 * @internal
 */

/** `value` as an options object: undefined gives {}, anything else but an object is a TypeError. */
export function optionsObject<T extends object>(value: T | undefined, argument = "options"): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${argument} must be an object, got ${value === null ? "null" : typeof value}`);
  }
  return value;
}

/** A finite number in [min, max]. */
export function checkNumber(value: unknown, argument: string, min: number, max: number): number {
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${argument} = ${value} must be in [${min}, ${max}]`);
  }
  return value;
}

/** An integer in [min, max]. */
export function checkInteger(value: unknown, argument: string, min: number, max: number): number {
  const number = checkNumber(value, argument, min, max);
  if (!Number.isInteger(number)) throw new RangeError(`${argument} = ${number} must be an integer`);
  return number;
}

/** A fraction in [0, 1]. */
export function checkFraction(value: unknown, argument: string): number {
  return checkNumber(value, argument, 0, 1);
}

/** A seed: any safe integer (only its low 32 bits reach the generators). */
export function checkSeed(value: unknown, argument = "seed"): number {
  return checkInteger(value, argument, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

/** One of a fixed set of strings. */
export function checkChoice<T extends string>(value: unknown, argument: string, choices: readonly T[]): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    const shown = typeof value === "string" ? `"${value}"` : typeof value;
    throw new TypeError(`${argument} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${shown}`);
  }
  return value as T;
}
