/**
 * The runs of one row (family, data set, protocol, task, method) over its seeds, as mean ±
 * spread. The spread is the sample standard deviation over seeds (n − 1 in the denominator):
 * with three seeds it is a rough figure, and the tables say so.
 */
import type { QualityFigures, RunRecord, RunSpec } from "./run_record.js";

export interface Spread {
  mean: number;
  /** Sample standard deviation; 0 for a single seed. */
  sd: number;
  n: number;
}

/** Mean and sample standard deviation of a row's values over seeds. */
export function spreadOf(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, sd, n };
}

/** The figures of a row that are averaged over seeds. */
export type FigureName = "samplesPerSecond" | "peakRssBytes" | "bytes" | "ratio" | "seconds" | keyof QualityFigures;

export interface TableSummary {
  ids: number;
  ratio: Spread;
  totalDim: Spread;
  /** The mean number of ids at each size over the seeds. */
  idsAtSize: Record<string, number>;
}

export interface SummaryRow {
  family: RunSpec["family"];
  dataset: RunSpec["dataset"];
  protocol: RunSpec["protocol"];
  task: RunSpec["task"];
  method: RunSpec["method"];
  label: string;
  seeds: number[];
  referenceSize: number;
  figures: Partial<Record<FigureName, Spread>>;
  tables: Record<string, TableSummary>;
}

/** Where a row belongs in the tables: everything about a run but its seed. */
export function rowKey(spec: Pick<RunSpec, "family" | "dataset" | "protocol" | "task" | "label">): string {
  return [spec.family, spec.dataset, spec.protocol, spec.task, spec.label].join(" | ");
}

/** One row per (family, data set, protocol, task, label), in the order the runs came. */
export function summarize(records: readonly RunRecord[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = rowKey(record.spec);
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups.values()].map((runs) => {
    const { spec } = runs[0]!;
    const figures: SummaryRow["figures"] = {};
    const put = (name: FigureName, pick: (run: RunRecord) => number | undefined) => {
      const values = runs.map(pick).filter((v): v is number => v !== undefined);
      if (values.length > 0) figures[name] = spreadOf(values);
    };
    for (const name of ["samplesPerSecond", "peakRssBytes", "bytes", "ratio", "seconds"] as const) put(name, (run) => run[name]);
    const qualityNames = new Set(runs.flatMap((run) => Object.keys(run.quality) as (keyof QualityFigures)[]));
    for (const name of qualityNames) put(name, (run) => run.quality[name]);
    const tables: Record<string, TableSummary> = {};
    for (const name of Object.keys(runs[0]!.tables)) {
      const each = runs.map((run) => run.tables[name]!);
      const sizes = new Set(each.flatMap((table) => Object.keys(table.idsAtSize)));
      tables[name] = {
        ids: each[0]!.ids,
        ratio: spreadOf(each.map((table) => table.ratio)),
        totalDim: spreadOf(each.map((table) => table.totalDim)),
        idsAtSize: Object.fromEntries([...sizes].sort((a, b) => Number(a) - Number(b))
          .map((d) => [d, each.reduce((sum, table) => sum + (table.idsAtSize[d] ?? 0), 0) / each.length])),
      };
    }
    return {
      family: spec.family, dataset: spec.dataset, protocol: spec.protocol, task: spec.task, method: spec.method, label: spec.label,
      seeds: runs.map((run) => run.spec.seed), referenceSize: spec.referenceSize, figures, tables,
    };
  });
}
