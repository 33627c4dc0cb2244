/**
 * bench/results/kernels.md: the figures of kernels.json as a page a reviewer can read,
 * with the input, the targets and whether each is met.
 */
import type { BenchResults, DeviceFigures } from "./figures.js";
import { describeRun } from "./machine.js";
import { targetLegend } from "./targets.js";

function deviceSection(section: DeviceFigures, note: string): string[] {
  const limits = section.limit.measurements
    .map((limit) => `${limit.gbPerSecond.toFixed(1)} GB/s${limit.threads === undefined ? "" : ` at ${limit.threads} thread(s)`}`)
    .join(", ");
  const lines = [
    `## ${section.device}: ${section.name}`,
    "",
    `Measured ${section.date}${note} on ${section.host ?? "an unrecorded host"}. Limit: ${section.limit.kind} of ${section.limit.bufferBytes / 2 ** 20} MiB, ` +
      `2 × bytes / time = ${limits}.`,
    "",
    "| kernel | threads | median ms | effective MB | GB/s | limit GB/s | ratio | target | met |",
    "|---|--:|--:|--:|--:|--:|--:|---|---|",
  ];
  for (const figure of section.kernels) {
    lines.push(`| ${figure.label} | ${figure.threads ?? "-"} | ${figure.medianMs.toFixed(3)} | ` +
               `${(figure.effectiveBytes / 1e6).toFixed(1)} | ${figure.gbPerSecond.toFixed(1)} | ` +
               `${figure.limitGbPerSecond.toFixed(1)} | ${figure.ratio.toFixed(2)} | ` +
               `${figure.target === undefined ? "" : `≥ ${figure.target.minRatio}`} | ` +
               `${figure.target === undefined ? "" : figure.target.met ? "yes" : "**no**"} |`);
  }
  lines.push("");
  return lines;
}

export function resultsMarkdown(results: BenchResults): string {
  const input = results.input;
  const lines = [
    "# Kernel bandwidth",
    "",
    "Written by `npm run bench:kernels` (ts/bench/main.ts); the same figures are in kernels.json. " +
      "GB/s are effective: bytes a kernel must move (FBGEMM's \"bytes of rows accessed\", " +
      "see ts/bench/effective_bytes.ts) over its median time, read against a large copy measured in the same run.",
    "",
    describeRun(results.date, results.machine),
    "",
    "## Input",
    "",
    ...Object.entries(input).map(([key, value]) => `- ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`),
    "",
    "## Targets (reported, not asserted)",
    "",
    ...targetLegend().map((line) => `- ${line}`),
    "",
    "Targets apply at the default thread count and to step without the NaN check (checkFinite: false).",
    "",
    ...deviceSection(results.cpu, ""),
  ];
  if (results.cuda !== undefined) {
    lines.push(...deviceSection(results.cuda, results.cudaFromEarlierRun === true ? " (an earlier run: this one had no GPU)" : ""));
  } else {
    lines.push("## cuda", "", "No GPU figures yet: no run so far had a CUDA device.", "");
  }
  return lines.join("\n");
}
