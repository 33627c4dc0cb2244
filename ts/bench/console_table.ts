/**
 * The compact table `npm run bench` prints: one line per kernel, beside its limit.
 */
import type { DeviceFigures } from "./figures.js";

const columns = ["kernel", "threads", "median ms", "GB/s", "limit GB/s", "ratio", "target"] as const;

export function consoleTable(sections: readonly DeviceFigures[]): string {
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
    const widths = columns.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c]!.length)));
    const format = (cells: readonly string[]) =>
      cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
    lines.push(format(columns), ...rows.map(format), "");
  }
  return lines.join("\n");
}
