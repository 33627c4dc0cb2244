/**
 * Accuracy, loss and bytes over each run's search history, one line per run. The x axis is the
 * event's position in the history (a batch or a step of the phase named), since steps restart
 * with each phase; the caption says which phase covers which events. Points a run did not
 * report (no loss, NaN) break its line rather than bridge the gap. Per-batch accuracy and loss
 * are noisy: each is drawn as an exponential moving average, with the raw series faint behind.
 */
import type { SearchEvent } from "../search/search_types.js";
import { linearTicks, logTicks } from "./chart_scales.js";
import { px, renderChart, type Axis, type LegendEntry } from "./chart_frame.js";
import { escapeHtml } from "./html_escape.js";
import type { ReportRun } from "./report_types.js";
import { runColour, runDash } from "./run_colours.js";

export type HistoryField = "accuracy" | "loss" | "bytes";

/** Points drawn per line: more than the chart is wide in pixels shows nothing more. */
export const pointsPerLine = 1500;

/** A run's line as segments of [event index, value] points, broken where a value is missing. */
export function historySegments(history: readonly SearchEvent[], field: HistoryField, maxPoints = pointsPerLine): [number, number][][] {
  const stride = Math.max(1, Math.ceil(history.length / maxPoints));
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  for (let i = 0; i < history.length; ++i) {
    if (i % stride !== 0 && i !== history.length - 1) continue;
    const value = history[i]![field];
    if (typeof value === "number" && Number.isFinite(value)) {
      current.push([i, value]);
    } else if (current.length > 0) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/**
 * Each segment's exponential moving average: s_0 = v_0, s_k = s_{k−1} + α·(v_k − s_{k−1}) with
 * α = 2/(span + 1), restarting at every break.
 */
export function smoothedSegments(segments: readonly [number, number][][], span: number): [number, number][][] {
  const alpha = 2 / (span + 1);
  return segments.map((segment) => {
    let average = segment[0]![1];
    return segment.map(([i, v], k): [number, number] => {
      if (k > 0) average += alpha * (v - average);
      return [i, average];
    });
  });
}

/** The average's span for a line of `points` points: about a twentieth of the line, 1 to 50. */
export function smoothingSpan(points: number): number {
  return Math.min(50, Math.max(1, Math.round(points / 20)));
}

/** The unit bytes are shown in: the largest power of 1024 not above `max`. */
export function byteUnit(max: number): { name: string; size: number } {
  const names = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (u < names.length - 1 && max >= 1024 ** (u + 1)) u += 1;
  return { name: names[u]!, size: 1024 ** u };
}

const titles: Record<HistoryField, string> = {
  accuracy: "Accuracy over the search",
  loss: "Loss over the search",
  bytes: "Embedding bytes over the search",
};

/** The chart of one field, or a note saying that no run's history reports it. */
export function historyChart(runs: readonly ReportRun[], field: HistoryField): string {
  const smooth = field !== "bytes";
  const lines = runs.map((run, runIndex) => {
    const segments = historySegments(run.history, field);
    const span = smoothingSpan(segments.reduce((n, segment) => n + segment.length, 0));
    return { run, runIndex, segments, span, smoothed: smooth ? smoothedSegments(segments, span) : segments };
  }).filter((line) => line.segments.length > 0);
  if (lines.length === 0) return `<p class="note">No run's history reports ${field}, so there is no ${field} chart.</p>`;

  const values = lines.flatMap((line) => line.segments.flat().map(([, v]) => v));
  const min = Math.min(...values);
  const max = Math.max(...values);
  const unit = field === "bytes" ? byteUnit(max) : { name: "", size: 1 };
  let y: Axis;
  if (field === "loss" && min > 0 && max / min > 100) {
    // Losses falling over decades read better in orders of magnitude.
    const domain: [number, number] = [min / 1.2, max * 1.2];
    y = { label: "loss (log scale)", kind: "log", domain, ticks: logTicks(domain[0], domain[1]) };
  } else {
    const scale = linearTicks(field === "bytes" ? 0 : min / unit.size, max / unit.size);
    y = { label: field === "bytes" ? `bytes (${unit.name})` : field, kind: "linear", domain: scale.domain, ticks: scale.ticks };
  }
  const events = Math.max(...lines.map((line) => line.run.history.length));
  const xScale = linearTicks(0, Math.max(1, events - 1));
  // Events are counted: a short history gets whole-number ticks only, not 0.2, 0.4, ….
  const xTicks = xScale.ticks.filter((tick) => Number.isInteger(tick.value))
    .map((tick) => ({ value: tick.value, label: tick.value.toLocaleString("en-US") }));
  // A little room at both ends, so that a run with one event (FIXED's plan) is not cut by the axis.
  const pad = (xScale.domain[1] - xScale.domain[0]) * 0.02;

  const legend: LegendEntry[] = lines.map(({ run, runIndex }) =>
    ({ label: run.label, colour: runColour(runIndex), dash: runDash(runIndex), mark: "line" }));
  const missing = runs.filter((run) => !lines.some((line) => line.run === run)).map((run) => run.label);
  const thinned = lines.filter((line) => line.run.history.length > pointsPerLine).map((line) => line.run.label);
  const caption = [
    `Each run's ${field} as its history reports it, event by event (a batch or a step of the phase named)` +
    (smooth ? `, drawn as an exponential moving average (span ${lines.map(({ run, span }) => `${run.label} ${span}`).join(", ")} ` +
              "events) with the raw series faint behind." : "."),
    `Phases: ${lines.map(({ run }) => `${run.label}: ${phaseRanges(run.history)}`).join("; ")}.`,
    ...(thinned.length === 0 ? [] : [`Lines of ${thinned.join(", ")} are drawn through every k-th event (at most ${pointsPerLine}).`]),
    ...(missing.length === 0 ? [] : [`Not reported by ${missing.join(", ")}.`]),
  ].join(" ");

  return renderChart({
    id: `history-${field}`,
    title: titles[field],
    x: { label: "event in the search history", kind: "linear", domain: [-pad, xScale.domain[1] + pad], ticks: xTicks },
    y,
    legend,
    caption,
    marks: (x, yPos) => lines.map(({ run, runIndex, segments, smoothed }) => {
      const colour = runColour(runIndex);
      const dash = runDash(runIndex);
      const at = ([i, v]: [number, number]) => [px(x(i)), px(yPos(v / unit.size))] as const;
      const pathOf = (lineSegments: [number, number][][]) =>
        lineSegments.filter((s) => s.length > 1).map((s) => `M${s.map((p) => at(p).join(" ")).join("L")}`);
      const paths = pathOf(smoothed);
      const raw = smooth ? pathOf(segments) : [];
      // A lone point has no line to show it: it gets a dot.
      const dots = segments.filter((s) => s.length === 1).map(([point]) => {
        const [cx, cy] = at(point!);
        return `<circle cx="${cx}" cy="${cy}" r="3.5"/>`;
      });
      return `<g class="run"><title>${escapeHtml(run.label)}</title>` +
        (raw.length === 0 ? "" : `<path class="raw" d="${raw.join("")}" fill="none" stroke="${colour}" stroke-width="1" stroke-opacity="0.22"/>`) +
        (paths.length === 0 ? "" : `<path d="${paths.join("")}" fill="none" stroke="${colour}" stroke-width="2"` +
          ` stroke-linejoin="round"${dash === undefined ? "" : ` stroke-dasharray="${dash}"`}/>`) +
        (dots.length === 0 ? "" : `<g fill="${colour}">${dots.join("")}</g>`) + "</g>";
    }).join(""),
  });
}

/** "train 0–159, test 160–199": each stretch of one phase and the events it covers (the first six). */
export function phaseRanges(history: readonly SearchEvent[]): string {
  const ranges: string[] = [];
  let start = 0;
  for (let i = 1; i <= history.length; ++i) {
    if (i < history.length && history[i]!.phase === history[start]!.phase) continue;
    ranges.push(start === i - 1 ? `${history[start]!.phase} ${start}` : `${history[start]!.phase} ${start}–${i - 1}`);
    start = i;
  }
  return ranges.length <= 6 ? ranges.join(", ") : `${ranges.slice(0, 6).join(", ")}, … (${ranges.length} stretches)`;
}
