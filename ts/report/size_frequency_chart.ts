/**
 * The chosen size against each id's frequency, one chart per table, as in the ESAPN slides'
 * "Performance Comparison with Frequency": a dot per id, and per run a line through the median
 * size of each log-frequency bin. The medians come from every id; the dots, for tables too
 * large to draw whole, from a sample that keeps every bin (frequency_bins.ts).
 */
import { logTicks, type Tick } from "./chart_scales.js";
import { px, renderChart, type LegendEntry } from "./chart_frame.js";
import { frequencyBins, sampleBins, type FrequencyBin } from "./frequency_bins.js";
import type { ReportRun } from "./report_types.js";
import { runColour, runDash } from "./run_colours.js";

/** Dots drawn per run and table: beyond a few thousand a chart shows density no better and grows heavy. */
export const dotsPerRun = 2000;

/** Dots of one size are spread over this many log2 units (runs side by side within it), so they do not hide one another. */
const sizeBand = 0.6;
/** And over ± this many log2 units of frequency, since many ids share each small frequency. */
const frequencySpread = 0.15;

interface TableSeries {
  runIndex: number;
  run: ReportRun;
  frequencies: ArrayLike<number>;
  bins: FrequencyBin[];
  sample: number[];
  /** Ids with frequency > 0 (those in a bin). */
  seen: number;
}

/** One chart per table that at least one run has frequencies for, in order of first appearance. */
export function sizeFrequencyCharts(runs: readonly ReportRun[]): string[] {
  const tables = [...new Set(runs.flatMap((run) => Object.keys(run.frequencies ?? {})))];
  return tables.map((table, t) => {
    const series: TableSeries[] = [];
    runs.forEach((run, runIndex) => {
      const frequencies = run.frequencies?.[table];
      if (frequencies === undefined) return;
      const bins = frequencyBins(frequencies, run.plan.tables[table]!);
      series.push({ runIndex, run, frequencies, bins, sample: sampleBins(bins, dotsPerRun),
                    seen: bins.reduce((n, bin) => n + bin.ids.length, 0) });
    });
    return tableChart(table, t, series);
  });
}

function tableChart(table: string, tableIndex: number, series: TableSeries[]): string {
  let minFrequency = Infinity;
  let maxFrequency = 0;
  for (const s of series) {
    for (const bin of s.bins) {
      for (const id of bin.ids) {
        minFrequency = Math.min(minFrequency, s.frequencies[id]!);
        maxFrequency = Math.max(maxFrequency, s.frequencies[id]!);
      }
    }
  }
  if (maxFrequency === 0) [minFrequency, maxFrequency] = [1, 10];
  const xDomain: [number, number] = [minFrequency * 2 ** -0.5, maxFrequency * 2 ** 0.5];

  const sizes = new Set<number>();
  for (const s of series) {
    for (const d of s.run.plan.candidates) sizes.add(d);
    for (const bin of s.bins) for (const id of bin.ids) sizes.add(s.run.plan.tables[table]![id]!);
  }
  const sorted = [...sizes].sort((a, b) => a - b);
  const yDomain: [number, number] = [sorted[0]! * 2 ** -0.6, sorted[sorted.length - 1]! * 2 ** 0.6];
  const yTicks: Tick[] = sorted.length <= 12 ? sorted.map((d) => ({ value: d, label: String(d) }))
    : logTicks(yDomain[0], yDomain[1]);

  const legend: LegendEntry[] = series.map((s) =>
    ({ label: s.run.label, colour: runColour(s.runIndex), dash: runDash(s.runIndex), mark: "line" }));
  return renderChart({
    id: `size-frequency-${tableIndex}`,
    title: `Size against frequency: ${table}`,
    x: { label: "frequency in the data searched on (log scale)", kind: "log", domain: xDomain, ticks: logTicks(xDomain[0], xDomain[1]) },
    y: { label: "embedding size (log scale)", kind: "log", domain: yDomain, ticks: yTicks },
    legend,
    caption: caption(series),
    marks: (x, y) => {
      const dots = series.map((s, p) => {
        const sizesOf = s.run.plan.tables[table]!;
        const centre = ((p + 0.5) / series.length - 0.5) * sizeBand;
        const halfWidth = 0.4 * sizeBand / series.length;
        const circles = s.sample.map((id) => {
          const fx = s.frequencies[id]! * 2 ** ((unitHash(2 * id) - 0.5) * 2 * frequencySpread);
          const fy = sizesOf[id]! * 2 ** (centre + (unitHash(2 * id + 1) - 0.5) * 2 * halfWidth);
          return `<circle cx="${px(x(fx))}" cy="${px(y(fy))}" r="1.8"/>`;
        });
        return `<g class="dots" fill="${runColour(s.runIndex)}" fill-opacity="0.35">${circles.join("")}</g>`;
      });
      const medians = series.map((s) => {
        const points = s.bins.map((bin) => [px(x(bin.medianFrequency)), px(y(bin.medianSize))] as const);
        if (points.length === 0) return "";
        const dash = runDash(s.runIndex);
        const path = `<path d="M${points.map(([cx, cy]) => `${cx} ${cy}`).join("L")}" fill="none" stroke="${runColour(s.runIndex)}"` +
          ` stroke-width="2.5"${dash === undefined ? "" : ` stroke-dasharray="${dash}"`}/>`;
        const marks = points.map(([cx, cy]) => `<circle cx="${cx}" cy="${cy}" r="3.5"/>`).join("");
        return `<g class="medians">${path}<g fill="${runColour(s.runIndex)}" stroke="#fff" stroke-width="1">${marks}</g></g>`;
      });
      return dots.join("") + medians.join("");
    },
  });
}

function caption(series: TableSeries[]): string {
  const parts = ["A dot per id at its frequency and its chosen size, spread a little in both directions " +
                 "(runs side by side) so that dots do not hide one another; a line per run through the median size " +
                 "of each frequency bin (1, 2–3, 4–7, …), computed from all ids."];
  const sampled = series.filter((s) => s.sample.length < s.seen);
  if (sampled.length > 0) {
    parts.push(`Dots for ${sampled.map((s) => `${s.run.label}: ${count(s.sample.length)} of ${count(s.seen)} ids`).join("; ")} ` +
               "(evenly spread within each bin).");
  }
  const unseen = series.filter((s) => s.seen < s.frequencies.length);
  if (unseen.length > 0) {
    parts.push(`Ids with frequency 0 are left out (${unseen.map((s) => `${s.run.label}: ${count(s.frequencies.length - s.seen)}`).join("; ")}).`);
  }
  return parts.join(" ");
}

const count = (n: number) => n.toLocaleString("en-US");

/** A fixed pseudo-random value in [0, 1) per integer (a murmur3 finalizer): the same dots on every render. */
function unitHash(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
