/**
 * `npm run bench:e2e`: every method on every data set (suite.ts), each run in its own worker
 * process, one at a time so that the timings are not disturbed by each other. Writes e2e.json,
 * REPRODUCTION.md and the HTML pages (html_report.ts; a page over 2 MiB goes to the scratch folder
 * instead) to bench/results/ (a whole full run) or to a scratch folder (--quick, --tiny, or a
 * subset of data sets, families or seeds), or to --out.
 *
 *   node dist/bench/e2e/main.js [--quick | --tiny] [--out DIR] [--datasets a,b] [--families rating,ctr,implicit,learning] [--seeds 1,2,3]
 *   node dist/bench/e2e/main.js --rewrite-markdown [--out DIR]    REPRODUCTION.md again from DIR/e2e.json
 *   node dist/bench/e2e/main.js --report-only [...]              the HTML pages alone (their runs only)
 *   node dist/bench/e2e/main.js --families learning --merge      that family again, merged into bench/results
 *
 * --merge runs the selection (--families, --datasets, --seeds) and merges it into the results in
 * --out, or bench/results/ without it (results_merge.ts): its runs replace every run of the
 * selection there, every other run is kept, and e2e.json and REPRODUCTION.md are written again.
 * The profile must be the one those results were made with (the full one for bench/results/).
 * The HTML pages are left as the whole run wrote them. So the learning family (issue #14, 84 runs)
 * joins the committed results without the hour of the whole suite:
 *
 *   npm run build:ts && node dist/bench/e2e/main.js --families learning --merge
 *
 * The hand-written findings are read from bench/results/e2e.findings.md and set at the end of
 * REPRODUCTION.md under their own heading.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseArgs } from "node:util";

import { writeReport } from "../../report/report.js";
import { describeMachine } from "../machine.js";
import { resultsDirectory } from "../results_files.js";
import { datasetAvailable, datasetNames, loadDataset } from "./datasets.js";
import { dataDirectory } from "../movielens_files.js";
import type { E2eResults, RunSelection } from "./e2e_results.js";
import { headlineDataset, isHeadline, reportPages, type KeptRun } from "./html_report.js";
import { reproductionMarkdown } from "./reproduction_markdown.js";
import { mergeRefusal, mergeResults } from "./results_merge.js";
import type { RunRecord, RunSpec } from "./run_record.js";
import { rowKey, summarize } from "./seed_summary.js";
import { streamStatistics, type StreamStatistics } from "./stream_statistics.js";
import { buildSuite, type Profile } from "./suite.js";

const run = promisify(execFile);
const workerPath = fileURLToPath(new URL("./worker.js", import.meta.url));
/** A report larger than this is not committed: it goes to the scratch folder instead. */
const committedReportLimit = 2 * 2 ** 20;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    tiny: { type: "boolean", default: false },
    out: { type: "string" },
    datasets: { type: "string" },
    families: { type: "string" },
    seeds: { type: "string" },
    "rewrite-markdown": { type: "boolean", default: false },
    "report-only": { type: "boolean", default: false },
    merge: { type: "boolean", default: false },
  },
});
const findingsFile = path.join(resultsDirectory, "e2e.findings.md");
const findings = () => existsSync(findingsFile) ? readFileSync(findingsFile, "utf8") : undefined;

/** The statistics of every rating stream the runs used (the data loaded once more, without a limit beyond the run's). */
async function ratingStreams(runs: readonly RunSpec[]): Promise<StreamStatistics[]> {
  const streams: StreamStatistics[] = [];
  for (const spec of runs.filter((run) => run.family === "rating")) {
    if (streams.some((s) => s.dataset === spec.dataset && s.protocol === spec.protocol)) continue;
    const data = await loadDataset(dataDirectory, spec.dataset, spec.protocol, spec.scale);
    streams.push(streamStatistics(data, spec.dataset, spec.protocol));
  }
  return streams;
}

