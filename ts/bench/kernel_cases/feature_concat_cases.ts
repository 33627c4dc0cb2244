/**
 * Concatenation and slicing along features, as the recommender joins its user and item vectors
 * ([B, 128] twice → [B, 256]) and its backward splits the gradient again: every value is read once
 * and written once; sliceFeaturesBackward also writes the zeros around the slice.
 */
import type { Device } from "../../backend.js";
import { concatFeatures, concatFeaturesBackward, sliceFeatures, sliceFeaturesBackward } from "../../ops/feature_concat.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

export function featureConcatCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const batch = profile.batch;
  const width = 128;
  const users = inputs.seeded([batch, width], 1);
  const items = inputs.seeded([batch, width], 2);
  const joined = inputs.seeded([batch, 2 * width], 3);
  const half = batch * width;
  const both = `2 × ${shapeText([batch, width])} ↔ ${shapeText([batch, 2 * width])}`;
  return {
    family: "feature concat",
    cases: [
      kernelCase({ op: "concatFeatures", label: "user ‖ item vectors", shape: both, pass: "forward",
                   bound: "bandwidth", effectiveBytes: floatBytes(2 * half, 2 * half),
                   run: () => concatFeatures([users, items]), release: disposeOutputs }),
      kernelCase({ op: "concatFeaturesBackward", label: "split dy into the user and item gradients", shape: both,
                   pass: "backward", bound: "bandwidth", effectiveBytes: floatBytes(2 * half, 2 * half),
                   run: () => concatFeaturesBackward(joined, [width, width]), release: disposeOutputs }),
      kernelCase({ op: "sliceFeatures", label: "columns 128..256", shape: shapeText([batch, 2 * width]),
                   pass: "forward", bound: "bandwidth", effectiveBytes: floatBytes(half, half),
                   run: () => sliceFeatures(joined, width, width), release: disposeOutputs }),
      kernelCase({ op: "sliceFeaturesBackward", label: "dy into columns 128..256 of zeros",
                   shape: shapeText([batch, 2 * width]), pass: "backward", bound: "bandwidth",
                   effectiveBytes: floatBytes(half, 2 * half),
                   run: () => sliceFeaturesBackward(items, 2 * width, width), release: disposeOutputs }),
    ],
    dispose: () => inputs.dispose(),
  };
}
