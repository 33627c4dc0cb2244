/**
 * The end-to-end benchmark: a tiny run on the synthetic sets (every run in its own worker
 * process, as `npm run bench:e2e` does, from the built dist/) gives a row for every method of
 * every comparison with finite figures; and REPRODUCTION.md's tables and verdicts follow from
 * given results.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { E2eResults } from "../../ts/bench/e2e/e2e_results.js";
import { reproductionMarkdown } from "../../ts/bench/e2e/reproduction_markdown.js";
import { mergeResults } from "../../ts/bench/e2e/results_merge.js";
import type { QualityFigures, RunRecord, RunSpec } from "../../ts/bench/e2e/run_record.js";
import { summarize } from "../../ts/bench/e2e/seed_summary.js";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("npm run bench:e2e --tiny", () => {
  const main = path.join(repo, "dist/bench/e2e/main.js");
  const bench = (...args: string[]) => run(process.execPath, [main, ...args], { cwd: repo, maxBuffer: 64 * 2 ** 20 });
  const readResults = (directory: string) => JSON.parse(readFileSync(path.join(directory, "e2e.json"), "utf8")) as E2eResults;
  let out = "";
  let results: E2eResults;
  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), "mixdim-e2e-test-"));
    await bench("--tiny", "--datasets", "synthetic-ml20m,synthetic-ctr", "--out", out);
    results = readResults(out);
  }, 600_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("reports every method on every data set of each comparison, with finite figures", () => {
    expect(results.failures).toEqual([]);
    const rows = results.rows.map((row) => `${row.family} ${row.dataset} ${row.protocol} ${row.task} ${row.label}`);
    const expected = [
      ...["time", "shuffle"].flatMap((protocol) => ["FIXED", "DARTS", "AutoEmb", "ESAPN", "FIXED (ESAPN's bytes)", "ESAPN (frozen policy)"]
        .map((label) => `rating synthetic-ml20m ${protocol} binary ${label}`)),
      ...["FIXED", "FIXED (equal budget)", "MDE", "DARTS", "AutoDim"].map((label) => `ctr synthetic-ctr shuffle ctr ${label}`),
      ...["FIXED (equal budget)", "SCALL"].map((label) => `implicit synthetic-ml20m time implicit ${label}`),
      ...["time", "shuffle"].flatMap((protocol) => [
        ...["ESAPN immediate (learned)", "ESAPN immediate (frozen)", "ESAPN delayed (learned)", "ESAPN delayed (frozen)"]
          .map((label) => `learning synthetic-ml20m ${protocol} binary ${label}`),
        ...["SCALL (learned)", "SCALL (frozen)", "SCALL (uniform)"].map((label) => `learning synthetic-ml20m ${protocol} implicit ${label}`),
      ]),
    ];
    expect(rows.sort()).toEqual(expected.sort());
    for (const row of results.rows) {
      expect(row.seeds).toEqual([1, 2]);
      const quality: (keyof QualityFigures)[] = row.task === "binary" ? ["accuracy", "loss", "planAccuracy", "planLoss"]
        : row.task === "ctr" ? ["auc", "logLoss"] : ["recall20", "ndcg20"];
      for (const name of ["samplesPerSecond", "peakRssBytes", "bytes", "ratio", "seconds", ...quality] as const) {
        expect(Number.isFinite(row.figures[name]?.mean), `${row.label} on ${row.dataset}: ${name}`).toBe(true);
      }
      expect(row.figures.samplesPerSecond!.mean).toBeGreaterThan(0);
      expect(row.figures.peakRssBytes!.mean).toBeGreaterThan(2 ** 20);
    }
    // Equal budgets: the searched plans within FIXED's bytes, and FIXED within ESAPN's for ESAPN's control.
    const bytes = (family: string, label: string) => results.rows.find((r) => r.family === family && r.label === label)!.figures.bytes!.mean;
    for (const label of ["MDE", "DARTS", "AutoDim"]) expect(bytes("ctr", label)).toBeLessThanOrEqual(bytes("ctr", "FIXED (equal budget)"));
    expect(bytes("rating", "FIXED (ESAPN's bytes)")).toBeLessThanOrEqual(bytes("rating", "ESAPN"));
    expect(bytes("implicit", "SCALL")).toBeLessThanOrEqual(bytes("implicit", "FIXED (equal budget)"));
    expect(readFileSync(path.join(out, "REPRODUCTION.md"), "utf8")).toContain("## 2. ESAPN's memory table");
    expect(readFileSync(path.join(out, "e2e-report.html"), "utf8")).toContain("<svg");
  });

  it("holds every variant of the learning family to one budget per protocol and seed, 16 floats per id, each plan within it", () => {
    const learning = results.records.filter((record) => record.spec.family === "learning");
    for (const protocol of ["time", "shuffle"]) {
      for (const seed of [1, 2]) {
        const variants = learning.filter((record) => record.spec.protocol === protocol && record.spec.seed === seed);
        expect(variants).toHaveLength(7);
        const ids = variants[0]!.tables.users!.ids + variants[0]!.tables.items!.ids;
        for (const record of variants) {
          expect(record.budgetBytes, record.spec.id).toBe(16 * 4 * ids);
          expect(record.bytes, record.spec.id).toBeLessThanOrEqual(record.budgetBytes!);
        }
      }
    }
  });

  it("writes the learning section with each variant's plan bytes and a verdict for each pair", () => {
    const markdown = readFileSync(path.join(out, "REPRODUCTION.md"), "utf8");
    const section = markdown.slice(markdown.indexOf("## 6. Do the search policies learn? (learned against frozen, at equal bytes)"));
    expect(section).toContain("### synthetic-ml20m, shuffled split");
    expect(section).toMatch(/\| SCALL \(uniform\) \| [\d,]+ ± [\d,]+ \| 100\.00% \|/);
    for (const pair of ["ESAPN immediate, learned vs frozen", "ESAPN delayed, learned vs frozen", "SCALL, learned vs frozen", "SCALL, learned vs uniform"]) {
      expect(section).toMatch(new RegExp(`- ${pair}: on the search's own figures, learned ahead beyond the spread in \\d+ of 4`));
    }
    expect(section).toContain("- retrained plan's NDCG@20: SCALL (learned) vs SCALL (uniform): Δ = ");
    expect(section).not.toContain("Not in e2e.json");
  });

  it("--merge runs a selection again and puts it in place of the same runs, keeping every other run", async () => {
    const before = readResults(out);
    await bench("--tiny", "--families", "implicit", "--datasets", "synthetic-ml20m", "--merge", "--out", out);
    const merged = readResults(out);
    const implicit = (records: RunRecord[]) => records.filter((record) => record.spec.family === "implicit");
    expect(merged.records.filter((record) => record.spec.family !== "implicit")).toEqual(before.records.filter((record) => record.spec.family !== "implicit"));
    expect(implicit(merged.records).map((record) => record.spec.id)).toEqual(implicit(before.records).map((record) => record.spec.id));
    expect(implicit(merged.records)).not.toEqual(implicit(before.records));
    expect(merged.merges).toHaveLength(1);
    expect(merged.merges![0]).toMatchObject({ selection: { families: ["implicit"], datasets: ["synthetic-ml20m"] }, runs: 4, failures: 0 });
    expect({ date: merged.date, durationSeconds: merged.durationSeconds }).toEqual({ date: before.date, durationSeconds: before.durationSeconds });
    expect(readFileSync(path.join(out, "REPRODUCTION.md"), "utf8"))
      .toContain("Run again later and merged in (--merge), replacing the suite's runs of it: the implicit family, on synthetic-ml20m: 4 runs.");
  }, 600_000);

  it("--merge refuses results made with another profile, before running anything", async () => {
    const error = await bench("--quick", "--families", "implicit", "--merge", "--out", out).then(() => undefined, (e: { stderr: string }) => e);
    expect(error?.stderr).toContain(`the results there were made with the "tiny" profile and this run is "quick"`);
  });
});

/** A run of a hand-made result: what the worker would have written. */
function record(spec: Partial<RunSpec> & Pick<RunSpec, "family" | "label" | "task" | "seed">, quality: QualityFigures,
                tables: RunRecord["tables"] = {}): RunRecord {
  return {
    spec: { id: `${spec.label}-${spec.seed}`, dataset: "ml-100k", protocol: "time", method: "fixed", scale: { ml20mRatings: 0, ctrRows: 0 },
            settings: {}, referenceSize: 128, keepForReport: false, ...spec },
    seconds: 2, samplesPerSecond: 50_000, peakRssBytes: 100 * 2 ** 20, rows: 100_000, bytes: 1_000_000, ratio: 0.5, tables, quality,
    metrics: {},
  };
}

