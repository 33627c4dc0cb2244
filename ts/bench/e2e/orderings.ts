/**
 * Whether an ordering of methods the papers claim shows in the results, and whether it shows
 * beyond the seed spread.
 *
 * A pair (worse, better) on a metric compares the two rows' means over seeds. The difference
 * counts as beyond the spread when it exceeds the sum of the two standard deviations, a plain
 * criterion for three seeds (about two standard errors of the difference when the spreads are
 * alike), and no test of significance.
 */
import type { FigureName, Spread, SummaryRow } from "./seed_summary.js";

/** "equal": the two means are the same number, as when a control makes the very same run (a frozen policy that never acts otherwise). */
export type Verdict = "as claimed, beyond spread" | "as claimed, within spread" | "equal" | "reversed, within spread" | "reversed, beyond spread";

export interface PairCheck {
  /** The row the claim puts below, and the one it puts above. */
  worse: string;
  better: string;
  metric: FigureName;
  /** better − worse in the direction where positive is better (higher accuracy, lower loss). */
  delta: number;
  /** The two rows' standard deviations, summed. */
  spread: number;
  verdict: Verdict;
}

export interface ChainCheck {
  metric: FigureName;
  /** Labels from the claimed worst to the claimed best, and whether each step is strict (<) or not (≤). */
  labels: readonly string[];
  steps: PairCheck[];
  /** Every strict step as claimed beyond spread, and no step reversed beyond it. */
  holdsBeyondSpread: boolean;
  /** Every strict step as claimed in the means, and no ≤ step reversed in them. */
  holdsInMeans: boolean;
  /** The rows from best to worst by mean: "label mean > label mean …" (accuracy), "… < …" (loss). */
  observed: string;
}

function higherIsBetter(metric: FigureName): boolean {
  return !(metric === "loss" || metric === "planLoss" || metric === "logLoss");
}

export function checkPair(rows: readonly SummaryRow[], worse: string, better: string, metric: FigureName): PairCheck | undefined {
  const a = rows.find((row) => row.label === worse)?.figures[metric];
  const b = rows.find((row) => row.label === better)?.figures[metric];
  if (a === undefined || b === undefined) return undefined;
  return { worse, better, metric, ...compareSpreads(a, b, higherIsBetter(metric)) };
}

/** b against a claimed better than a: the difference of the means (positive: as claimed), the summed spread, the verdict. */
export function compareSpreads(a: Spread, b: Spread, higherBetter: boolean): { delta: number; spread: number; verdict: Verdict } {
  const delta = (b.mean - a.mean) * (higherBetter ? 1 : -1);
  const spread = a.sd + b.sd;
  const beyond = Math.abs(delta) > spread;
  const verdict: Verdict = delta > 0 ? (beyond ? "as claimed, beyond spread" : "as claimed, within spread")
    : delta === 0 ? "equal" : beyond ? "reversed, beyond spread" : "reversed, within spread";
  return { delta, spread, verdict };
}

/**
 * A claimed chain such as FIXED < DARTS ≤ AutoEmb < ESAPN (labels worst first; strict[k] says
 * whether the step from labels[k] to labels[k + 1] is <). Undefined when a row is missing.
 */
export function checkChain(rows: readonly SummaryRow[], labels: readonly string[], strict: readonly boolean[],
                           metric: FigureName, format: (value: number) => string): ChainCheck | undefined {
  const steps: PairCheck[] = [];
  for (let k = 0; k + 1 < labels.length; ++k) {
    const step = checkPair(rows, labels[k]!, labels[k + 1]!, metric);
    if (step === undefined) return undefined;
    steps.push(step);
  }
  const holdsBeyondSpread = steps.every((step, k) => strict[k]
    ? step.verdict === "as claimed, beyond spread" : step.verdict !== "reversed, beyond spread");
  const holdsInMeans = steps.every((step, k) => strict[k] ? step.delta > 0 : step.delta >= 0);
  const sign = higherIsBetter(metric) ? -1 : 1;
  const observed = labels
    .map((label) => ({ label, mean: rows.find((row) => row.label === label)!.figures[metric]!.mean }))
    .sort((a, b) => sign * (a.mean - b.mean))
    .map(({ label, mean }) => `${label} ${format(mean)}`)
    .join(higherIsBetter(metric) ? " > " : " < ");
  return { metric, labels, steps, holdsBeyondSpread, holdsInMeans, observed };
}
