/**
 * REPRODUCTION.md's section on the learning family (issue #14): does a search's policy learn
 * anything that the same search with its policy frozen at its initial weights (and, for SCALL,
 * every id at the uniform size) does not, at equal bytes?
 *
 * Per (data set, protocol): the budget every variant was held to, each variant's plan bytes, the
 * search's own online figures and the retrained plan's, mean ± sd over the seeds; then learned
 * against frozen, and SCALL's learned against uniform, on each figure, with Δ and the spread
 * (orderings.ts), and a count per pair over every group. Runs the suite plans that e2e.json lacks
 * are named with the reason (data absent, failed, not run), never filled in.
 */
import type { E2eResults } from "./e2e_results.js";
import { formats, meanSpread, protocolNames, table, verdictLine } from "./markdown_figures.js";
import { checkPair, type PairCheck } from "./orderings.js";
import type { RunRecord, RunSpec } from "./run_record.js";
import { rowKey, summarize, type FigureName, type SummaryRow } from "./seed_summary.js";
import { buildSuite, equalBudgetMeanSize, learningLabel, learningSearches } from "./suite.js";

interface FigureColumn {
  figure: FigureName;
  /** What the figure is, without the model it measures. */
  what: string;
  /** The model the figure measures: the search's own online one, or the returned plan retrained. */
  model: "search" | "plan";
  format: (x: number) => string;
}

const modelNames: Record<FigureColumn["model"], string> = { search: "search's own", plan: "retrained plan's" };

/** Each task's figures: the search's own online model first, then the retrained plan (result.metrics). */
const columns: Record<"binary" | "implicit", FigureColumn[]> = {
  binary: [
    { figure: "accuracy", what: "online accuracy (%)", model: "search", format: formats.percent },
    { figure: "loss", what: "online loss", model: "search", format: formats.loss },
    { figure: "planAccuracy", what: "accuracy (%)", model: "plan", format: formats.percent },
    { figure: "planLoss", what: "loss", model: "plan", format: formats.loss },
  ],
  implicit: [
    { figure: "streamRecall20", what: "Recall@20 (mean over segments)", model: "search", format: formats.auc },
    { figure: "streamNdcg20", what: "NDCG@20 (mean over segments)", model: "search", format: formats.auc },
    { figure: "recall20", what: "Recall@20", model: "plan", format: formats.auc },
    { figure: "ndcg20", what: "NDCG@20", model: "plan", format: formats.auc },
  ],
};

const columnName = (column: FigureColumn) => `${modelNames[column.model]} ${column.what}`;

/** The pairs the section checks: (the control, the learned policy), per search. */
const pairs = learningSearches.flatMap(({ name, task, policies }) =>
  policies.filter((policy) => policy !== "learned").map((control) => ({
    name: `${name}, learned vs ${control}`, task, worse: learningLabel(name, control), better: learningLabel(name, "learned"),
  })));

const bytesFormat = (x: number) => Math.round(x).toLocaleString("en-US");

/** Why a planned run has no record. */
function absence(spec: RunSpec, results: E2eResults): string {
  if (results.skipped.includes(spec.dataset)) return "data absent";
  return results.failures.some((failure) => failure.id === spec.id) ? "failed" : "not run";
}

/**
 * The planned runs that have no record, by reason and seeds: "SCALL (frozen), SCALL (uniform):
 * seeds 2, 3 (failed)", or "every variant: …" when none of the group's variants is there.
 */
function missingRuns(planned: readonly RunSpec[], records: readonly RunRecord[], results: E2eResults): string[] {
  const labelsBy = new Map<string, string[]>();
  for (const label of new Set(planned.map((spec) => spec.label))) {
    const absent = planned.filter((spec) => spec.label === label &&
      !records.some((record) => record.spec.seed === spec.seed && rowKey(record.spec) === rowKey(spec)));
    for (const reason of new Set(absent.map((spec) => absence(spec, results)))) {
      const seeds = absent.filter((spec) => absence(spec, results) === reason).map((spec) => spec.seed);
      const key = `seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")} (${reason})`;
      labelsBy.set(key, [...(labelsBy.get(key) ?? []), label]);
    }
  }
  const variants = new Set(planned.map((spec) => spec.label)).size;
  return [...labelsBy].map(([key, labels]) => `${labels.length === variants && variants > 1 ? "every variant" : labels.join(", ")}: ${key}`);
}

