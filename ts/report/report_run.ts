/**
 * A search's result as a report run: its plan, history and metrics, and each id's frequency in
 * the data it searched on, counted as the search counted them (tableFrequencies).
 */
import { describe } from "../describe_value.js";
import { ratingFields } from "../data/rating_fields.js";
import { tableFrequencies } from "../search/plan_evaluation.js";
import type { SearchData, SearchResult } from "../search/search_types.js";
import type { ReportRun } from "./report_types.js";

/**
 * @param data the data passed to search() (a CTR search over ratings without fields counts user
 *   and item as its fields, as search() does).
 * @param label the legend's name for the run; default the method in capitals, e.g. "ESAPN".
 */
export function reportRun(result: SearchResult, data: SearchData, label = result.method.toUpperCase()): ReportRun {
  if (typeof result !== "object" || result === null || typeof result.plan !== "object" || !Array.isArray(result.history)) {
    throw new TypeError(`result must be what search() returned, got ${describe(result)}`);
  }
  if (typeof data !== "object" || data === null || !(data.users instanceof Int32Array)) {
    throw new TypeError(`data must be the ratings dataset the search ran on, got ${describe(data)}`);
  }
  if (typeof label !== "string") throw new TypeError(`label must be a string, got ${describe(label)}`);
  const searched = result.task === "ctr" && data.fields === undefined ? { ...data, fields: ratingFields(data) } : data;
  const frequencies = tableFrequencies(searched, result.task);
  for (const [table, sizes] of Object.entries(result.plan.tables)) {
    const counted = frequencies[table];
    if (counted !== undefined && counted.length !== sizes.length) {
      throw new RangeError(`data has ${counted.length} ids in table "${table}", but result.plan.tables.${table} has ` +
                           `${sizes.length}: is data the dataset the search ran on?`);
    }
  }
  return {
    label,
    method: result.method,
    plan: result.plan,
    history: result.history,
    frequencies: Object.fromEntries(Object.entries(frequencies).filter(([table]) => table in result.plan.tables)),
    metrics: result.metrics,
    searchMetrics: result.searchMetrics,
    bytes: result.bytes,
    peakSearchBytes: result.peakSearchBytes,
    ratio: result.ratio,
  };
}
