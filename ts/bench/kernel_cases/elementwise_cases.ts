/**
 * Elementwise arithmetic on [B, 512] (the autograd tape's accumulations and the models' products):
 * each reads its operands and writes its result once, 4 bytes a value.
 */
import type { Device } from "../../backend.js";
import { add, addScaledInPlace, linearCombination, multiply, scale } from "../../ops/elementwise.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, type KernelCase, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

export function elementwiseCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const shape = [profile.batch, 512];
  const n = shape[0]! * shape[1]!;
  const x = inputs.seeded(shape, 1);
  const y = inputs.seeded(shape, 2);
  const accumulator = inputs.seeded(shape, 3);
  const row = (op: string, label: string, values: number, run: () => unknown, inPlace = false): KernelCase =>
    kernelCase({ op, label, shape: shapeText(shape), pass: "forward", bound: "bandwidth",
                 effectiveBytes: floatBytes(values * n), run, ...(inPlace ? {} : { release: disposeOutputs }) });
  return {
    family: "elementwise",
    cases: [
      row("linearCombination", "z = α·x + β·y", 3, () => linearCombination(0.5, x, 2, y)),
      row("add", "z = x + y", 3, () => add(x, y)),
      // Tiny steps keep the accumulator where it started over thousands of runs.
      row("addScaledInPlace", "y ← y + α·x (gradient accumulation)", 3, () => addScaledInPlace(accumulator, 1e-9, x),
          true),
      row("scale", "z = α·x", 2, () => scale(x, 0.5)),
      row("multiply", "z = x ⊙ y", 3, () => multiply(x, y)),
    ],
    dispose: () => inputs.dispose(),
  };
}
