/**
 * Batch norm on the recommender's hidden layer [B, 512], with γ, β and running statistics, in
 * training (batch statistics, running ones updated in place) and in eval, forward and backward.
 * Effective bytes: x (and dy) read and y (or dx) written once, plus the per-feature vectors.
 */
import type { Device } from "../../backend.js";
import { batchNorm, batchNormBackward } from "../../ops/batch_norm.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, type KernelCase, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

export function batchNormCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const features = 512;
  const shape = [profile.batch, features];
  const n = profile.batch * features;
  const x = inputs.seeded(shape, 1);
  const dy = inputs.seeded(shape, 2);
  const gamma = inputs.seeded([features], 3);
  const beta = inputs.seeded([features], 4);
  const runningMean = inputs.zeros([features]);
  const runningVar = inputs.from(new Float32Array(features).fill(1));
  const cases: KernelCase[] = [true, false].flatMap((training) => {
    const mode = training ? "training" : "eval";
    const options = { training, gamma, beta, runningMean, runningVar };
    const forward = batchNorm(x, options);
    for (const tensor of [forward.y, forward.mean, forward.invstd]) inputs.hold(tensor);
    return [
      kernelCase({
        op: "batchNorm", label: `${mode}, y = γ·x̂ + β`, shape: shapeText(shape), pass: "forward", bound: "bandwidth",
        // x, γ, β and the running statistics read; y, mean and invstd written (and the running ones in training).
        effectiveBytes: floatBytes(2 * n, (training ? 8 : 6) * features),
        run: () => batchNorm(x, options), release: disposeOutputs,
      }),
      kernelCase({
        op: "batchNormBackward", label: `${mode}, dx, dγ, dβ`, shape: shapeText(shape), pass: "backward",
        bound: "bandwidth",
        // x, dy, γ, mean and invstd read; dx, dγ and dβ written.
        effectiveBytes: floatBytes(3 * n, 5 * features),
        run: () => batchNormBackward(dy, x, forward, { gamma }), release: disposeOutputs,
      }),
    ];
  });
  return { family: "batch norm", cases, dispose: () => inputs.dispose() };
}
