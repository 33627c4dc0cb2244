/**
 * The report's summary: a column per run, colour-keyed to the charts, and a row for its method,
 * bytes, ratio and each metric any run reports ("–" where a run lacks it). Runs are columns
 * because methods report different metrics: twenty rows read better than twenty columns. Rows
 * most runs share (test accuracy and loss, say) come first, a single method's own after them.
 * The plan's metrics come first; the search's own figures follow as "search: name" rows, after
 * the peak bytes the search held, so that no reader takes one for the other.
 */
import { formatBytes } from "../cli/progress_reporter.js";
import { planBytes, planRatio } from "../plan/size_plan.js";
import { escapeHtml } from "./html_escape.js";
import type { ReportRun } from "./report_types.js";
import { runColour } from "./run_colours.js";

export function runSummaryTable(runs: readonly ReportRun[]): string {
  const metricRows = (pick: (run: ReportRun) => Record<string, number> | undefined, prefix: string) =>
    sharedFirst(runs.map((run) => Object.keys(pick(run) ?? {})))
      .map((name): [string, (run: ReportRun) => string] => [`${prefix}${name}`, (run) => formatMetric(pick(run)?.[name])]);
  const rows: [string, (run: ReportRun) => string][] = [
    ["method", (run) => escapeHtml(run.method)],
    ["bytes", (run) => escapeHtml(formatBytes(run.bytes ?? planBytes(run.plan)))],
    ["ratio", (run) => (run.ratio ?? planRatio(run.plan)).toFixed(3)],
    ...metricRows((run) => run.metrics, ""),
    ...(runs.some((run) => run.peakSearchBytes !== undefined)
      ? [["peak search bytes", (run) => run.peakSearchBytes === undefined ? "–" : escapeHtml(formatBytes(run.peakSearchBytes))] as
         [string, (run: ReportRun) => string]]
      : []),
    ...metricRows((run) => run.searchMetrics, "search: "),
  ];
  const header = runs.map((run, runIndex) =>
    `<th><span class="swatch" style="background:${runColour(runIndex)}"></span>${escapeHtml(run.label)}</th>`).join("");
  const body = rows.map(([name, cell]) => `<tr><th>${escapeHtml(name)}</th>${runs.map((run) => `<td>${cell(run)}</td>`).join("")}</tr>`);
  return `<div class="table-scroll"><table class="runs"><thead><tr><th></th>${header}</tr></thead>` +
         `<tbody>${body.join("")}</tbody></table></div>`;
}

/** Names in order of how many runs report them; equally shared ones in order of first appearance. */
function sharedFirst(namesByRun: readonly string[][]): string[] {
  const reporting = new Map<string, number>();
  for (const names of namesByRun) for (const name of names) reporting.set(name, (reporting.get(name) ?? 0) + 1);
  // Array.prototype.sort is stable.
  return [...reporting.keys()].sort((a, b) => reporting.get(b)! - reporting.get(a)!);
}

/** Four significant digits, whole numbers grouped; "–" for a metric the run lacks or that is NaN. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}
