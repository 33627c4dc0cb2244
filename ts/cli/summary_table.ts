/**
 * The table a command ends with: one row per result, aligned columns, metrics by name. The
 * same rows (unformatted) are what --json prints.
 */
import type { SizePlan } from "../plan/size_plan.js";
import type { SearchResult } from "../search/search_types.js";
import { formatBytes } from "./progress_reporter.js";

export type Cell = string | number | undefined;

/** Columns in order of first appearance; numbers right-aligned, missing cells as "-". */
export function formatTable(rows: readonly Record<string, Cell>[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const text = (cell: Cell) => cell === undefined ? "-" : typeof cell === "number" ? formatNumber(cell) : cell;
  const cells = rows.map((row) => columns.map((c) => text(row[c])));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j]!.length)));
  const numeric = columns.map((c) => rows.every((row) => row[c] === undefined || typeof row[c] === "number"));
  const line = (values: string[]) => values.map((v, j) => numeric[j] ? v.padStart(widths[j]!) : v.padEnd(widths[j]!))
    .join("  ").trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}

/** "users 2:600 8:400, items 16:800": how many ids each table holds at each size. */
export function planSummary(plan: SizePlan): string {
  return Object.entries(plan.tables).map(([name, sizes]) => {
    const counts = new Map<number, number>();
    for (const d of sizes) counts.set(d, (counts.get(d) ?? 0) + 1);
    const parts = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([d, n]) => `${d}:${n}`);
    return `${name} ${parts.join(" ")}`;
  }).join(", ");
}

/** The metrics worth a column, in this order. */
const metricOrder = ["testAccuracy", "testLoss", "testAuc", "testLogLoss", "recall20", "ndcg20", "majorityAccuracy",
                     "popularityAccuracy"];

/**
 * The plan's bytes and metrics, then the search's peak bytes and its own online figures, headed
 * "search …" so that they are not read as the plan's. The shared metrics only: a method's own
 * (per-table ratios, α, …) are in --json.
 */
export function resultRow(label: string, result: SearchResult): Record<string, Cell> {
  const shared = (metrics: Record<string, number>) => metricOrder.filter((k) => metrics[k] !== undefined);
  return {
    run: label,
    task: result.task,
    bytes: formatBytes(result.bytes),
    ratio: result.ratio.toFixed(3),
    budget: result.budgetBytes === undefined ? undefined : formatBytes(result.budgetBytes),
    ...Object.fromEntries(shared(result.metrics).map((k) => [k, result.metrics[k]])),
    "search peak": formatBytes(result.peakSearchBytes),
    ...Object.fromEntries(shared(result.searchMetrics).map((k) => [`search ${k}`, result.searchMetrics[k]])),
  };
}
