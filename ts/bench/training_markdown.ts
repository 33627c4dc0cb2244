/**
 * bench/results/training_kernels.md: the figures of training_kernels.json as a page a reviewer
 * can read, with every target and whether it is met.
 */
import { describeRun } from "./machine.js";
import { markdownTable, metCell, targetsMarkdown } from "./markdown_table.js";
import { trainingTargets } from "./targets.js";
import type { TrainingBenchResults, TrainingDeviceFigures } from "./training_figures.js";

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function deviceSection(section: TrainingDeviceFigures, note: string): string[] {
  const limit = section.limit;
  const { chain, gumbel, propagation, gemm } = section;
  const lines = [
    `## ${section.device}: ${section.name}`,
    "",
    `Measured ${section.date}${note} on ${section.host}. Limit: ${limit.kind} of ${limit.bufferBytes / 2 ** 20} MiB, ` +
      `2 × bytes / time = ${fixed(limit.gbPerSecond)} GB/s` +
      `${limit.threads === undefined ? "" : ` at ${limit.threads} thread(s)`}.`,
    "",
    `### Projection chain (dims {${chain.dims.join(", ")}}, B = ${chain.batch}, preallocated output)`,
    "",
    "Effective bytes: rows read within each size plus the [B, d_max] output written. Both paths interleaved, " +
      "on the default thread count. Speedup: step-by-step median / precomposed median (the target's figure); " +
      "of fastest runs: the same of the minimum times, less moved by other load on a shared machine.",
    "",
    ...markdownTable(["rows", "precomposed ms", "GB/s", "× copy", "step-by-step ms", "speedup", "of fastest runs",
                      "MACs per row (pre / step)"], "lrrrrrrr",
                     [...chain.classes, chain.spread].map((row) => [
                       row.rows, fixed(row.precomposed.medianMs, 3), fixed(row.precomposed.gbPerSecond),
                       fixed(row.precomposed.gbPerSecond / limit.gbPerSecond, 2), fixed(row.stepwise.medianMs, 3),
                       `${fixed(row.speedup)}×`, `${fixed(row.speedupOfFastest)}×`,
                       `${fixed(row.precomposed.macsPerRow, 0)} / ${fixed(row.stepwise.macsPerRow, 0)}`,
                     ])),
    `precomposeChain ${fixed(chain.precomposeMs, 3)} ms; chainBackward (spread rows) ${fixed(chain.backwardMs, 2)} ms.`,
    "",
    `### Gumbel mixture (B = ${gumbel.shape.batch}, F = ${gumbel.shape.fields}, ` +
      `dims {${gumbel.shape.dims.join(", ")}}` +
      `${gumbel.shape.shared ? " shared" : ""}, D = ${gumbel.shape.dim})`,
    "",
    ...markdownTable(["op", "median ms", "effective MB", "GB/s", "× copy", "GFLOP/s"], "lrrrrr", [
      ["weightedSum (the mix)", fixed(gumbel.weightedSum.medianMs, 3), fixed(gumbel.weightedSum.effectiveBytes / 1e6),
       fixed(gumbel.weightedSum.gbPerSecond), fixed(gumbel.weightedSumLimit.ratio, 2), ""],
      ["weightedSumBackward", fixed(gumbel.weightedSumBackward.medianMs, 3),
       fixed(gumbel.weightedSumBackward.effectiveBytes / 1e6), fixed(gumbel.weightedSumBackward.gbPerSecond),
       fixed(gumbel.weightedSumBackwardLimit.ratio, 2), ""],
      ["projectAndMix", fixed(gumbel.projectAndMix.medianMs, 3), "", "", "",
       fixed(gumbel.projectAndMix.gflopPerSecond)],
      ["projectAndMixBackward", fixed(gumbel.projectAndMixBackward.medianMs, 3), "", "", "",
       fixed(gumbel.projectAndMixBackward.gflopPerSecond)],
      ["mixtureWeights (F·M values)", fixed(gumbel.weightsMs, 3), "", "", "", ""],
    ]),
    `### Sparse propagation (N = ${propagation.numNodes}, nnz = ${propagation.nnz}, D = ${propagation.dim}, ` +
      `max degree ${propagation.maxDegree})`,
    "",
    ...markdownTable(["path", "median ms", "effective MB", "GB/s", "× copy"], "lrrrr", [
      ["propagate(Â, X)", fixed(propagation.medianMs, 3), fixed(propagation.bytes / 1e6),
       fixed(propagation.gbPerSecond), fixed(propagation.limit.ratio, 2)],
      ["store: lookup of every row", fixed(propagation.store.lookupMs, 3), "", "", ""],
      ["store: propagate at d_max", fixed(propagation.store.propagateMs, 3), "", "", ""],
    ]),
  ];
  if (gemm !== undefined) {
    const against = gemm.openblas ? ` against OpenBLAS ${gemm.openblasCore ?? ""}` : "";
    lines.push(`### GEMM (builtin ${gemm.kernel}${against})`, "");
    if (gemm.note !== undefined) lines.push(gemm.note, "");
    const header = ["layer", "pass", "m×n×k", "threads", "builtin GFLOP/s", "OpenBLAS GFLOP/s", "ratio", "met"];
    lines.push(...markdownTable(header, "llrrrrrl", gemm.products.map((p) => [
      p.layer, p.pass, `${p.m}×${p.n}×${p.k}`, String(p.threads), fixed(p.builtinGflops),
      p.openblasGflops === undefined ? "-" : fixed(p.openblasGflops),
      p.ratio === undefined ? "-" : fixed(p.ratio, 3),
      p.ratio === undefined ? "-" : metCell(p.ratio >= trainingTargets.gemm.minRatio),
    ])));
    if (gemm.aggregateRatio !== undefined) {
      lines.push(`All products together (Σ flops / Σ time): builtin ${fixed(gemm.aggregateRatio, 2)}× OpenBLAS.`, "");
    }
  }
  return lines;
}

export function trainingResultsMarkdown(results: TrainingBenchResults): string {
  const sections = results.cuda === undefined ? [results.cpu] : [results.cpu, results.cuda];
  const lines = [
    "# Core training kernels",
    "",
    "Written by `npm run bench:kernels` (ts/bench/main.ts, ts/bench/training_kernels.ts); the same figures are in " +
      "training_kernels.json. Times are medians of repeated synchronous calls " +
      `(at least ${String(results.timing.minRuns)} runs and ${String(results.timing.minSeconds)} s per path); ` +
      "GB/s are effective bytes over the median time, read against a large copy measured in the same run.",
    "",
    describeRun(results.date, results.machine),
    "",
    "## Targets (reported, not asserted)",
    "",
    ...targetsMarkdown(sections.flatMap((section) => section.targets)),
    ...deviceSection(results.cpu, ""),
  ];
  if (results.cuda !== undefined) {
    lines.push(...deviceSection(results.cuda,
                                results.cudaFromEarlierRun === true ? " (an earlier run: this one had no GPU)" : ""));
  } else {
    lines.push("## cuda", "", "No GPU figures yet: no run so far had a CUDA device.", "");
  }
  return lines.join("\n");
}
