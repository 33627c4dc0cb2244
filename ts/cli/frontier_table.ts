/**
 * A frontier as the CLI prints it: a row per budget with its bytes, each method's primary
 * metric as mean ± std over the seeds, and the methods that beat FIXED beyond the spread.
 */
import type { FrontierResult } from "../search/frontier.js";
import { formatBytes } from "./progress_reporter.js";
import { formatTable, type Cell } from "./summary_table.js";

export function frontierTable(frontier: FrontierResult): string {
  const { name, higherIsBetter } = frontier.primary;
  const labels = [...new Set(frontier.budgets.flatMap((b) => b.points.map((p) => p.label)))];
  const rows = frontier.budgets.map((budget): Record<string, Cell> => ({
    budget: ratioText(budget.ratio),
    bytes: formatBytes(budget.budgetBytes),
    ...Object.fromEntries(labels.map((label) => {
      const figure = budget.points.find((p) => p.label === label)?.metrics[name];
      // One seed has no spread to show.
      return [label, figure === undefined ? undefined
        : frontier.seeds.length === 1 ? figure.mean.toFixed(4) : `${figure.mean.toFixed(4)} ± ${figure.std.toFixed(4)}`];
    })),
    "beats FIXED": budget.beatsFixed.length === 0 ? "none" : budget.beatsFixed.join(", "),
  }));
  const seeds = frontier.seeds.length;
  return [
    `${name} (${higherIsBetter ? "higher" : "lower"} is better), ${seeds === 1 ? "one seed" : `mean ± std over ${seeds} seeds`}; ` +
    `"beats FIXED": mean − std above FIXED's mean + std${seeds === 1 ? " (one seed: no spread, any difference counts)" : ""}`,
    "",
    formatTable(rows),
    ...frontier.budgets.flatMap((b) => b.skipped.map((s) => `at ${ratioText(b.ratio)}: ${s.label} left out (${s.reason})`)),
  ].join("\n");
}

/** 0.015625 → "1/64"; other fractions as decimals. */
function ratioText(ratio: number): string {
  const inverse = 1 / ratio;
  return Number.isInteger(inverse) ? `1/${inverse}` : String(ratio);
}
