/**
 * bench/results/FRONTIER.md from the frontiers measured so far: what was and was not run, a
 * table per protocol (mean ± std per method at each budget, and which beat FIXED beyond the
 * spread), and whether the issue's target is reached.
 */
import type { FrontierResult } from "../search/frontier.js";

export interface MeasuredFrontier extends FrontierResult {
  id: string;
  dataset: string;
  protocol: string;
  date: string;
  seconds: number;
  rows: number;
  ids: number;
  settings: Record<string, Record<string, unknown>>;
}

const fraction = (ratio: number) => (Number.isInteger(1 / ratio) ? `1/${1 / ratio}` : String(ratio));

function protocolSection(f: MeasuredFrontier): string[] {
  const labels = [...new Set(f.budgets.flatMap((b) => b.points.map((p) => p.label)))];
  const dMax = f.budgets[0] === undefined ? 0 : f.budgets[0].budgetBytes / (4 * f.ids * f.budgets[0].ratio);
  const { name, higherIsBetter } = f.primary;
  const settings = Object.entries(f.settings).filter(([, s]) => Object.keys(s).length > 0)
    .map(([m, s]) => `${m}: ${JSON.stringify(s)}`).join("; ");
  return [
    `## ${f.id}`,
    "",
    `${f.dataset}, ${f.protocol === "shuffle" ? "shuffled" : "time-ordered"}, task ${f.task}: ${f.rows.toLocaleString("en-US")} rows, ` +
    `${f.ids.toLocaleString("en-US")} ids, d_max ${Math.round(dMax)}. Seeds ${f.seeds.join(", ")}; measured ${f.date} in ` +
    `${(f.seconds / 60).toFixed(0)} min. ${name}, ${higherIsBetter ? "higher" : "lower"} is better; mean ± std over the seeds.` +
    (settings === "" ? " Default settings." : ` Settings besides the defaults: ${settings}.`),
    "",
    `| budget | floats/id | bytes | ${labels.join(" | ")} | beats FIXED beyond the spread |`,
    `|---|---|---|${labels.map(() => "---|").join("")}---|`,
    ...f.budgets.map((b) => `| ${fraction(b.ratio)} | ${(b.budgetBytes / (4 * f.ids)).toFixed(1)} | ${b.budgetBytes.toLocaleString("en-US")} | ` +
      labels.map((label) => {
        const m = b.points.find((p) => p.label === label)?.metrics[name];
        return m === undefined ? "–" : `${m.mean.toFixed(4)} ± ${m.std.toFixed(4)}`;
      }).join(" | ") + ` | ${b.beatsFixed.length === 0 ? "none" : b.beatsFixed.join(", ")} |`),
    ...f.budgets.flatMap((b) => b.skipped.map((s) => `\nAt ${fraction(b.ratio)}, ${s.label} was left out: ${s.reason}.`)),
    "",
    `![${f.id}: each metric against bytes](frontier-${f.id}.png) ([the report](frontier-${f.id}.html))`,
    "",
  ];
}

/** Budgets of `f` (within [from, to]) at which some method beats FIXED beyond the spread. */
function winningBudgets(f: MeasuredFrontier, from = 0, to = 1): number[] {
  return f.budgets.filter((b) => b.ratio >= from - 1e-12 && b.ratio <= to + 1e-12 && b.beatsFixed.length > 0).map((b) => b.ratio);
}

function targetSection(measured: Record<string, MeasuredFrontier>): string[] {
  const shuffled = measured["ml-latest-small-shuffle"];
  const lines = ["## Target", "",
    "Some mixdim plan beats FIXED at equal bytes, beyond the 3-seed spread: (a) on ml-latest-small shuffled at every budget " +
    "from 1/32 to 1/4; (b) on each of the three other MovieLens protocols at two budgets or more.", ""];
  if (shuffled === undefined) {
    lines.push("- (a) not measured.");
  } else {
    const wins = winningBudgets(shuffled, 1 / 32, 1 / 4);
    const needed = shuffled.budgets.filter((b) => b.ratio >= 1 / 32 - 1e-12 && b.ratio <= 1 / 4 + 1e-12).length;
    lines.push(`- (a) ${wins.length === needed && needed === 4 ? "reached" : "not reached"}: some method beats FIXED at ` +
               `${wins.length} of ${needed} budgets in [1/32, 1/4] (${wins.map(fraction).join(", ") || "none"}), ` +
               `with ${shuffled.seeds.length} seeds.`);
  }
  for (const id of ["ml-100k-shuffle", "ml-latest-small-time", "ml-100k-time"]) {
    const f = measured[id];
    if (f === undefined) {
      lines.push(`- (b) ${id}: not measured.`);
      continue;
    }
    const wins = winningBudgets(f);
    lines.push(`- (b) ${id}: ${wins.length >= 2 ? "reached" : "not reached"}, some method beats FIXED at ${wins.length} budget(s)` +
               `${wins.length === 0 ? "" : ` (${wins.map(fraction).join(", ")})`}, with ${f.seeds.length} seeds.`);
  }
  return [...lines, ""];
}

export function frontierMarkdown(measured: Record<string, MeasuredFrontier>, planned: { id: string; methods: string[] }[],
                                 findings?: string): string {
  const ran = planned.map(({ id, methods }) => {
    const f = measured[id];
    if (f === undefined) return `| ${id} | not run | FIXED, ${methods.join(", ")} | – |`;
    const labels = [...new Set(f.budgets.flatMap((b) => b.points.map((p) => p.label)))];
    const missing = methods.filter((m) => !labels.includes(m.toUpperCase()));
    return `| ${id} | ${f.date}, ${f.seeds.length} seed(s), ${f.budgets.length} budgets | ${labels.join(", ")} | ` +
           `${missing.length === 0 ? "–" : missing.join(", ")} |`;
  });
  return [
    "# The accuracy–memory frontier",
    "",
    "Written by `npm run bench:frontier` (ts/bench/frontier_bench.ts) on a 2-core CPU machine. For each protocol, FIXED " +
    "and each method run at every budget (a fraction of every id at d_max, the same bytes for every method) and seed " +
    "through `search()`: every figure is the budget-held plan's, retrained by the common protocol (evaluatePlan), not the " +
    "search's own online figure. \"Beats FIXED beyond the spread\" means mean − std above FIXED's mean + std at the same budget.",
    "",
    "## What was run",
    "",
    "| protocol | measured | methods run | methods not run |",
    "|---|---|---|---|",
    ...ran,
    "",
    ...targetSection(measured),
    ...Object.values(measured).flatMap(protocolSection),
    ...(findings === undefined ? [] : ["## Findings (written by hand after reading the tables above)", "", findings.trimEnd(), ""]),
  ].join("\n");
}
