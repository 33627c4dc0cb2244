/**
 * Reading a method's `settings` (search()'s free-form, method-specific options): each reader
 * checks the value and names it (`settings.batchSize must be …`), falling back to the
 * method's default when the caller gave none.
 */
export interface NumberLimits {
  min?: number;
  max?: number;
  integer?: boolean;
  exclusiveMin?: boolean;
}

export function numberSetting(settings: Record<string, unknown>, name: string, fallback: number,
                              { min = -Infinity, max = Infinity, integer = false, exclusiveMin = false }: NumberLimits = {}): number {
  const value = settings[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`settings.${name} must be a finite number, got ${JSON.stringify(value)}`);
  }
  if (integer && !Number.isInteger(value)) throw new RangeError(`settings.${name} must be an integer, got ${value}`);
  if ((exclusiveMin ? value <= min : value < min) || value > max) {
    throw new RangeError(`settings.${name} must be in ${exclusiveMin ? "(" : "["}${min}, ${max}], got ${value}`);
  }
  return value;
}

export function booleanSetting(settings: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = settings[name];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`settings.${name} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/** A setting that must pass `check` (e.g. one of a few strings), described as `expected` in the error. */
export function typedSetting<T>(settings: Record<string, unknown>, name: string, fallback: T,
                                check: (value: unknown) => boolean, expected: string): T {
  const value = settings[name];
  if (value === undefined) return fallback;
  if (!check(value)) throw new TypeError(`settings.${name} must be ${expected}, got ${JSON.stringify(value)}`);
  return value as T;
}
