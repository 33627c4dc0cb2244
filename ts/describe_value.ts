/**
 * A value as error messages show it: "a Float64Array", "an Array", "number 3". It imports
 * nothing, so pure-TypeScript parts (metrics, data) can use it without loading the addon.
 * @internal
 */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return "an Array";
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === "object") return `a ${(value as object).constructor?.name ?? "object"}`;
  return `${typeof value} ${String(value)}`;
}
