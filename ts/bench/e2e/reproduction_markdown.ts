/**
 * bench/results/REPRODUCTION.md from e2e.json: the ESAPN slides' tables (accuracy and loss of
 * FIXED, DARTS, AutoEmb and ESAPN on both tasks; ESAPN's memory table) rebuilt from this run,
 * the same ordering question for AutoDim against FIXED and MDE and for SCALL against FIXED at
 * an equal budget, each ordering's verdict with the seed spread, the cost of every run, and
 * whether the searches' policies beat themselves frozen (learning_section.ts).
 * Every number and verdict is generated from the results; the findings written by hand after
 * reading them are passed in and set apart under their own heading.
 */
import { formatBytes } from "../../cli/progress_reporter.js";
import { describeRun } from "../machine.js";
import { ml20mShape } from "./datasets.js";
import type { E2eResults, MergedRuns } from "./e2e_results.js";
import { formats, groups, meanSpread, protocolNames, table, verdictLine } from "./markdown_figures.js";
import { learningSection } from "./learning_section.js";
import { checkChain, checkPair, type ChainCheck } from "./orderings.js";
import type { FigureName, SummaryRow } from "./seed_summary.js";
import { equalBudgetMeanSize, esapnFrozenPolicy, fixedAtEsapnBytes } from "./suite.js";

/** The slides' own tables (../shared/papers/esapn-slides.txt), for comparison: accuracy in %. */
const slides = {
  accuracy: [
    { dataset: "ml-20m", rows: [["FIXED", 72.13, 0.1845, 49.45, 1.1517], ["DARTS", 72.18, 0.1836, 49.85, 1.1423],
                                ["AutoEmb", 72.27, 0.1828, 49.94, 1.1399], ["ESAPN", 72.98, 0.1785, 51.10, 1.1126]] },
    { dataset: "ml-latest", rows: [["FIXED", 72.13, 0.1845, 50.01, 1.1414], ["DARTS", 72.22, 0.1834, 50.46, 1.1304],
                                   ["AutoEmb", 72.36, 0.1823, 50.47, 1.1311], ["ESAPN", 72.88, 0.1790, 51.11, 1.1147]] },
  ],
  memory: [
    ["user (ml-20m)", 1041, 10854, 18146, 30836, 22830, 54786, 9157770, 17727104, "51.66%"],
    ["movie (ml-20m)", 17032, 216, 380, 623, 2237, 6790, 1060224, 3491584, "30.37%"],
    ["user (ml-latest)", 62808, 83190, 31450, 22778, 31613, 51389, 9675448, 36253184, "26.69%"],
    ["movie (ml-latest)", 45430, 2089, 2006, 1678, 1545, 5350, 925792, 7436544, "12.45%"],
  ],
} as const;

const ratingLabels = ["FIXED", "DARTS", "AutoEmb", "ESAPN"] as const;
const ratingTableLabels = [...ratingLabels, fixedAtEsapnBytes, esapnFrozenPolicy];

/** A row's mean size per id: its bytes over 4 × its ids. */
function meanSize(row: SummaryRow): number {
  const ids = Object.values(row.tables).reduce((sum, table) => sum + table.ids, 0);
  return (row.figures.bytes?.mean ?? 0) / (4 * ids);
}

function chainLine(check: ChainCheck, format: (x: number) => string): string {
  const claim = check.holdsBeyondSpread ? "**holds beyond the seed spread**"
    : check.holdsInMeans ? "holds in the means, **not beyond the seed spread**" : "**does not hold**";
  return `${claim}. Observed: ${check.observed}. Steps: ${check.steps.map((step) => verdictLine(step, format)).join("; ")}.`;
}

/** The claimed chain FIXED < DARTS ≤ AutoEmb < ESAPN, on one group's rows of one task. */
function ratingChains(rows: readonly SummaryRow[]): { accuracy?: ChainCheck; loss?: ChainCheck } {
  const strict = [true, false, true];
  const accuracy = checkChain(rows, ratingLabels, strict, "accuracy", formats.percent);
  const loss = checkChain(rows, ratingLabels, strict, "loss", formats.loss);
  return { ...(accuracy === undefined ? {} : { accuracy }), ...(loss === undefined ? {} : { loss }) };
}

