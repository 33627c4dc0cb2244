/**
 * The compact tables `npm run bench:kernels` prints at the end: one line per store kernel, beside
 * its limit, and one line per target.
 */
import type { DeviceFigures } from "./figures.js";
import type { TargetOutcome } from "./training_figures.js";

// Left-aligned first column, right-aligned others, each as wide as its widest cell.
function aligned(columns: readonly string[], rows: readonly string[][]): string[] {
  const widths = columns.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c]!.length)));
  const format = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
  return [format(columns), ...rows.map(format)];
}

export function consoleTable(sections: readonly DeviceFigures[]): string {
  const columns = ["kernel", "threads", "median ms", "GB/s", "limit GB/s", "ratio", "target"];
  const lines: string[] = [];
  for (const section of sections) {
    lines.push(`${section.device} — ${section.name} (${section.date})`);
    const rows = section.kernels.map((figure) => [
      figure.label,
      figure.threads === undefined ? "-" : String(figure.threads),
      figure.medianMs.toFixed(3),
      figure.gbPerSecond.toFixed(1),
      figure.limitGbPerSecond.toFixed(1),
      figure.ratio.toFixed(2),
      figure.target === undefined ? "" : `≥ ${figure.target.minRatio} ${figure.target.met ? "met" : "NOT met"}`,
    ]);
    lines.push(...aligned(columns, rows), "");
  }
  return lines.join("\n");
}

export function targetsConsoleTable(outcomes: readonly TargetOutcome[]): string {
  const verdict = (t: TargetOutcome) =>
    (t.met === undefined ? (t.note === undefined ? "-" : "n/a") : t.met ? "met" : "NOT met");
  const rows = outcomes.map((t) => [t.name, t.device, t.required, t.reached, verdict(t)]);
  return aligned(["target", "device", "required", "reached", ""], rows).join("\n");
}
