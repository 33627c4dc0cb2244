/**
 * The Markdown tables the results pages share: a table from rows of cells, and the table of
 * targets with whether each was met.
 */
import type { TargetOutcome } from "./training_figures.js";

export const metCell = (met: boolean | undefined) => (met === undefined ? "-" : met ? "yes" : "**no**");

/** A table and the blank line after it; `align` has one letter per column: "l" for text, "r" for figures. */
export function markdownTable(header: readonly string[], align: string, rows: readonly string[][]): string[] {
  const rule = header.map((_, c) => (align[c] === "r" ? "--:" : "---"));
  return [`| ${header.join(" | ")} |`, `| ${rule.join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`), ""];
}

export function targetsMarkdown(outcomes: readonly TargetOutcome[]): string[] {
  return markdownTable(["target", "device", "required", "reached", "met"], "lllll", outcomes.map((t) =>
    [t.name, t.device, t.required, t.note === undefined ? t.reached : `${t.reached}; ${t.note}`, metCell(t.met)]));
}