function ratingSection(results: E2eResults): string[] {
  const lines = ["## 1. Accuracy and loss: FIXED, DARTS, AutoEmb, ESAPN (the slides' first table)", "",
    "Accuracy in %, mean ± standard deviation over the seeds; loss is the mean (σ(z) − y)² for the binary task and the",
    "cross-entropy for five classes. DARTS, AutoEmb and ESAPN are scored as in the slides: their own model, online on",
    "the stream's last 25% (each batch scored before the step, training on). No budget: FIXED is every id at 128.", ""];
  const verdicts: string[] = [];
  const equalMemory: string[] = [];
  const frozenPolicy: string[] = [];
  for (const group of groups(results.rows, "rating")) {
    const cell = (label: string, task: string, metric: FigureName, format: (x: number) => string) =>
      meanSpread(group.rows.find((r) => r.label === label && r.task === task)?.figures[metric], format);
    const stream = results.streams.find((st) => st.dataset === group.dataset && st.protocol === group.protocol);
    lines.push(`### ${group.dataset}, ${protocolNames[group.protocol]}`, "",
      ...(stream === undefined ? [] : [`Test tail: ${stream.testRows.toLocaleString("en-US")} ratings, ${formats.ratio(stream.unseenUserShare)} by ` +
        `users and ${formats.ratio(stream.unseenItemShare)} of items the training head never saw.`, ""]),
      ...table(["Models", "Binary accuracy (%)", "MSE loss", "Multiclass accuracy (%)", "CE loss"],
        ratingTableLabels.filter((label) => group.rows.some((r) => r.label === label)).map((label) => [label, cell(label, "binary", "accuracy", formats.percent), cell(label, "binary", "loss", formats.loss),
          cell(label, "multiclass", "accuracy", formats.percent), cell(label, "multiclass", "loss", formats.loss)])), "");
    for (const task of ["binary", "multiclass"] as const) {
      const chains = ratingChains(group.rows.filter((r) => r.task === task));
      if (chains.accuracy !== undefined) verdicts.push(`- ${group.dataset}, ${protocolNames[group.protocol]}, ${task}, accuracy: ${chainLine(chains.accuracy, formats.percent)}`);
      if (chains.loss !== undefined) verdicts.push(`- ${group.dataset}, ${protocolNames[group.protocol]}, ${task}, loss: ${chainLine(chains.loss, formats.loss)}`);
      const taskRows = group.rows.filter((r) => r.task === task);
      const control = taskRows.find((r) => r.label === fixedAtEsapnBytes);
      for (const [metric, format] of [["accuracy", formats.percent], ["loss", formats.loss]] as const) {
        const check = checkPair(taskRows, fixedAtEsapnBytes, "ESAPN", metric);
        if (check !== undefined && control !== undefined) {
          equalMemory.push(`- ${group.dataset}, ${protocolNames[group.protocol]}, ${task}, ${metric} (FIXED at d ≈ ` +
                           `${meanSize(control).toFixed(0)}): ${verdictLine(check, format)}`);
        }
        const frozen = checkPair(taskRows, esapnFrozenPolicy, "ESAPN", metric);
        if (frozen !== undefined) frozenPolicy.push(`- ${group.dataset}, ${protocolNames[group.protocol]}, ${task}, ${metric}: ${verdictLine(frozen, format)}`);
      }
    }
  }
  lines.push("### The slides, for comparison", "");
  for (const { dataset, rows } of slides.accuracy) {
    lines.push(`${dataset}:`, "", ...table(["Models", "Binary accuracy (%)", "MSE loss", "Multiclass accuracy (%)", "CE loss"],
      rows.map(([label, ...values]) => [label, ...values.map((v, c) => v.toFixed(c % 2 === 0 ? 2 : 4))])), "");
  }
  lines.push("### Does FIXED < DARTS ≤ AutoEmb < ESAPN hold?", "",
    "On accuracy (and the reverse on loss). A step counts beyond the spread when the difference of the means exceeds",
    "the sum of the two standard deviations.", "", ...verdicts, "",
    `ESAPN against FIXED at equal memory ("${fixedAtEsapnBytes}": every id at the one size ESAPN's final plan pays for,`,
    "seed by seed):", "", ...equalMemory, "",
    `ESAPN against "${esapnFrozenPolicy}", whose policies never learn: does the learned policy matter?`, "", ...frozenPolicy, "");
  lines.push("### The same plans retrained under the FIXED protocol", "",
    "Each method's final plan, trained from scratch by runRatingExperiment as FIXED is:",
    "what the sizes are worth apart from the search's own online model.", "");
  for (const group of groups(results.rows, "rating")) {
    const cell = (label: string, task: string, metric: FigureName, format: (x: number) => string) =>
      meanSpread(group.rows.find((r) => r.label === label && r.task === task)?.figures[metric], format);
    lines.push(`${group.dataset}, ${protocolNames[group.protocol]}:`, "",
      ...table(["Plan of", "Binary accuracy (%)", "MSE loss", "Multiclass accuracy (%)", "CE loss"],
        ratingTableLabels.filter((label) => group.rows.some((r) => r.label === label)).map((label) => [label, cell(label, "binary", "planAccuracy", formats.percent),
          cell(label, "binary", "planLoss", formats.loss), cell(label, "multiclass", "planAccuracy", formats.percent),
          cell(label, "multiclass", "planLoss", formats.loss)])), "");
  }
  return lines;
}

