/**
 * The benchmark's targets. The store kernels' and the training kernels' bandwidth targets are
 * fractions of the copy bandwidth measured in the same run; the chain's is a speedup of one path
 * over the other, GEMM's a ratio to OpenBLAS on the same machine. They are reported, never
 * asserted: a benchmark that fails on a slow or busy machine says nothing about correctness.
 */
import type { Device } from "../index.js";
import type { DeviceFigures, KernelFigure, TargetCheck } from "./figures.js";
import type { TargetOutcome } from "./training_figures.js";

interface Target {
  device: Device;
  kernel: KernelFigure["kernel"];
  minRatio: number;
  reference: string;
}

const targets: readonly Target[] = [
  { device: "cpu", kernel: "lookup", minRatio: 0.8, reference: "≥ 0.8× memcpy" },
  { device: "cuda", kernel: "lookup", minRatio: 0.75, reference: "≥ 0.75× D2D copy (FBGEMM: 0.65)" },
  { device: "cuda", kernel: "step", minRatio: 0.35, reference: "≥ 0.35× D2D copy (FBGEMM: 0.27, row-wise Adagrad)" },
];

/**
 * The target a figure is held to, if any. Targets are for the pure kernel: the default thread
 * count, and step without the NaN check.
 */
export function checkTarget(device: Device, figure: Omit<KernelFigure, "target">,
                            defaultThreads: number): TargetCheck | undefined {
  if (figure.threads !== undefined && figure.threads !== defaultThreads) return undefined;
  if (figure.checkFinite === true) return undefined;
  const target = targets.find((candidate) => candidate.device === device && candidate.kernel === figure.kernel);
  if (target === undefined) return undefined;
  return { minRatio: target.minRatio, met: figure.ratio >= target.minRatio, reference: target.reference };
}

/** Every target, for the results' legend. */
export function targetLegend(): string[] {
  return targets.map((target) => `${target.device} ${target.kernel}: ${target.reference}`);
}

/** The core training kernels' targets (ts/bench/training_kernels.ts). */
export const trainingTargets = {
  /** Precomposed over step-by-step chain, rows all at the smallest size; on every device. */
  chain: { minSpeedup: 10, reference: "precomposed ≥ 10× step-by-step, rows at the smallest size" },
  /** Builtin over OpenBLAS GFLOP/s, every product of the MLP's Linear layers; CPU only. */
  gemm: { minRatio: 0.8, reference: "builtin ≥ 0.8× OpenBLAS on every MLP product" },
  /** weightedSum (the Gumbel mix) GB/s over the device-to-device copy; on a GPU. */
  gumbelMix: { device: "cuda", minRatio: 0.6, reference: "≥ 0.6× D2D copy" },
  /** propagate (Â·X) GB/s over the device-to-device copy; on a GPU. */
  propagation: { device: "cuda", minRatio: 0.6, reference: "≥ 0.6× D2D copy" },
} as const;

/** The store kernels' target checks of one device (kernels.json), in the form every target is reported in. */
export function storeTargetOutcomes(section: DeviceFigures): TargetOutcome[] {
  return section.kernels.flatMap((figure) => (figure.target === undefined ? [] : [{
    name: `store ${figure.label}`,
    device: section.device,
    required: figure.target.reference,
    reached: `${figure.ratio.toFixed(2)}× copy (${figure.gbPerSecond.toFixed(1)} of ` +
      `${figure.limitGbPerSecond.toFixed(1)} GB/s)`,
    met: figure.target.met,
  }]));
}