/** The budget line: the one budget every run of the group was held to, or each run's when they differ. */
function budgetLine(records: readonly RunRecord[], ids: number): { line: string; bytes?: number } {
  const budgets = [...new Set(records.map((record) => record.budgetBytes))];
  if (budgets.length === 1 && budgets[0] !== undefined) {
    return { bytes: budgets[0], line: `Budget: ${bytesFormat(budgets[0])} bytes for every variant and seed (a mean size of ` +
      `${equalBudgetMeanSize} floats per id over ${ids.toLocaleString("en-US")} ids).` };
  }
  return { line: `**The runs were not held to one budget:** ${records.map((record) =>
    `${record.spec.label} seed ${record.spec.seed} ${record.budgetBytes === undefined ? "none recorded" : bytesFormat(record.budgetBytes)}`).join("; ")}.` };
}

function variantTable(rows: readonly SummaryRow[], task: "binary" | "implicit", budgetBytes: number | undefined): string[] {
  const labels = learningSearches.filter((search) => search.task === task)
    .flatMap(({ name, policies }) => policies.map((policy) => learningLabel(name, policy)))
    .filter((label) => rows.some((row) => row.label === label));
  if (labels.length === 0) return [];
  const header = ["Variant", "Plan bytes", "Of the budget", ...columns[task].map((column) => columnName(column).replace(/^./, (c) => c.toUpperCase()))];
  return table(header, labels.map((label) => {
    const f = rows.find((row) => row.label === label)!.figures;
    const share = budgetBytes === undefined || f.bytes === undefined ? "–" : formats.ratio(f.bytes.mean / budgetBytes);
    return [label, meanSpread(f.bytes, bytesFormat), share, ...columns[task].map((column) => meanSpread(f[column.figure], column.format))];
  }));
}

/** How a pair's checks on one model's figures went: learned ahead beyond the spread, within it (either way), equal, behind beyond it. */
function tally(checks: readonly PairCheck[]): string {
  const count = (verdict: PairCheck["verdict"]) => checks.filter((check) => check.verdict === verdict).length;
  if (checks.length === 0) return "nothing to compare";
  const equal = count("equal");
  return `learned ahead beyond the spread in ${count("as claimed, beyond spread")} of ${checks.length}, within the spread in ` +
         `${count("as claimed, within spread") + count("reversed, within spread")}${equal === 0 ? "" : `, equal in ${equal}`}, ` +
         `behind beyond it in ${count("reversed, beyond spread")}`;
}

