/**
 * The core training kernels on one device, each beside the copy bandwidth measured in the same
 * run: ESAPN's projection chain (precomposed against step by step, at each size class), the
 * Gumbel mix (weightedSum, in GB/s), sparse propagation (Â·X, in GB/s), and on the CPU the GEMM
 * against OpenBLAS (GFLOP/s), with every target of trainingTargets checked.
 *
 * Figures are medians of the timed runs (timing.ts); the slow kernels get fewer runs than the
 * store's (bench_profile.ts), so the whole benchmark stays within a few minutes on two cores.
 */
import type { Device } from "../index.js";
import { cpuGemm } from "../ops/gemm.js";
import { copyLimitKind, measureCopyBandwidth } from "./bandwidth_limit.js";
import type { BenchProfile } from "./bench_profile.js";
import { benchChain } from "./chain_bench.js";
import { benchGemm, type GemmBenchResult } from "./gemm_bench.js";
import { benchGumbelMix, type BandwidthFigure } from "./gumbel_bench.js";
import { deviceName, hostDescription } from "./machine.js";
import { benchPropagation } from "./propagation_bench.js";
import { trainingTargets } from "./targets.js";
import type { GemmFigures, LimitRatio, TargetOutcome, TrainingDeviceFigures } from "./training_figures.js";

function againstLimit(gbPerSecond: number, limitGbPerSecond: number): LimitRatio {
  return { gbPerSecond, limitGbPerSecond, ratio: gbPerSecond / limitGbPerSecond };
}

function gemmFigures(products: GemmBenchResult[]): GemmFigures {
  const info = cpuGemm();
  const figures: GemmFigures = {
    kernel: info.kernel,
    openblas: info.openblas,
    ...(info.openblasCore === undefined ? {} : { openblasCore: info.openblasCore }),
    products,
  };
  if (!info.openblas) {
    figures.note = `OpenBLAS not compared: ${info.openblasReason ?? "libopenblas.so.0 did not load"} ` +
      "(install it, e.g. apt libopenblas0)";
    return figures;
  }
  const flops = products.reduce((total, p) => total + 2 * p.m * p.n * p.k, 0);
  const builtinMs = products.reduce((total, p) => total + p.builtinMs, 0);
  const openblasMs = products.reduce((total, p) => total + p.openblasMs!, 0);
  figures.aggregateRatio = (flops / builtinMs) / (flops / openblasMs);
  return figures;
}

const times = (ratio: number, digits = 2) => `${ratio.toFixed(digits)}×`;

function targetOutcomes(figures: Omit<TrainingDeviceFigures, "targets">): TargetOutcome[] {
  const { device, chain, gumbel, propagation, gemm } = figures;
  const outcomes: TargetOutcome[] = [];
  const smallest = chain.classes[0]!;
  outcomes.push({
    name: `chain, rows at ${smallest.size!}`, device, required: `≥ ${trainingTargets.chain.minSpeedup}× step-by-step`,
    reached: `${times(smallest.speedup)} (fastest runs: ${times(smallest.speedupOfFastest)})`, met: chain.target.met,
  });
  const bandwidthTarget = (name: string, target: { device: Device; minRatio: number; reference: string },
                           figure: LimitRatio): void => {
    const reached = `${times(figure.ratio)} copy (${figure.gbPerSecond.toFixed(1)} of ` +
      `${figure.limitGbPerSecond.toFixed(1)} GB/s)`;
    outcomes.push(device === target.device
      ? { name, device, required: target.reference, reached, met: figure.ratio >= target.minRatio }
      : { name, device, required: "none on this device", reached,
          note: `${target.reference} applies on ${target.device}` });
  };
  bandwidthTarget("Gumbel mix (weightedSum)", trainingTargets.gumbelMix, gumbel.weightedSumLimit);
  bandwidthTarget("propagation (Â·X)", trainingTargets.propagation, propagation.limit);
  if (gemm !== undefined) {
    const required = `≥ ${trainingTargets.gemm.minRatio}× OpenBLAS, every product`;
    if (!gemm.openblas) {
      outcomes.push({ name: "GEMM, MLP products", device, required, reached: "-", note: gemm.note! });
    } else {
      const lowest = Math.min(...gemm.products.map((p) => p.ratio!));
      outcomes.push({
        name: "GEMM, MLP products", device, required,
        reached: `lowest ${times(lowest, 3)}, all products together ${times(gemm.aggregateRatio!, 3)}`,
        met: lowest >= trainingTargets.gemm.minRatio,
      });
    }
  }
  return outcomes;
}

