/**
 * Report runs made by hand, with every chart's inputs: power-law frequencies, sizes that grow
 * with frequency, and a history of two phases whose loss and accuracy have gaps.
 */
import type { FrontierResult } from "../../ts/search/frontier.js";
import type { SearchEvent, SearchMethod } from "../../ts/search/search_types.js";
import type { ReportRun } from "../../ts/report/report_types.js";

const candidates = [2, 4, 8, 16, 64, 128];

/** The largest candidate at most f·scale: frequent ids get larger sizes. */
function sizeFor(frequency: number, scale: number): number {
  return candidates.filter((d) => d <= Math.max(2, frequency * scale)).pop()!;
}

export function handMadeRun(label: string, options: { users?: number; items?: number; scale?: number; events?: number } = {}): ReportRun {
  const { users = 300, items = 200, scale = 1, events = 60 } = options;
  const table = (n: number) => {
    const frequencies = Float64Array.from({ length: n }, (_, id) => Math.floor(n / (id + 1)));
    const sizes = Int32Array.from(frequencies, (f) => sizeFor(f, scale));
    return { frequencies, sizes };
  };
  const u = table(users);
  const i = table(items);
  const history: SearchEvent[] = Array.from({ length: events }, (_, k) => ({
    phase: k < events * 0.75 ? "train" : "test",
    step: k < events * 0.75 ? k : k - Math.ceil(events * 0.75),
    bytes: 1000 * (k + 1) * scale,
    // A gap of NaN and one of no value at all, which the lines must skip.
    ...(k === 5 ? { loss: NaN } : k === 6 ? {} : { loss: 0.7 / (1 + k * 0.05), accuracy: 0.5 + 0.3 * k / events }),
  }));
  return {
    label,
    method: "esapn",
    plan: { candidates, tables: { users: u.sizes, items: i.sizes } },
    history,
    frequencies: { users: u.frequencies, items: i.frequencies },
    metrics: { testAccuracy: 0.7, testLoss: 0.19 },
  };
}

/** A frontier made by hand: three lines over three budgets, FIXED's with no spread at the smallest. */
export function handMadeFrontier(labels: readonly string[] = ["FIXED", "ESAPN", "MDE"]): FrontierResult {
  const budgets = [1 / 32, 1 / 8, 1 / 2].map((ratio, b) => ({
    ratio,
    budgetBytes: ratio * 1000 * 128 * 4,
    points: labels.map((label, i) => {
      const mean = 0.6 + 0.03 * b + 0.01 * i;
      const std = label === "FIXED" && b === 0 ? 0 : 0.004 * (i + 1);
      return { label, method: (i === 0 ? "fixed" : "mde") as SearchMethod, bytes: ratio * 1000 * 128 * 4 * (1 - 0.05 * i),
               peakSearchBytes: 1000 * 128 * 4,
               metrics: { testAccuracy: { mean, std, values: [mean - std, mean + std] },
                          testLoss: { mean: 0.7 - mean / 2, std, values: [] } } };
    }),
    beatsFixed: [],
    skipped: [],
  }));
  return { task: "binary", primary: { name: "testAccuracy", higherIsBetter: true }, metricNames: ["testAccuracy", "testLoss"],
           seeds: [1, 2], budgets };
}
