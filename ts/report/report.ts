/**
 * A size-search report: one self-contained HTML page (inline SVG and CSS, no scripts, fonts or
 * anything fetched) that sets runs side by side: a summary table; the chosen size against id
 * frequency per table; accuracy, loss and bytes over each search; and the sizes chosen per table.
 * Given a frontier (runFrontier), it first charts each metric against the plans' bytes.
 *
 * @example
 * const result = await search({ method: "esapn", data });
 * await writeReport("report.html", { title: "ESAPN on ml-100k", runs: [reportRun(result, data)] });
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";

import { writeFileAtomically } from "../checkpoint/atomic_write.js";
import { describe } from "../describe_value.js";
import { frontierChart } from "./frontier_chart.js";
import { escapeHtml } from "./html_escape.js";
import { historyChart } from "./history_charts.js";
import { checkReportInput } from "./report_input.js";
import type { ReportInput } from "./report_types.js";
import { runSummaryTable } from "./run_summary_table.js";
import { sizeFrequencyCharts } from "./size_frequency_chart.js";
import { sizeHistogramCharts } from "./size_histogram_chart.js";

const style = `
body { margin: 0; background: #f6f6f4; color: #222; font: 14px/1.45 system-ui, sans-serif; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 32px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 26px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d8d8d4; }
p { max-width: 72em; margin: 4px 0; }
.note { color: #666; font-style: italic; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
figure.chart { margin: 0; padding: 8px; background: #fff; border: 1px solid #e0e0dc; border-radius: 6px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { margin: 2px 6px; color: #555; font-size: 12.5px; }
.table-scroll { overflow-x: auto; }
table.runs { border-collapse: collapse; background: #fff; border: 1px solid #e0e0dc; }
table.runs th, table.runs td { padding: 3px 12px; text-align: right; border-bottom: 1px solid #ebebe8; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
table.runs thead th { background: #f0f0ed; }
table.runs tbody th { text-align: left; font-weight: 500; color: #444; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
`;

/** The whole HTML document. A TypeError or RangeError names the first bad field of `input`. */
export function renderReport(input: ReportInput): string {
  const { title, description, runs, frontier } = checkReportInput(input);
  const charts = (items: string[], none: string) =>
    items.length === 0 ? `<p class="note">${escapeHtml(none)}</p>` : `<div class="charts">${items.join("\n")}</div>`;
  // A frontier's report may carry no single runs: then it is the frontier alone.
  const runSections = frontier !== undefined && runs.length === 0 ? [] : [
    "<h2>Runs</h2>",
    runs.length === 0 ? `<p class="note">No runs.</p>` : runSummaryTable(runs),
    "<h2>Size against frequency</h2>",
    charts(sizeFrequencyCharts(runs), "No run carries its ids' frequencies, so there is no size-against-frequency chart."),
    "<h2>Over the search</h2>",
    `<div class="charts">${historyChart(runs, "accuracy")}\n${historyChart(runs, "loss")}\n${historyChart(runs, "bytes")}</div>`,
    "<h2>Sizes chosen</h2>",
    charts(sizeHistogramCharts(runs), "No run has a table."),
  ];
  const sections = [
    `<h1>${escapeHtml(title)}</h1>`,
    description === undefined ? "" : `<p>${escapeHtml(description)}</p>`,
    ...(frontier === undefined ? [] : [
      "<h2>Accuracy against memory</h2>",
      `<div class="charts">${frontier.metricNames.map((metric) => frontierChart(frontier, metric)).join("\n")}</div>`,
    ]),
    ...runSections,
  ];
  return [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(title)}</title><style>${style}</style></head>`,
    `<body><main>${sections.filter((s) => s !== "").join("\n")}</main></body></html>`,
    "",
  ].join("\n");
}

/**
 * Renders the report and replaces `file` with it atomically (a reader never sees half a page),
 * creating its directory if need be.
 */
export async function writeReport(file: string, input: ReportInput): Promise<void> {
  if (typeof file !== "string" || file === "") throw new TypeError(`file must be a non-empty path, got ${describe(file)}`);
  const html = new TextEncoder().encode(renderReport(input));
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomically(file, (sink) => sink.write(html));
}
