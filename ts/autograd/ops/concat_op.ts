/** Concatenation along features on the tape: [n, c1], [n, c2], … → [n, Σc]; the backward slices. */
import { concatFeatures, concatFeaturesBackward } from "../../ops/feature_concat.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<undefined>("concatFeatures", backend, (xs) => ({ output: concatFeatures(xs) }));
}
registerGradient<undefined>("concatFeatures", (dy, { inputs }) => concatFeaturesBackward(dy, inputs.map((x) => x.shape[1]!)));

export function concat(xs: readonly Variable[]): Variable {
  return runOp<undefined>("concatFeatures", xs, undefined);
}