describe("REPRODUCTION.md from given results", () => {
  const rating = (label: string, seed: number, accuracy: number, loss: number, tables?: RunRecord["tables"]) =>
    record({ family: "rating", label, task: "binary", seed }, { accuracy, loss, planAccuracy: accuracy, planLoss: loss }, tables);
  const esapnTables = (users2: number): RunRecord["tables"] => ({
    users: { ids: 100, ratio: (users2 * 2 + (100 - users2) * 128) / (100 * 128), totalDim: users2 * 2 + (100 - users2) * 128,
             idsAtSize: { 2: users2, 128: 100 - users2 } },
    items: { ids: 50, ratio: 4 / 128, totalDim: 200, idsAtSize: { 4: 50 } },
  });
  const records = [
    rating("FIXED", 1, 0.60, 0.25), rating("FIXED", 2, 0.61, 0.24),
    rating("DARTS", 1, 0.62, 0.23), rating("DARTS", 2, 0.63, 0.22),
    rating("AutoEmb", 1, 0.63, 0.22), rating("AutoEmb", 2, 0.63, 0.22),
    rating("ESAPN", 1, 0.70, 0.20, esapnTables(60)), rating("ESAPN", 2, 0.70, 0.20, esapnTables(40)),
    ...[1, 2].flatMap((seed) => [
      record({ family: "ctr", label: "FIXED (equal budget)", task: "ctr", seed, dataset: "synthetic-ctr", referenceSize: 64 }, { auc: 0.7, logLoss: 0.5 }),
      record({ family: "ctr", label: "MDE", task: "ctr", seed, dataset: "synthetic-ctr", referenceSize: 64 }, { auc: 0.69 + seed / 100, logLoss: 0.5 }),
      record({ family: "ctr", label: "AutoDim", task: "ctr", seed, dataset: "synthetic-ctr", referenceSize: 64 }, { auc: 0.65, logLoss: 0.55 }),
      record({ family: "implicit", label: "FIXED (equal budget)", task: "implicit", seed }, { recall20: 0.2, ndcg20: 0.2 }),
      record({ family: "implicit", label: "SCALL", task: "implicit", seed }, { recall20: 0.3, ndcg20: 0.25, streamRecall20: 0.1, streamNdcg20: 0.1 }),
    ]),
  ];
  const results: E2eResults = {
    date: "2026-01-01T00:00:00.000Z", machine: { cpuModel: "Test CPU", cpuCores: 2, totalMemoryBytes: 2 ** 33, os: "Linux", node: "v20" },
    loadAverageAtEnd: [1, 1, 1], profile: "full", seeds: [1, 2], scale: { ml20mRatings: 1_000_000, ctrRows: 200_000 },
    durationSeconds: 600, skipped: [], failures: [], rows: summarize(records), records,
    streams: [{ dataset: "ml-100k", protocol: "time", trainRows: 75_000, testRows: 25_000, unseenUserShare: 0.826, unseenItemShare: 0.01 }],
  };
  const markdown = reproductionMarkdown(results, "ESAPN's reward does not depend on the action.");

  it("lays the accuracy table out as the slides do, mean ± standard deviation over seeds", () => {
    expect(markdown).toContain("| Models | Binary accuracy (%) | MSE loss | Multiclass accuracy (%) | CE loss |");
    expect(markdown).toContain("| FIXED | 60.50 ± 0.71 | 0.2450 ± 0.0071 | – | – |");
    expect(markdown).toContain("| ESAPN | 70.00 ± 0.00 | 0.2000 ± 0.0000 | – | – |");
    expect(markdown).toContain("Test tail: 25,000 ratings, 82.60% by users and 1.00% of items the training head never saw.");
  });

  it("says where FIXED < DARTS ≤ AutoEmb < ESAPN holds beyond the spread", () => {
    expect(markdown).toMatch(/ml-100k, time-ordered stream, binary, accuracy: \*\*holds beyond the seed spread\*\*\. Observed: ESAPN 70\.00 > AutoEmb 63\.00 > DARTS 62\.50 > FIXED 60\.50/);
    // DARTS vs FIXED on loss: Δ = 0.245 − 0.225 = 0.02 against a spread of 0.0071 + 0.0071.
    expect(markdown).toContain("DARTS vs FIXED: Δ = +0.0200 (spread 0.0141): as claimed, beyond spread");
  });

  it("fills ESAPN's memory table with the mean ids at each size, the total dim, FIXED's and the ratio", () => {
    expect(markdown).toContain("|  | 2 | 4 | 8 | 16 | 64 | 128 | Total dim | FIXED | Ratio |");
    // Users: 60 and 40 ids at 2 → 50; total dims 5,240 and 7,760 → 6,500 of 12,800.
    expect(markdown).toContain("| user (binary) | 50 | 0 | 0 | 0 | 0 | 50 | 6,500 | 12,800 | 50.78% ± 13.92% |");
    expect(markdown).toContain("| item (binary) | 0 | 50 | 0 | 0 | 0 | 0 | 200 | 6,400 | 3.13% ± 0.00% |");
  });

  it("compares AutoDim with FIXED and MDE, and SCALL with FIXED, at an equal budget", () => {
    expect(markdown).toContain("| MDE | 0.7050 ± 0.0071 | 0.5000 ± 0.0000 | 976.6 KiB | 50.00% ± 0.00% |");
    expect(markdown).toContain("synthetic-ctr, auc: AutoDim vs FIXED (equal budget): Δ = −0.0500 (spread 0.0000): reversed, beyond spread");
    expect(markdown).toContain("| SCALL | 0.3000 ± 0.0000 | 0.2500 ± 0.0000 | 0.1000 ± 0.0000 | 0.1000 ± 0.0000 | 976.6 KiB | 50.00% ± 0.00% |");
    expect(markdown).toContain("ml-100k, recall20: SCALL vs FIXED (equal budget): Δ = +0.1000 (spread 0.0000): as claimed, beyond spread");
  });

  it("sets the hand-written findings apart, after the generated sections", () => {
    const findings = markdown.indexOf("## Findings (written by hand after reading the results above)");
    expect(findings).toBeGreaterThan(markdown.indexOf("## 5. Cost of every run"));
    expect(markdown.slice(findings)).toContain("ESAPN's reward does not depend on the action.");
  });
});

