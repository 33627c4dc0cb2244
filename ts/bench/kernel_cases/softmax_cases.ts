/**
 * Softmax over the last dimension, on DARTS's per-id weights (B ids × 6 candidate sizes): forward
 * reads x and writes y; backward reads y and dy and writes dx.
 */
import type { Device } from "../../backend.js";
import { softmax, softmaxBackward } from "../../ops/softmax.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

export function softmaxCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const shape = [profile.batch, 6];
  const n = shape[0]! * shape[1]!;
  const x = inputs.seeded(shape, 1, 4);
  const y = inputs.hold(softmax(x));
  const dy = inputs.seeded(shape, 2);
  return {
    family: "softmax",
    cases: [
      kernelCase({ op: "softmax", label: "softmax of each row", shape: shapeText(shape), pass: "forward",
                   bound: "bandwidth", effectiveBytes: floatBytes(n, n), run: () => softmax(x),
                   release: disposeOutputs }),
      kernelCase({ op: "softmaxBackward", label: "dx = y ⊙ (dy − Σ dy·y)", shape: shapeText(shape), pass: "backward",
                   bound: "bandwidth", effectiveBytes: floatBytes(n, n, n), run: () => softmaxBackward(y, dy),
                   release: disposeOutputs }),
    ],
    dispose: () => inputs.dispose(),
  };
}
