/**
 * The bandwidth targets of the kernels, as fractions of the copy bandwidth measured in the
 * same run. They are reported, never asserted: a benchmark that fails on a slow or busy
 * machine says nothing about correctness.
 */
import type { Device } from "../index.js";
import type { KernelFigure, TargetCheck } from "./figures.js";

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
