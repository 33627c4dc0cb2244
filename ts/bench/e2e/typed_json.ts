/**
 * JSON for objects that hold typed arrays (plans, frequencies): JSON.stringify would write an
 * Int32Array as {"0": …, "1": …}; here every typed array is written as a plain array.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => ArrayBuffer.isView(field) && !(field instanceof DataView)
    ? Array.from(field as unknown as ArrayLike<number>) : field);
}
