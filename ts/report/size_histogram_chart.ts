/**
 * How many ids each run gave each size: one chart per table, a group of bars per size and a
 * bar per run in each group.
 */
import { linearTicks } from "./chart_scales.js";
import { px, renderChart, type LegendEntry } from "./chart_frame.js";
import { escapeHtml } from "./html_escape.js";
import type { ReportRun } from "./report_types.js";
import { runColour } from "./run_colours.js";

/** Ids at each of `sizes` (in its order); a size not listed is not counted. */
export function sizeCounts(tableSizes: ArrayLike<number>, sizes: readonly number[]): number[] {
  const slot = new Map(sizes.map((d, k) => [d, k]));
  const counts = new Array<number>(sizes.length).fill(0);
  for (let id = 0; id < tableSizes.length; ++id) {
    const k = slot.get(tableSizes[id]!);
    if (k !== undefined) counts[k]! += 1;
  }
  return counts;
}

/** One chart per table of any run's plan, in order of first appearance. */
export function sizeHistogramCharts(runs: readonly ReportRun[]): string[] {
  const tables = [...new Set(runs.flatMap((run) => Object.keys(run.plan.tables)))];
  return tables.map((table, t) => {
    const bars = runs.map((run, runIndex) => ({ run, runIndex, sizes: run.plan.tables[table] }))
      .filter((b): b is typeof b & { sizes: Int32Array } => b.sizes !== undefined);
    // Every candidate of every run, and any size a plan holds outside its candidates.
    const sizes = [...new Set(bars.flatMap((b) => [...b.run.plan.candidates, ...new Set(b.sizes)]))].sort((a, b) => a - b);
    const counts = bars.map((b) => sizeCounts(b.sizes, sizes));
    const y = linearTicks(0, Math.max(1, ...counts.flat()));
    const legend: LegendEntry[] = bars.map(({ run, runIndex }) => ({ label: run.label, colour: runColour(runIndex), mark: "bar" }));
    const group = 0.8;
    const barWidth = group / bars.length;
    return renderChart({
      id: `size-histogram-${t}`,
      title: `Sizes chosen: ${table}`,
      x: { label: "embedding size", kind: "linear", domain: [-0.5, sizes.length - 0.5],
           ticks: sizes.map((d, k) => ({ value: k, label: String(d) })), grid: false },
      y: { label: "ids", kind: "linear", domain: y.domain, ticks: y.ticks },
      legend,
      caption: "How many of the table's ids each run gave each size, over every size any run could choose.",
      marks: (x, yPos) => bars.map(({ run, runIndex }, p) => {
        const rects = sizes.map((d, k) => {
          const n = counts[p]![k]!;
          if (n === 0) return "";
          const left = x(k - group / 2 + p * barWidth);
          const right = x(k - group / 2 + (p + 1) * barWidth);
          return `<rect x="${px(left)}" y="${px(yPos(n))}" width="${px(right - left)}" height="${px(yPos(0) - yPos(n))}">` +
            `<title>${escapeHtml(`${run.label}: ${n.toLocaleString("en-US")} ids at size ${d}`)}</title></rect>`;
        });
        return `<g class="bars" fill="${runColour(runIndex)}">${rects.join("")}</g>`;
      }).join(""),
    });
  });
}