/** Hand-made results around the given records: a full-profile suite of seeds 1 and 2. */
function resultsOf(records: RunRecord[], extra: Partial<E2eResults> = {}): E2eResults {
  return {
    date: "2026-01-01T00:00:00.000Z", machine: { cpuModel: "Test CPU", cpuCores: 2, totalMemoryBytes: 2 ** 33, os: "Linux", node: "v20" },
    loadAverageAtEnd: [1, 1, 1], profile: "full", seeds: [1, 2], scale: { ml20mRatings: 1_000_000, ctrRows: 200_000 },
    durationSeconds: 600, skipped: [], failures: [], rows: summarize(records), records, streams: [], ...extra,
  };
}

describe("REPRODUCTION.md's learning section from given results", () => {
  // 100 users and 50 items: a budget of 16 floats per id is 16 · 4 · 150 = 9,600 bytes.
  const sides: RunRecord["tables"] = {
    users: { ids: 100, ratio: 0.1, totalDim: 1_600, idsAtSize: { 16: 100 } },
    items: { ids: 50, ratio: 0.1, totalDim: 800, idsAtSize: { 16: 50 } },
  };
  const learning = (label: string, task: "binary" | "implicit", seed: number, bytes: number, quality: QualityFigures,
                    budgetBytes = 9_600): RunRecord => ({
    ...record({ family: "learning", label, task, seed, id: `learning_ml-100k_time_${task}_${label}_s${seed}` }, quality, sides),
    bytes, budgetBytes,
  });
  const esapn = (accuracy: number, loss: number, planAccuracy: number, planLoss: number) => ({ accuracy, loss, planAccuracy, planLoss });
  const scall = (streamRecall20: number, streamNdcg20: number, recall20: number, ndcg20: number) => ({ streamRecall20, streamNdcg20, recall20, ndcg20 });
  const records = [
    learning("ESAPN immediate (learned)", "binary", 1, 9_000, esapn(0.70, 0.20, 0.65, 0.22)),
    learning("ESAPN immediate (learned)", "binary", 2, 9_200, esapn(0.72, 0.19, 0.65, 0.22)),
    learning("ESAPN immediate (frozen)", "binary", 1, 9_600, esapn(0.60, 0.25, 0.65, 0.22)),
    learning("ESAPN immediate (frozen)", "binary", 2, 9_600, esapn(0.61, 0.25, 0.66, 0.23)),
    ...["ESAPN delayed (learned)", "ESAPN delayed (frozen)"].flatMap((label) =>
      [1, 2].map((seed) => learning(label, "binary", seed, 8_000, esapn(0.68, 0.21, 0.64, 0.23)))),
    learning("SCALL (learned)", "implicit", 1, 9_600, scall(0.30, 0.2, 0.25, 0.2)),
    learning("SCALL (learned)", "implicit", 2, 9_600, scall(0.32, 0.2, 0.25, 0.2)),
    learning("SCALL (frozen)", "implicit", 1, 9_600, scall(0.29, 0.2, 0.25, 0.2)),
    learning("SCALL (uniform)", "implicit", 1, 9_600, scall(0.40, 0.2, 0.25, 0.2)),
    learning("SCALL (uniform)", "implicit", 2, 9_600, scall(0.40, 0.2, 0.25, 0.2)),
  ];
  const markdown = reproductionMarkdown(resultsOf(records, {
    skipped: ["ml-latest-small"], failures: [{ id: "learning_ml-100k_time_implicit_scall-frozen_s2", error: "out of memory" }],
  }));
  const section = markdown.slice(markdown.indexOf("## 6. Do the search policies learn? (learned against frozen, at equal bytes)"));

  it("states the one budget every variant of a data set and protocol was held to", () => {
    expect(section).toContain("### ml-100k, time-ordered stream\n\nBudget: 9,600 bytes for every variant and seed (a mean size of 16 floats per id over 150 ids).");
  });

  it("shows each variant's plan bytes, then the search's own figures and the retrained plan's, each so labelled", () => {
    expect(section).toContain("| Variant | Plan bytes | Of the budget | Search's own online accuracy (%) | Search's own online loss | " +
                              "Retrained plan's accuracy (%) | Retrained plan's loss |");
    expect(section).toContain("| ESAPN immediate (learned) | 9,100 ± 141 | 94.79% | 71.00 ± 1.41 | 0.1950 ± 0.0071 | 65.00 ± 0.00 | 0.2200 ± 0.0000 |");
    expect(section).toContain("| Variant | Plan bytes | Of the budget | Search's own Recall@20 (mean over segments) | " +
                              "Search's own NDCG@20 (mean over segments) | Retrained plan's Recall@20 | Retrained plan's NDCG@20 |");
    // SCALL (frozen) has its first seed only: one run, no spread.
    expect(section).toContain("| SCALL (frozen) | 9,600 | 100.00% | 0.2900 | 0.2000 | 0.2500 | 0.2000 |");
  });

  it("warns that a row of a single seed has no spread", () => {
    expect(section).toContain("**Some rows have a single seed, so no spread:** any difference of theirs reads as beyond it.");
  });

  it("checks learned against frozen, and SCALL's learned against uniform, with Δ and the spread", () => {
    // (0.70 + 0.72)/2 − (0.60 + 0.61)/2 = 10.5 pp against 1.41 + 0.71.
    const group = section.slice(section.indexOf("### ml-100k, time-ordered stream"), section.indexOf("### ml-100k, shuffled split"));
    expect(group).toContain("- search's own online accuracy (%): ESAPN immediate (learned) vs " +
                            "ESAPN immediate (frozen): Δ = +10.50 (spread 2.12): as claimed, beyond spread");
    expect(group).toContain("- search's own Recall@20 (mean over segments): SCALL (learned) vs " +
                            "SCALL (uniform): Δ = −0.0900 (spread 0.0141): reversed, beyond spread");
    expect(group).toContain("- retrained plan's loss: ESAPN delayed (learned) vs ESAPN delayed (frozen): Δ = 0.0000 (spread 0.0000): equal");
    expect(section).toContain("- ESAPN delayed, learned vs frozen: on the search's own figures, learned ahead beyond the spread in 0 of 2, " +
                              "within the spread in 0, equal in 2, behind beyond it in 0;");
    expect(section).toContain("- ESAPN immediate, learned vs frozen: on the search's own figures, learned ahead beyond the spread in 2 of 2,");
  });

  it("names the runs it lacks and why, and gives no figures for them", () => {
    expect(section).toContain("**Not in e2e.json** (no figures above stand for them): SCALL (frozen): seed 2 (failed).");
    expect(section).toContain("### ml-100k, shuffled split\n\nNo run of this group is in e2e.json: every variant: seeds 1, 2 (not run).");
    expect(section).toContain("### ml-latest-small, time-ordered stream\n\nNo run of this group is in e2e.json: every variant: seeds 1, 2 (data absent).");
  });

  it("says so when the variants were not held to one budget", () => {
    const uneven = reproductionMarkdown(resultsOf([
      learning("SCALL (learned)", "implicit", 1, 9_600, scall(0.3, 0.2, 0.25, 0.2)),
      learning("SCALL (uniform)", "implicit", 1, 9_000, scall(0.4, 0.2, 0.25, 0.2), 9_000),
    ]));
    expect(uneven).toContain("**The runs were not held to one budget:** SCALL (learned) seed 1 9,600; SCALL (uniform) seed 1 9,000.");
  });

  it("says which pairs it cannot compare, and why", () => {
    const alone = reproductionMarkdown(resultsOf([learning("SCALL (learned)", "implicit", 1, 9_600, scall(0.3, 0.2, 0.25, 0.2))]));
    expect(alone).toContain("- SCALL, learned vs frozen: not compared, SCALL (frozen) has no run here");
    expect(alone).toContain("- ESAPN immediate, learned vs frozen: not compared, ESAPN immediate (frozen) and ESAPN immediate (learned) have no run here");
  });

  it("says how to run the family when e2e.json has none of it", () => {
    expect(reproductionMarkdown(resultsOf([]))).toContain(
      "No run of this family is in e2e.json yet: `node dist/bench/e2e/main.js --families learning --merge` runs it");
  });
});

