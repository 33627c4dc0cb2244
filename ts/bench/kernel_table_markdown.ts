/**
 * bench/results/all_kernels.md: the kernel table of all_kernels.json as a page a reviewer can
 * read: the limits, the projection chain's two paths side by side, then one table per op family
 * with every kernel's figure and ratio at each thread count and its thread scaling.
 */
import type { KernelLimits, KernelRow, KernelTableDevice, KernelTableResults } from "./kernel_table_figures.js";
import { describeRun } from "./machine.js";
import { markdownTable, targetsMarkdown } from "./markdown_table.js";

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function threadsTitle(threads: number | undefined): string {
  return threads === undefined ? "" : `${threads} thread${threads === 1 ? "" : "s"}: `;
}

/** "1.05 MB" of effective bytes, or "262 MFLOP" for a compute-bound kernel. */
function workCell(row: KernelRow): string {
  return row.bound === "compute" ? `${fixed(row.flops! / 1e6)} MFLOP` : `${fixed(row.effectiveBytes / 1e6, 2)} MB`;
}

function limitsSection(section: KernelTableDevice): string[] {
  const sgemmCell = (limits: KernelLimits) => {
    if (limits.sgemm === undefined) return "none on this device";
    if (!limits.sgemm.available) return `not measured: ${limits.sgemm.reason}`;
    return `${fixed(limits.sgemm.gflopPerSecond)} (${limits.sgemm.size}³, ${limits.sgemm.core})`;
  };
  return markdownTable(["threads", "copy GB/s", "sgemm GFLOP/s (OpenBLAS)"], "rrl", section.limits.map((limits) =>
    [limits.threads === undefined ? "-" : String(limits.threads), fixed(limits.copy.gbPerSecond), sgemmCell(limits)]));
}

function chainSection(section: KernelTableDevice): string[] {
  if (section.chain.length === 0) return [];
  const counts = section.chain[0]!.byThreads.map((t) => t.threads);
  const header = ["rows", ...counts.flatMap((threads) =>
    [`${threadsTitle(threads)}precomposed ms`, "step-by-step ms", "speedup"])];
  return [
    "### Projection chain: precomposed against step by step",
    "",
    "Speedup: the step-by-step median time over the precomposed one, on the same rows (both rows are in the " +
      "projection chain table below). training_kernels.md holds the target, at a larger batch.",
    "",
    ...markdownTable(header, "l" + "rrr".repeat(counts.length), section.chain.map((pair) => [
      pair.rows,
      ...pair.byThreads.flatMap((t) => [fixed(t.precomposedMs, 4), fixed(t.stepwiseMs, 4), `${fixed(t.speedup)}×`]),
    ])),
  ];
}

function familyTable(rows: readonly KernelRow[]): string[] {
  const counts = rows[0]!.measurements.map((m) => m.threads);
  const scaling = rows[0]!.threadScaling !== undefined;
  const header = ["op", "what", "pass", "shape", "per call",
                  ...counts.flatMap((threads) => [`${threadsTitle(threads)}ms`, "figure", "× limit"]),
                  ...(scaling ? ["2t / 1t"] : [])];
  const align = "llll" + "r" + "rrr".repeat(counts.length) + (scaling ? "r" : "");
  return markdownTable(header, align, rows.map((row) => [
    `\`${row.op}\``, row.label, row.pass, row.shape, workCell(row),
    ...row.measurements.flatMap((m) => [
      fixed(m.medianMs, 4),
      row.bound === "compute" ? `${fixed(m.gflopPerSecond!)} GFLOP/s` : `${fixed(m.gbPerSecond)} GB/s`,
      m.ratio === undefined ? "-" : `${fixed(m.ratio, 2)}× ${row.bound === "compute" ? "sgemm" : "copy"}`,
    ]),
    ...(row.threadScaling === undefined ? [] : [`${fixed(row.threadScaling, 2)}×`]),
  ]));
}

function deviceSection(section: KernelTableDevice, note: string): string[] {
  const families = [...new Set(section.rows.map((row) => row.family))];
  return [
    `## ${section.device}: ${section.name}`,
    "",
    `Measured ${section.date}${note} on ${section.host}` +
      `${section.gemm === undefined ? "" : `; the CPU GEMM is ${section.gemm}`}. ` +
      `Limits, measured before the kernels at each thread count: ${section.copyLimit.kind} of ` +
      `${section.copyLimit.bufferBytes / 2 ** 20} MiB (2 × bytes / time) for bandwidth-bound kernels, ` +
      "OpenBLAS's sgemm on a square product for compute-bound ones.",
    "",
    ...limitsSection(section),
    ...chainSection(section),
    ...families.flatMap((family) =>
      [`### ${family}`, "", ...familyTable(section.rows.filter((row) => row.family === family))]),
  ];
}

export function kernelTableMarkdown(results: KernelTableResults): string {
  const lines = [
    "# Every kernel, forward and backward",
    "",
    "Written by `npm run bench:kernels` (ts/bench/main.ts, ts/bench/kernel_table.ts); the same figures are in " +
      "all_kernels.json. Each op of ts/ops and each store kernel at realistic sizes: ESAPN's recommender and " +
      "policies at batch 500, a store of about 10^6 rows, LightGCN on a power-law graph. Times are medians " +
      `of repeated synchronous calls (at least ${String(results.timing.minRuns)} runs and ` +
      `${String(results.timing.minSeconds)} s per kernel and thread count). A bandwidth-bound kernel's figure is ` +
      "its effective bytes (every tensor it must read, read once, and every tensor it writes, written once; " +
      "see ts/bench/kernel_case.ts) over its time, read against the copy; a compute-bound kernel's is its FLOPs " +
      "over its time, read against OpenBLAS's sgemm. 2t / 1t is the 2-thread figure over the 1-thread one.",
    "",
    describeRun(results.date, results.machine),
    "",
    ...(results.profile === "quick"
      ? ["**A quick run** (`--quick`: smaller store and graph, a few runs per kernel): for development, " +
           "not for comparison.", ""]
      : []),
    "## Targets (reported, not asserted)",
    "",
    "From kernels.md and training_kernels.md, measured in the same run.",
    "",
    ...targetsMarkdown(results.targets),
    ...deviceSection(results.cpu, ""),
  ];
  if (results.cuda !== undefined) {
    lines.push(...deviceSection(results.cuda,
                                results.cudaFromEarlierRun === true ? " (an earlier run: this one had no GPU)" : ""));
  }
  if (results.cudaSkipped !== undefined) lines.push(`cuda: skipped in this run: ${results.cudaSkipped}.`, "");
  const listed = (title: string, entries: Record<string, string>) =>
    [title, "", ...Object.entries(entries).map(([name, reason]) => `- \`${name}\`: ${reason}`), ""];
  lines.push("## Not timed", "",
             ...listed("Exports of ts/ops that run no kernel of their own:", results.untimed.ops),
             ...listed("Methods of the native EmbeddingStore:", results.untimed.store),
             ...listed("Functions of the native addon:", results.untimed.native));
  return lines.join("\n");
}