/**
 * How the frozen-policy control was made, read from its runs' settings: results from before ESAPN
 * had settings.policy froze it with Adam steps of 1e-12.
 */
function frozenPolicyMeans(results: E2eResults): string {
  const settings = results.records.find((record) => record.spec.label === esapnFrozenPolicy)?.spec.settings;
  return settings?.policy === "frozen" ? "keep their initial weights (settings.policy \"frozen\")"
    : `never learn (Adam steps of ${String(settings?.policyLearningRate)})`;
}

function memorySection(results: E2eResults): string[] {
  const lines = ["## 2. ESAPN's memory table", "",
    "Ids at each size (the mean over the seeds), the total dim Σ d_i, the FIXED total (ids × 128) and the ratio",
    "(mean ± standard deviation over the seeds), per side, as in the slides. \"Frozen policy\": ESAPN whose policies",
    `${frozenPolicyMeans(results)}, the diagnosis of section 1.`, ""];
  const sizes = [2, 4, 8, 16, 64, 128];
  const header = ["", ...sizes.map(String), "Total dim", "FIXED", "Ratio"];
  for (const group of groups(results.rows, "rating")) {
    const esapn = group.rows.filter((r) => r.label === "ESAPN" || r.label === esapnFrozenPolicy);
    if (esapn.length === 0) continue;
    lines.push(`### ${group.dataset}, ${protocolNames[group.protocol]}`, "");
    const rows: string[][] = [];
    for (const row of esapn) {
      for (const [name, side] of Object.entries(row.tables)) {
        rows.push([`${name === "users" ? "user" : name === "items" ? "item" : name} (${row.task}${row.label === "ESAPN" ? "" : ", frozen policy"})`,
          ...sizes.map((d) => Math.round(side.idsAtSize[d] ?? 0).toLocaleString("en-US")),
          Math.round(side.totalDim.mean).toLocaleString("en-US"), (side.ids * row.referenceSize).toLocaleString("en-US"),
          meanSpread(side.ratio, formats.ratio)]);
      }
    }
    lines.push(...table(header, rows), "");
  }
  lines.push("### The slides, for comparison", "", ...table(header, slides.memory.map((row) => row.map((v) => typeof v === "number" ? v.toLocaleString("en-US") : v))), "");
  return lines;
}

