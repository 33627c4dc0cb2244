/**
 * One chart as a <figure> holding an inline SVG: title, legend, axes with ticks, grid lines and
 * axis labels, and the chart's own marks clipped to the plot area. Every chart of the report
 * goes through here, so they share one look; the charts only say what to draw and where.
 */
import { escapeHtml } from "./html_escape.js";
import { linearPosition, logPosition, type Position, type Tick } from "./chart_scales.js";

export interface Axis {
  label: string;
  kind: "linear" | "log";
  domain: readonly [number, number];
  ticks: readonly Tick[];
  /** Grid lines at the ticks; default true. */
  grid?: boolean;
}

export interface LegendEntry {
  label: string;
  colour: string;
  dash?: string | undefined;
  /** How the legend's swatch looks: a line, a dot, or a filled box. */
  mark: "line" | "point" | "bar";
}

export interface ChartSpec {
  /** Unique within the page and made of [a-z0-9-]: names the SVG's clip path and title. */
  id: string;
  title: string;
  x: Axis;
  y: Axis;
  legend: readonly LegendEntry[];
  /** Under the chart: what is shown and how, e.g. that the points are a sample. */
  caption?: string;
  /** The marks, given the pixel positions of the axes' values. */
  marks: (x: Position, y: Position) => string;
}

const width = 640;
const plotHeight = 250;
const margin = { left: 70, right: 18, bottom: 52 };
const legendTop = 40;
const legendRow = 18;
// Wide enough for 12px system-ui text: the legend wraps by this estimate (no text metrics server-side).
const characterWidth = 7;

/** A coordinate with one decimal: enough for the screen and keeps the page small. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function renderChart(spec: ChartSpec): string {
  const legend = legendLayout(spec.legend, margin.left, width - margin.right);
  const top = legendTop + legend.rows * legendRow + 8;
  const plot = { left: margin.left, right: width - margin.right, top, bottom: top + plotHeight };
  const height = plot.bottom + margin.bottom;
  const x = position(spec.x, [plot.left, plot.right]);
  const y = position(spec.y, [plot.bottom, plot.top]);
  const clip = `clip-${spec.id}`;
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${spec.id}-title" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="${spec.id}-title">${escapeHtml(spec.title)}</title>`,
    `<defs><clipPath id="${clip}"><rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plotHeight}"/></clipPath></defs>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="#222">${escapeHtml(spec.title)}</text>`,
    legend.svg,
    axisLines(spec, x, y, plot),
    `<g class="marks" clip-path="url(#${clip})">${spec.marks(x, y)}</g>`,
    `<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="#444"/>`,
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#444"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 40}" text-anchor="middle" fill="#333">${escapeHtml(spec.x.label)}</text>`,
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeHtml(spec.y.label)}</text>`,
    "</svg>",
  ];
  const caption = spec.caption === undefined ? "" : `<figcaption>${escapeHtml(spec.caption)}</figcaption>`;
  return `<figure class="chart" data-chart="${escapeHtml(spec.id)}">${parts.join("")}${caption}</figure>`;
}

function position(axis: Axis, range: readonly [number, number]): Position {
  return axis.kind === "log" ? logPosition(axis.domain, range) : linearPosition(axis.domain, range);
}

interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function axisLines(spec: ChartSpec, x: Position, y: Position, plot: Plot): string {
  const inside = (axis: Axis, tick: Tick) =>
    tick.value >= Math.min(...axis.domain) && tick.value <= Math.max(...axis.domain);
  const parts: string[] = [];
  for (const tick of spec.x.ticks.filter((t) => inside(spec.x, t))) {
    const at = px(x(tick.value));
    if (spec.x.grid !== false) parts.push(`<line x1="${at}" y1="${plot.top}" x2="${at}" y2="${plot.bottom}" stroke="#e4e4e4"/>`);
    parts.push(`<line x1="${at}" y1="${plot.bottom}" x2="${at}" y2="${plot.bottom + 5}" stroke="#444"/>`,
               `<text x="${at}" y="${plot.bottom + 19}" text-anchor="middle" fill="#444">${escapeHtml(tick.label)}</text>`);
  }
  for (const tick of spec.y.ticks.filter((t) => inside(spec.y, t))) {
    const at = px(y(tick.value));
    if (spec.y.grid !== false) parts.push(`<line x1="${plot.left}" y1="${at}" x2="${plot.right}" y2="${at}" stroke="#e4e4e4"/>`);
    parts.push(`<line x1="${plot.left - 5}" y1="${at}" x2="${plot.left}" y2="${at}" stroke="#444"/>`,
               `<text x="${plot.left - 8}" y="${at}" dy="0.35em" text-anchor="end" fill="#444">${escapeHtml(tick.label)}</text>`);
  }
  return `<g class="axes">${parts.join("")}</g>`;
}

/** Legend entries left to right, wrapped onto new rows where the next would pass `right`. */
function legendLayout(entries: readonly LegendEntry[], left: number, right: number): { svg: string; rows: number } {
  const parts: string[] = [];
  let row = 0;
  let at = left;
  for (const entry of entries) {
    const itemWidth = 26 + entry.label.length * characterWidth + 14;
    if (at > left && at + itemWidth > right) {
      row += 1;
      at = left;
    }
    const cy = legendTop + row * legendRow + legendRow / 2;
    parts.push(`<g class="legend-entry">${swatch(entry, at, cy)}` +
               `<text x="${at + 26}" y="${cy}" dy="0.35em" fill="#222">${escapeHtml(entry.label)}</text></g>`);
    at += itemWidth;
  }
  return { svg: `<g class="legend">${parts.join("")}</g>`, rows: entries.length === 0 ? 0 : row + 1 };
}

function swatch(entry: LegendEntry, left: number, cy: number): string {
  if (entry.mark === "bar") return `<rect x="${left + 4}" y="${cy - 6}" width="14" height="12" fill="${entry.colour}"/>`;
  if (entry.mark === "point") return `<circle cx="${left + 11}" cy="${cy}" r="4.5" fill="${entry.colour}"/>`;
  const dash = entry.dash === undefined ? "" : ` stroke-dasharray="${entry.dash}"`;
  return `<line x1="${left}" y1="${cy}" x2="${left + 22}" y2="${cy}" stroke="${entry.colour}" stroke-width="2.5"${dash}/>`;
}