describe("--merge of given results", () => {
  const run1 = (family: RunSpec["family"], label: string, accuracy: number) =>
    record({ family, label, task: "binary", seed: 1 }, { accuracy, loss: 0.2 });
  const target = resultsOf([run1("rating", "FIXED", 0.6), run1("implicit", "X", 0.5), run1("implicit", "Y", 0.5), run1("ctr", "C", 0.7)],
    { failures: [{ id: "Z-1", error: "" }, { id: "D-1", error: "" }] });
  const fresh = resultsOf([run1("implicit", "X", 0.8), run1("implicit", "Z", 0.9)],
    { date: "2026-02-01T00:00:00.000Z", durationSeconds: 60, seeds: [1, 2, 3] });
  const merged = mergeResults(target, fresh, { families: ["implicit"] });

  it("puts the fresh runs where the selection's first run stood, drops the selection's other runs and keeps every other run", () => {
    expect(merged.records.map((r) => `${r.spec.label} ${r.quality.accuracy}`)).toEqual(["FIXED 0.6", "X 0.8", "Z 0.9", "C 0.7"]);
    expect(merged.rows.map((row) => row.label)).toEqual(["FIXED", "X", "Z", "C"]);
  });

  it("drops the failures the fresh runs retried and keeps the others", () => {
    expect(merged.failures.map((failure) => failure.id)).toEqual(["D-1"]);
  });

  it("keeps the suite's date and duration and records the merge's own", () => {
    expect({ date: merged.date, durationSeconds: merged.durationSeconds, seeds: merged.seeds })
      .toEqual({ date: target.date, durationSeconds: 600, seeds: [1, 2, 3] });
    expect(merged.merges).toEqual([{ selection: { families: ["implicit"] }, date: fresh.date, machine: fresh.machine,
                                     loadAverageAtEnd: [1, 1, 1], durationSeconds: 60, runs: 2, failures: 0 }]);
  });

  it("refuses fresh results of another profile", () => {
    expect(() => mergeResults(target, { ...fresh, profile: "quick" }, {})).toThrow(
      `--merge: the results there were made with the "full" profile and this run is "quick": their figures are not comparable`);
  });
});