function budgetSection(results: E2eResults, family: "ctr" | "implicit"): string[] {
  const ctr = family === "ctr";
  const lines = ctr
    ? ["## 3. AutoDim against FIXED and MDE at an equal budget", "",
       `AUC and log loss on the held-out 10% (ctrSplit, rows shuffled), every plan retrained as DeepFM by the same code`,
       `(plan_evaluation.ts). Candidates {2, 4, 8, 16, 32, 64}; "equal budget" is a mean size of ${equalBudgetMeanSize} per id`,
       `(ratio ${equalBudgetMeanSize / 64}), where FIXED lands exactly; FIXED at 64 is shown for reference. MovieLens and`,
       "synthetic-ml20m enter as two fields (user, item; a click is a rating above 3.5).", ""]
    : ["## 4. SCALL against FIXED at an equal budget", "",
       `Recall@20 and NDCG@20. Equal budget: a mean size of ${equalBudgetMeanSize} per id (SCALL meets it exactly; FIXED is`,
       `every id at ${equalBudgetMeanSize}). "Common protocol": LightGCN trained on the first 80% in time with the plan, ranked on`,
       "the last 20% (plan_evaluation.ts), the same code for both plans. \"SCALL's stream\": SCALL's own figure, the",
       "mean over its segments 1..T, which has no FIXED counterpart in mixdim (see Findings).", ""];
  const checks: string[] = [];
  for (const group of groups(results.rows, family)) {
    lines.push(`### ${group.dataset}${ctr ? "" : `, ${protocolNames[group.protocol]}`}`, "");
    const header = ctr ? ["Models", "AUC", "Log loss", "Embedding bytes", "Ratio"]
      : ["Models", "Recall@20", "NDCG@20", "SCALL's stream Recall@20", "SCALL's stream NDCG@20", "Embedding bytes", "Ratio"];
    lines.push(...table(header, group.rows.map((row) => {
      const f = row.figures;
      const common = [formatBytes(Math.round(f.bytes?.mean ?? 0)), meanSpread(f.ratio, formats.ratio)];
      return ctr ? [row.label, meanSpread(f.auc, formats.auc), meanSpread(f.logLoss, formats.loss), ...common]
        : [row.label, meanSpread(f.recall20, formats.auc), meanSpread(f.ndcg20, formats.auc),
           meanSpread(f.streamRecall20, formats.auc), meanSpread(f.streamNdcg20, formats.auc), ...common];
    })), "");
    const pairs: [string, string, FigureName][] = ctr
      ? [["FIXED (equal budget)", "AutoDim", "auc"], ["FIXED (equal budget)", "AutoDim", "logLoss"],
         ["MDE", "AutoDim", "auc"], ["MDE", "AutoDim", "logLoss"], ["FIXED", "AutoDim", "auc"], ["FIXED", "AutoDim", "logLoss"]]
      : [["FIXED (equal budget)", "SCALL", "recall20"], ["FIXED (equal budget)", "SCALL", "ndcg20"]];
    for (const [worse, better, metric] of pairs) {
      const check = checkPair(group.rows, worse, better, metric);
      if (check !== undefined) checks.push(`- ${group.dataset}, ${metric}: ${verdictLine(check, formats.auc)}`);
    }
  }
  lines.push(`### Does ${ctr ? "AutoDim beat FIXED and MDE" : "SCALL beat FIXED"}?`, "", ...checks, "");
  return lines;
}

function costSection(results: E2eResults): string[] {
  const rows = results.rows.map((row) => {
    const f = row.figures;
    const sides = Object.entries(row.tables);
    const ratios = sides.length > 2 ? meanSpread(f.ratio, formats.ratio) + " (all fields)"
      : sides.map(([name, side]) => `${name} ${meanSpread(side.ratio, formats.ratio)}`).join(", ");
    return [row.label, row.dataset, row.task, row.protocol, meanSpread(f.samplesPerSecond, (x) => Math.round(x).toLocaleString("en-US")),
      meanSpread(f.peakRssBytes, (x) => (x / 2 ** 20).toFixed(0)), formatBytes(Math.round(f.bytes?.mean ?? 0)), ratios,
      meanSpread(f.seconds, (x) => x.toFixed(1))];
  });
  return ["## 5. Cost of every run", "",
    "Samples/s: rating tasks, training samples per second over the stream's training head (each method's own",
    "stream, as bench:esapn measures it); CTR and implicit, rows of the data set per second of the whole run (search,",
    "retraining, evaluation). Peak RSS: the worker process's peak resident set (one process per run, data loading",
    "included). Embedding bytes: Σ d_i · 4 of the final plan; ratio: Σ d_i / (ids × FIXED's full size), per side, with",
    "FIXED's full size 128 for rating streams and implicit feedback (SCALL's sizes reach 256) and 64 for CTR.", "",
    ...table(["Method", "Data set", "Task", "Protocol", "Samples/s", "Peak RSS (MiB)", "Embedding bytes", "Ratio per side", "Seconds"], rows,
      ["---", "---", "---", "---", "--:", "--:", "--:", "---", "--:"]), ""];
}