/** Runs every training-kernel benchmark on `device`, logging each figure as it comes. */
export function benchTrainingKernels(device: Device, profile: BenchProfile,
                                     log: (line: string) => void): TrainingDeviceFigures {
  const { timing, chainBatch, gumbelBatch, gemm: gemmOptions, propagation: graph } = profile.training;
  const limit = measureCopyBandwidth(device, profile.copyBytes, timing);
  log(`  copy (limit)                      ${limit.gbPerSecond.toFixed(1).padStart(7)} GB/s`);

  const chain = benchChain(device, { timing, batch: chainBatch });
  for (const row of [...chain.classes, chain.spread]) {
    log(`  chain ${row.rows.padEnd(20)} precomposed ${row.precomposed.medianMs.toFixed(3).padStart(8)} ms ` +
        `(${row.precomposed.gbPerSecond.toFixed(1)} GB/s), ` +
        `step-by-step ${row.stepwise.medianMs.toFixed(3).padStart(8)} ms, ${row.speedup.toFixed(1)}×`);
  }

  const gumbelFigures = benchGumbelMix(device, { timing, batch: gumbelBatch });
  const withLimit = (figure: BandwidthFigure) => againstLimit(figure.gbPerSecond, limit.gbPerSecond);
  const gumbel = { ...gumbelFigures, weightedSumLimit: withLimit(gumbelFigures.weightedSum),
                   weightedSumBackwardLimit: withLimit(gumbelFigures.weightedSumBackward) };
  log(`  Gumbel mix weightedSum            ${gumbel.weightedSum.gbPerSecond.toFixed(1).padStart(7)} GB/s ` +
      `(${gumbel.weightedSumLimit.ratio.toFixed(2)}× copy), ` +
      `backward ${gumbel.weightedSumBackward.gbPerSecond.toFixed(1)} GB/s`);

  const propagationFigure = benchPropagation(device, graph, timing);
  const propagation = { ...propagationFigure, limit: againstLimit(propagationFigure.gbPerSecond, limit.gbPerSecond) };
  log(`  propagation Â·X                   ${propagation.gbPerSecond.toFixed(1).padStart(7)} GB/s ` +
      `(${propagation.limit.ratio.toFixed(2)}× copy)`);

  let gemm: GemmFigures | undefined;
  if (device === "cpu") {
    gemm = gemmFigures(benchGemm(gemmOptions));
    for (const p of gemm.products) {
      log(`  GEMM ${`${p.m}×${p.n}×${p.k}`.padEnd(12)} ${p.pass.padEnd(16)} ` +
          `${p.builtinGflops.toFixed(1).padStart(6)} GFLOP/s` +
          (p.ratio === undefined ? "" : `, OpenBLAS ${p.openblasGflops!.toFixed(1)}, ${times(p.ratio, 3)}`));
    }
    if (gemm.note !== undefined) log(`  GEMM: ${gemm.note}`);
  }

  const figures = {
    device,
    name: deviceName(device),
    date: new Date().toISOString(),
    host: hostDescription(),
    limit: { ...limit, kind: copyLimitKind(device), bufferBytes: profile.copyBytes },
    chain, gumbel, propagation,
    ...(gemm === undefined ? {} : { gemm }),
  };
  return { ...figures, targets: targetOutcomes(figures) };
}
