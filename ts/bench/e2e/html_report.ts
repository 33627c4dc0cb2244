/**
 * The end-to-end benchmark's HTML reports (ts/report): one page per comparison, each the first
 * seed's runs of its headline group side by side, so that a page compares runs of one task:
 * - e2e-report.html: ESAPN's family (FIXED, DARTS, AutoEmb, ESAPN and ESAPN's two controls) on
 *   the first MovieLens set there is (ml-latest-small, else ml-100k, else synthetic-ml20m),
 *   binary task, time-ordered stream;
 * - e2e-report-ctr.html: AutoDim's (FIXED, MDE, DARTS, AutoDim) on the synthetic CTR set;
 * - e2e-report-implicit.html: SCALL against FIXED at an equal budget, on the same set as the first.
 * The learning family has no page: its question (does a policy beat itself frozen?) is answered
 * by seed spreads, in REPRODUCTION.md, and its plans are the families' own methods again.
 * Every run of every group is in e2e.json; pages with all of them would not read.
 */
import type { ReportInput, ReportRun } from "../../report/report_types.js";
import type { DatasetName } from "./datasets.js";
import type { Family, RunSpec } from "./run_record.js";

/** What a worker hands back for the report: the run, with its plan's tables as plain arrays. */
export interface KeptRun {
  spec: RunSpec;
  run: Omit<ReportRun, "plan"> & { plan: { candidates: number[]; tables: Record<string, number[]> } };
}

const headlineDatasets: readonly DatasetName[] = ["ml-latest-small", "ml-100k", "synthetic-ml20m"];

const pages: Record<Exclude<Family, "learning">, { file: string; title: string; description: string }> = {
  rating: {
    file: "e2e-report.html",
    title: "ESAPN's family",
    description: "FIXED (every id at 128), DARTS, AutoEmb and ESAPN, as the ESAPN slides compare them, with ESAPN's two " +
      "controls: FIXED at the one size ESAPN's bytes buy, and ESAPN whose policies never learn.",
  },
  ctr: {
    file: "e2e-report-ctr.html",
    title: "AutoDim's family",
    description: "FIXED at 64, and FIXED, MDE, DARTS and AutoDim at an equal budget (a mean size of 16 per id), each plan " +
      "retrained as DeepFM.",
  },
  implicit: {
    file: "e2e-report-implicit.html",
    title: "SCALL against FIXED",
    description: "FIXED and SCALL at an equal budget (a mean size of 16 per id); SCALL's sizes go from 1 to 256.",
  },
};

/** The data set of the rating and implicit headline groups: the first of headlineDatasets among the runs. */
export function headlineDataset(specs: readonly RunSpec[]): DatasetName | undefined {
  return headlineDatasets.find((name) => specs.some((spec) => spec.family === "rating" && spec.dataset === name));
}

/** Whether a run belongs to its family's headline group (any seed). */
export function isHeadline(spec: RunSpec, ratingDataset: DatasetName | undefined): boolean {
  if (spec.family === "rating") return spec.dataset === ratingDataset && spec.task === "binary" && spec.protocol === "time";
  if (spec.family === "ctr") return spec.dataset === "synthetic-ctr";
  return spec.family === "implicit" && spec.dataset === ratingDataset;
}

/** One page per family that has kept headline runs: its file name and the report's input. */
export function reportPages(kept: readonly KeptRun[], ratingDataset: DatasetName | undefined, heading: string):
    { file: string; input: ReportInput }[] {
  const chosen = kept.filter(({ spec }) => isHeadline(spec, ratingDataset));
  return (Object.keys(pages) as (keyof typeof pages)[]).flatMap((family) => {
    const runs = chosen.filter(({ spec }) => spec.family === family);
    if (runs.length === 0) return [];
    const { spec } = runs[0]!;
    const page = pages[family];
    return [{
      file: page.file,
      input: {
        title: `${heading}: ${page.title} on ${spec.dataset} (${spec.task}, seed ${spec.seed})`,
        description: `${page.description} Every seed and data set is in e2e.json and REPRODUCTION.md.`,
        runs: runs.map(({ run }) => ({
          ...run,
          plan: { candidates: run.plan.candidates,
                  tables: Object.fromEntries(Object.entries(run.plan.tables).map(([name, sizes]) => [name, Int32Array.from(sizes)])) },
        })),
      },
    }];
  });
}