/** Each data set the runs used: its rows and, for ratings, its users and items, per family where they differ. */
function dataDescription(results: E2eResults): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const names = [...new Set(results.records.map((record) => record.spec.dataset))];
  return names.map((name) => {
    const records = results.records.filter((record) => record.spec.dataset === name);
    const variants = [...new Set(records.map((record) => record.rows))].map((rows) => {
      const same = records.filter((record) => record.rows === rows);
      const ratings = same.find((record) => record.tables.users !== undefined);
      const ids = ratings === undefined ? "" : `, ${count(ratings.tables.users!.ids)} users, ${count(ratings.tables.items!.ids)} items`;
      const families = [...new Set(same.map((record) => record.spec.family))].join(", ");
      return `${count(rows)} rows${ids}${records.length === same.length ? "" : ` (${families})`}`;
    });
    const drawn = name === "synthetic-ml20m"
      ? ` drawn over ml-20m's ${count(ml20mShape.numUsers)} users and ${count(ml20mShape.numItems)} items (Zipf ${ml20mShape.zipfExponent})`
      : name === "synthetic-ctr" ? " of 8 categorical fields" : "";
    return `${name}, ${variants.join("; ")}${drawn}`;
  }).join(". ") + (results.scale.limit === undefined ? "" : ` (each the first ${count(results.scale.limit)} rows in time at most)`);
}

/** A subset merged in later (--merge): which runs, and when and where they ran, apart from the suite's. */
function mergeLine(merge: MergedRuns): string {
  const { families, datasets, seeds } = merge.selection;
  const which = [families === undefined ? "every family" : `the ${families.join(", ")} famil${families.length > 1 ? "ies" : "y"}`,
                 ...(datasets === undefined ? [] : [`on ${datasets.join(", ")}`]), ...(seeds === undefined ? [] : [`seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")}`])];
  return `Run again later and merged in (--merge), replacing the suite's runs of it: ${which.join(", ")}: ${merge.runs} runs` +
    `${merge.failures === 0 ? "" : ` and ${merge.failures} failed`}. ${describeRun(merge.date, merge.machine)} ` +
    `Load average at the end: ${JSON.stringify(merge.loadAverageAtEnd)}; they took ${(merge.durationSeconds / 60).toFixed(1)} minutes.`;
}

export function reproductionMarkdown(results: E2eResults, findings?: string): string {
  const lines = [
    "# Reproducing the ESAPN slides, and the same question for AutoDim and SCALL",
    "",
    "Generated by `npm run bench:e2e` (ts/bench/e2e/) from bench/results/e2e.json: every figure and verdict below",
    "comes from that file; only the Findings section at the end is written by hand.",
    "",
    describeRun(results.date, results.machine) +
      ` Load average at the end: ${JSON.stringify(results.loadAverageAtEnd)}. Profile "${results.profile}", seeds ${results.seeds.join(", ")}; ` +
      `the suite took ${(results.durationSeconds / 60).toFixed(1)} minutes, one run at a time, each in its own process.`,
    "",
    ...(results.merges ?? []).flatMap((merge) => [mergeLine(merge), ""]),
    `Data: ${dataDescription(results)}.${results.skipped.length === 0 ? "" : ` Skipped (file absent): ${results.skipped.join(", ")}.`}` +
      `${results.failures.length === 0 ? "" : ` **Failed runs: ${results.failures.map((f) => f.id).join(", ")}.**`}`,
    "",
    "Protocols (methods.md B §3): the time-ordered stream (mixdim's default) and the shuffled split (the ESAPN",
    "reference's random order, one fixed permutation for every seed). Rating streams: the first 75% trains in one",
    "pass, the last 25% is scored online. Every method trains its recommender with batch 250 and Adam 5e-4.",
    "",
    ...ratingSection(results),
    ...memorySection(results),
    ...budgetSection(results, "ctr"),
    ...budgetSection(results, "implicit"),
    ...costSection(results),
    ...learningSection(results),
  ];
  if (findings !== undefined && findings.trim() !== "") {
    lines.push("---", "", "## Findings (written by hand after reading the results above)", "", findings.trim(), "");
  }
  return lines.join("\n");
}