// --rewrite-markdown: REPRODUCTION.md again from the e2e.json there is (after editing the findings), running nothing.
if (flags["rewrite-markdown"]) {
  const directory = path.resolve(flags.out ?? resultsDirectory);
  const file = path.join(directory, "e2e.json");
  const results = JSON.parse(readFileSync(file, "utf8")) as E2eResults;
  if (results.streams === undefined) {
    // Results from before streams were recorded: the statistics depend on the data alone.
    results.streams = await ratingStreams(results.records.map((record) => record.spec));
    writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  }
  writeFileSync(path.join(directory, "REPRODUCTION.md"), reproductionMarkdown(results, findings()));
  console.log(`wrote ${path.join(directory, "REPRODUCTION.md")}`);
  process.exit(0);
}

const profile: Profile = flags.tiny ? "tiny" : flags.quick ? "quick" : "full";
const list = (value: string | undefined) => value?.split(",").map((s) => s.trim()).filter((s) => s !== "");
const seeds = list(flags.seeds)?.map(Number);
const suite = buildSuite(profile, seeds);
const wantedDatasets = list(flags.datasets);
const wantedFamilies = list(flags.families);
for (const name of wantedDatasets ?? []) {
  if (!(datasetNames as readonly string[]).includes(name)) throw new RangeError(`--datasets: unknown data set "${name}" (${datasetNames.join(", ")})`);
}
const skipped = datasetNames.filter((name) => !datasetAvailable(dataDirectory, name));
for (const name of skipped) console.log(`${name}: skipped, its file is absent from ${dataDirectory}`);
const wanted = suite.runs.filter((spec) => !skipped.includes(spec.dataset) &&
  (wantedDatasets === undefined || wantedDatasets.includes(spec.dataset)) &&
  (wantedFamilies === undefined || wantedFamilies.includes(spec.family)));
const ratingDataset = headlineDataset(wanted);
// --report-only: the report pages' runs alone (the first seed of each headline group), which give the same plans.
const runs = flags["report-only"] ? wanted.filter((spec) => spec.seed === suite.seeds[0] && isHeadline(spec, ratingDataset)) : wanted;

// --merge: the results the runs join, read (and checked) before anything runs.
const mergeTarget = flags.merge ? path.resolve(flags.out ?? resultsDirectory) : undefined;
const selection: RunSelection = { ...(wantedFamilies === undefined ? {} : { families: wantedFamilies }),
  ...(wantedDatasets === undefined ? {} : { datasets: wantedDatasets }), ...(seeds === undefined ? {} : { seeds }) };
let mergeInto: E2eResults | undefined;
if (mergeTarget !== undefined) {
  if (flags["report-only"]) throw new RangeError("--merge and --report-only: --report-only writes no results to merge");
  const file = path.join(mergeTarget, "e2e.json");
  if (!existsSync(file)) throw new RangeError(`--merge: there are no results to merge into (${file} is absent)`);
  mergeInto = JSON.parse(readFileSync(file, "utf8")) as E2eResults;
  const refusal = mergeRefusal(mergeInto, profile);
  if (refusal !== undefined) throw new RangeError(`--merge into ${file}: ${refusal}`);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), "mixdim-e2e-"));
// Only a whole full run (or a merge) replaces the committed results; anything less goes to the scratch folder unless --out says otherwise.
const whole = profile === "full" && wantedDatasets === undefined && wantedFamilies === undefined && seeds === undefined;
const outDirectory = mergeTarget ?? path.resolve(flags.out ?? (whole ? resultsDirectory : path.join(scratch, "results")));
mkdirSync(outDirectory, { recursive: true });