export function learningSection(results: E2eResults): string[] {
  const lines = ["## 6. Do the search policies learn? (learned against frozen, at equal bytes)", "",
    "Each search with its policy learning (\"learned\") and kept at its initial weights (\"frozen\"): ESAPN on the",
    "binary stream with each reward (\"immediate\", the reference's; \"delayed\", at the id's next occurrence), trained",
    "as in section 1 (batch 250, Adam 5e-4), and SCALL on implicit feedback with section 4's bounded settings; beside",
    "SCALL its \"uniform\" mode, every id at ⌊P/(|U|+|V|)⌋ in SCALL's own stream protocol. On the shuffled split every",
    "method reads the data in the protocol's one permutation (its timestamps), the same for every seed.",
    `Every variant of a data set, protocol and seed is held to the same budget, a mean size of ${equalBudgetMeanSize} floats per id:`,
    "ESAPN keeps its live table within it at every batch, SCALL meets it by construction. Plan bytes are each final",
    "plan's Σ d_i · 4. The search's own figures come from the search's own online model (ESAPN: each test-tail batch",
    "scored before its step; SCALL: the mean over its segments 1..T); the retrained plan's are result.metrics, the",
    "final plan trained from scratch by the common protocol (sections 1 and 4). Mean ± standard deviation over the seeds.", ""];
  const planned = buildSuite(results.profile, results.seeds).runs.filter((spec) => spec.family === "learning");
  const records = results.records.filter((record) => record.spec.family === "learning");
  const rows = summarize(records);
  /** Each pair's checks over every group, by the model the figure measures. */
  const checks = new Map(pairs.map((pair) => [pair.name, { search: [] as PairCheck[], plan: [] as PairCheck[] }]));
  if (records.length === 0) {
    lines.push("No run of this family is in e2e.json yet: `node dist/bench/e2e/main.js --families learning --merge` runs it",
               "and merges it into the results.", "");
  }
  const groupKeys = [...new Set([...planned, ...records.map((record) => record.spec)].map((spec) => `${spec.dataset}|${spec.protocol}`))];
  for (const key of groupKeys) {
    const inGroup = (spec: RunSpec) => `${spec.dataset}|${spec.protocol}` === key;
    const group = { planned: planned.filter(inGroup), records: records.filter((record) => inGroup(record.spec)),
                    rows: rows.filter((row) => `${row.dataset}|${row.protocol}` === key) };
    const { dataset, protocol } = (group.planned[0] ?? group.records[0]!.spec);
    const title = `${dataset}, ${protocolNames[protocol]}`;
    lines.push(`### ${title}`, "");
    const missing = missingRuns(group.planned, group.records, results);
    if (group.records.length === 0) {
      lines.push(`No run of this group is in e2e.json: ${missing.join("; ")}.`, "");
      continue;
    }
    const ids = Object.values(group.records[0]!.tables).reduce((sum, side) => sum + side.ids, 0);
    const budget = budgetLine(group.records, ids);
    lines.push(budget.line, "");
    for (const task of ["binary", "implicit"] as const) {
      const tableLines = variantTable(group.rows, task, budget.bytes);
      if (tableLines.length > 0) lines.push(task === "binary" ? "ESAPN, binary task:" : "SCALL, implicit feedback:", "", ...tableLines, "");
    }
    if (missing.length > 0) lines.push(`**Not in e2e.json** (no figures above stand for them): ${missing.join("; ")}.`, "");
    lines.push("Learned against each control, figure by figure:", "");
    for (const pair of pairs) {
      const absent = [pair.worse, pair.better].filter((label) => !group.rows.some((row) => row.label === label));
      if (absent.length > 0) lines.push(`- ${pair.name}: not compared, ${absent.join(" and ")} ${absent.length > 1 ? "have" : "has"} no run here`);
      for (const column of columns[pair.task]) {
        const check = checkPair(group.rows, pair.worse, pair.better, column.figure);
        if (check === undefined) continue;
        checks.get(pair.name)![column.model].push(check);
        lines.push(`- ${columnName(column)}: ${verdictLine(check, column.format)}`);
      }
    }
    lines.push("");
  }
  lines.push("### Does learning help, beyond the spread?", "",
    "Over every data set and protocol above. \"As claimed\" means the learned policy is ahead (higher accuracy,",
    "Recall@20 or NDCG@20; lower loss); a difference counts as beyond the spread when it exceeds the sum of the two",
    "standard deviations.", "",
    ...(rows.some((row) => row.seeds.length < 2)
      ? ["**Some rows have a single seed, so no spread:** any difference of theirs reads as beyond it.", ""] : []),
    ...pairs.map((pair) => `- ${pair.name}: on the search's own figures, ${tally(checks.get(pair.name)!.search)}; ` +
      `on the retrained plans, ${tally(checks.get(pair.name)!.plan)}.`), "");
  return lines;
}
