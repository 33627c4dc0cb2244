/**
 * The accuracy–memory frontier as a chart: a metric against the plan's bytes (log x), one line
 * per method through its budgets, each point the mean over seeds with an error bar of ± one
 * standard deviation. Points above FIXED's at equal bytes are what a size search is for.
 */
import type { FrontierResult } from "../search/frontier.js";
import { renderChart, px, type LegendEntry } from "./chart_frame.js";
import { linearTicks, logTicks } from "./chart_scales.js";
import { escapeHtml } from "./html_escape.js";
import { runColour, runDash } from "./run_colours.js";

const metricTitles: Record<string, string> = {
  testAccuracy: "test accuracy", testLoss: "test loss", testAuc: "test AUC", testLogLoss: "test log loss",
  recall20: "Recall@20", ndcg20: "NDCG@20",
};

interface Line {
  label: string;
  /** [KiB, mean, std] per budget, in budget order. */
  points: [number, number, number][];
}

/** The chart of `metric` against bytes, or a note when no point reports it. */
export function frontierChart(frontier: FrontierResult, metric: string): string {
  const labels = [...new Set(frontier.budgets.flatMap((b) => b.points.map((p) => p.label)))];
  const lines: Line[] = labels.map((label) => ({
    label,
    points: frontier.budgets.flatMap((budget) => budget.points.filter((p) => p.label === label && Number.isFinite(p.metrics[metric]?.mean))
      .map((p): [number, number, number] => [p.bytes / 1024, p.metrics[metric]!.mean, p.metrics[metric]!.std])),
  })).filter((line) => line.points.length > 0);
  const title = metricTitles[metric] ?? metric;
  if (lines.length === 0) return `<p class="note">No run reports ${escapeHtml(title)}, so there is no frontier chart of it.</p>`;

  const kib = lines.flatMap((line) => line.points.map(([x]) => x)).filter((x) => x > 0);
  const xDomain: [number, number] = [Math.min(...kib) / 1.3, Math.max(...kib) * 1.3];
  const low = Math.min(...lines.flatMap((line) => line.points.map(([, m, s]) => m - s)));
  const high = Math.max(...lines.flatMap((line) => line.points.map(([, m, s]) => m + s)));
  const yScale = linearTicks(low, high === low ? low + 1e-3 : high);
  const legend: LegendEntry[] = lines.map((line, i) => ({ label: line.label, colour: runColour(i), dash: runDash(i), mark: "line" }));
  const seeds = frontier.seeds.length;
  return renderChart({
    id: `frontier-${metric.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
    title: `${title[0]!.toUpperCase()}${title.slice(1)} against embedding bytes`,
    x: { label: "plan bytes (KiB, log scale)", kind: "log", domain: xDomain, ticks: logTicks(xDomain[0], xDomain[1]) },
    y: { label: title, kind: "linear", domain: yScale.domain, ticks: yScale.ticks },
    legend,
    caption: `Each point is a method's budget-held plan at one budget, trained and scored by the common protocol: the mean ` +
             `over ${seeds} seed${seeds === 1 ? "" : "s"}${seeds === 1 ? " (one seed: no spread is shown)" : ", with a bar of ± one standard deviation"}.`,
    marks: (x, y) => lines.map((line, i) => {
      const colour = runColour(i);
      const dash = runDash(i);
      const path = line.points.length < 2 ? ""
        : `<path d="M${line.points.map(([b, m]) => `${px(x(b))} ${px(y(m))}`).join("L")}" fill="none" stroke="${colour}" ` +
          `stroke-width="2"${dash === undefined ? "" : ` stroke-dasharray="${dash}"`}/>`;
      const bars = line.points.filter(([, , s]) => s > 0)
        .map(([b, m, s]) => `M${px(x(b))} ${px(y(m - s))}V${px(y(m + s))}`).join("");
      const dots = line.points.map(([b, m]) => `<circle cx="${px(x(b))}" cy="${px(y(m))}" r="3.5"/>`).join("");
      return `<g class="frontier-line"><title>${escapeHtml(line.label)}</title>${path}` +
             (bars === "" ? "" : `<path class="error-bars" d="${bars}" stroke="${colour}" stroke-width="1.5"/>`) +
             `<g fill="${colour}">${dots}</g></g>`;
    }).join(""),
  });
}