const date = new Date().toISOString();
const machine = describeMachine();
const started = performance.now();
const records: RunRecord[] = [];
const kept: KeptRun[] = [];
const failures: E2eResults["failures"] = [];
console.log(`${runs.length} runs (${profile}), one at a time`);
/** The run a budgetBytesOf names: the same group and seed, run before it (suite.ts orders them so). */
function budgetBytesOf(spec: RunSpec): number | undefined {
  if (spec.budgetBytesOf === undefined) return undefined;
  const source = records.find(({ spec: other }) => other.label === spec.budgetBytesOf && other.seed === spec.seed &&
    rowKey(other) === rowKey({ ...spec, label: spec.budgetBytesOf! }));
  if (source === undefined) throw new Error(`${spec.id} takes the bytes of ${spec.budgetBytesOf}, which has no result`);
  return source.bytes;
}

for (const [index, planned] of runs.entries()) {
  const output = path.join(scratch, `${planned.id}.json`);
  let spec = planned;
  try {
    const bytes = budgetBytesOf(planned);
    if (bytes !== undefined) spec = { ...planned, budgetBytes: bytes };
    await run(process.execPath, [workerPath, JSON.stringify(spec), output], { maxBuffer: 64 * 2 ** 20 });
    const outcome = JSON.parse(readFileSync(output, "utf8")) as { record: RunRecord; reportRun?: KeptRun["run"] };
    records.push(outcome.record);
    if (outcome.reportRun !== undefined) kept.push({ spec, run: outcome.reportRun });
    rmSync(output);
    const r = outcome.record;
    const quality = Object.entries(r.quality).map(([name, value]) => `${name} ${value.toFixed(4)}`).join(", ");
    console.log(`[${index + 1}/${runs.length}] ${spec.id}: ${r.seconds.toFixed(1)} s, ${Math.round(r.samplesPerSecond)} samples/s, ` +
                `ratio ${r.ratio.toFixed(4)}, ${quality}`);
  } catch (error) {
    const message = String((error as { stderr?: string }).stderr || error).trim().split("\n").slice(-8).join("\n");
    failures.push({ id: spec.id, error: message });
    console.log(`[${index + 1}/${runs.length}] ${spec.id}: FAILED\n${message}`);
  }
}

const reportFiles: string[] = [];
// A merge leaves the pages as the whole run wrote them: its runs may be another data set's, or no page's.
for (const page of mergeInto === undefined ? reportPages(kept, ratingDataset, `mixdim end-to-end benchmark (${profile}, ${date.slice(0, 10)})`) : []) {
  let file = path.join(outDirectory, page.file);
  await writeReport(file, page.input);
  if (outDirectory === path.resolve(resultsDirectory) && statSync(file).size > committedReportLimit) {
    const moved = path.join(scratch, page.file);
    writeFileSync(moved, readFileSync(file));
    rmSync(file);
    file = moved;
    console.log(`${page.file} is over ${committedReportLimit / 2 ** 20} MiB, so it is kept out of bench/results/`);
  }
  reportFiles.push(file);
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
if (flags["report-only"]) {
  console.log(`${records.length} runs in ${minutes} min; wrote ${reportFiles.join(", ")}`);
} else {
  const fresh: E2eResults = {
    date, machine, loadAverageAtEnd: os.loadavg().map((load) => Number(load.toFixed(2))), profile, seeds: suite.seeds,
    scale: suite.scale, durationSeconds: (performance.now() - started) / 1000, skipped: [...skipped], failures,
    streams: await ratingStreams(runs), rows: summarize(records), records,
  };
  const results = mergeInto === undefined ? fresh : mergeResults(mergeInto, fresh, selection);
  writeFileSync(path.join(outDirectory, "e2e.json"), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(path.join(outDirectory, "REPRODUCTION.md"), reproductionMarkdown(results, findings()));
  console.log(`${records.length} runs in ${minutes} min; ${mergeInto === undefined ? "wrote" : "merged them into"} ` +
              `${outDirectory}/e2e.json, REPRODUCTION.md${reportFiles.length === 0 ? "" : ` and ${reportFiles.join(", ")}`}`);
}
// The scratch folder held only the workers' outputs when everything went to --out or bench/results/.
if (readdirSync(scratch).length === 0) rmSync(scratch, { recursive: true });
if (failures.length > 0) process.exitCode = 1;
