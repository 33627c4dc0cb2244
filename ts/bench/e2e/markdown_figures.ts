/**
 * How REPRODUCTION.md writes its figures, so that every section writes them alike: a figure over
 * seeds as "mean ± sd", markdown tables, the rows of a family grouped by (data set, protocol),
 * and a pair's verdict (orderings.ts) as one line with its Δ and spread.
 */
import type { DatasetName, Protocol } from "./datasets.js";
import type { PairCheck } from "./orderings.js";
import type { Family } from "./run_record.js";
import type { Spread, SummaryRow } from "./seed_summary.js";

export const protocolNames: Record<Protocol, string> = { time: "time-ordered stream", shuffle: "shuffled split" };

export const formats = {
  percent: (x: number) => (100 * x).toFixed(2),
  loss: (x: number) => x.toFixed(4),
  auc: (x: number) => x.toFixed(4),
  ratio: (x: number) => `${(100 * x).toFixed(2)}%`,
};

/** "mean ± sd" with one format for both. */
export function meanSpread(spread: Spread | undefined, format: (x: number) => string): string {
  if (spread === undefined) return "–";
  return spread.n < 2 ? format(spread.mean) : `${format(spread.mean)} ± ${format(spread.sd).replace(/^-/, "")}`;
}

export const table = (header: readonly string[], rows: readonly (readonly string[])[], align = header.map((_, c) => (c === 0 ? "---" : "--:"))) =>
  [`| ${header.join(" | ")} |`, `|${align.join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)];

/** The rows of a family, grouped by (data set, protocol), in the order they first appear. */
export function groups(rows: readonly SummaryRow[], family: Family): { dataset: DatasetName; protocol: Protocol; rows: SummaryRow[] }[] {
  const out: { dataset: DatasetName; protocol: Protocol; rows: SummaryRow[] }[] = [];
  for (const row of rows.filter((r) => r.family === family)) {
    let group = out.find((g) => g.dataset === row.dataset && g.protocol === row.protocol);
    if (group === undefined) out.push(group = { dataset: row.dataset, protocol: row.protocol, rows: [] });
    group.rows.push(row);
  }
  return out;
}

export function verdictLine(check: PairCheck, format: (x: number) => string): string {
  const sign = check.delta > 0 ? "+" : check.delta < 0 ? "−" : "";
  return `${check.better} vs ${check.worse}: Δ = ${sign}${format(Math.abs(check.delta))} ` +
         `(spread ${format(check.spread)}): ${check.verdict}`;
}
