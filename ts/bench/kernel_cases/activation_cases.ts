/**
 * relu, tanh and sigmoid on the recommender's hidden layer [B, 512]: forward y = f(x) reads x and
 * writes y; backward reads y and dy and writes dx.
 */
import type { Device } from "../../backend.js";
import { type Activation, activation, activationBackward } from "../../ops/activation.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, type KernelCase, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

const kinds: readonly Activation[] = ["relu", "tanh", "sigmoid"];

export function activationCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const shape = [profile.batch, 512];
  const n = shape[0]! * shape[1]!;
  const x = inputs.seeded(shape, 1);
  const dy = inputs.seeded(shape, 2);
  const cases: KernelCase[] = kinds.flatMap((kind) => {
    const y = inputs.hold(activation(kind, x));
    return [
      kernelCase({ op: "activation", label: kind, shape: shapeText(shape), pass: "forward", bound: "bandwidth",
                   effectiveBytes: floatBytes(n, n), run: () => activation(kind, x), release: disposeOutputs }),
      kernelCase({ op: "activationBackward", label: `${kind}'`, shape: shapeText(shape), pass: "backward",
                   bound: "bandwidth", effectiveBytes: floatBytes(n, n, n),
                   run: () => activationBackward(kind, y, dy), release: disposeOutputs }),
    ];
  });
  return { family: "activations", cases, dispose: () => inputs.dispose() };
}
