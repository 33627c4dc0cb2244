/** Batch norm on the tape: inputs x [N, C] and, when affine, γ and β [C]. */
import { batchNorm, batchNormBackward, type BatchNormOptions, type BatchNormOutput } from "../../ops/batch_norm.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

type Attrs = Omit<BatchNormOptions, "gamma" | "beta">;

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<Attrs>("batchNorm", backend, ([x, gamma, beta], attrs) => {
    const forward = batchNorm(x!, { ...attrs, gamma, beta });
    return { output: forward.y, saved: forward };
  });
}
registerGradient<Attrs>("batchNorm", (dy, { inputs: [x, gamma], saved }) => {
  const { dx, dgamma, dbeta } = batchNormBackward(dy, x!, saved as BatchNormOutput, { gamma });
  return [dx, dgamma, dbeta];
});

/** y = γ·(x − μ)/sqrt(σ² + ε) + β (then tanh, with attrs.activation "tanh"), with batch statistics in training and running ones in eval. */
export function batchNormOp(x: Variable, affine: { gamma: Variable; beta: Variable } | undefined, attrs: Attrs): Variable {
  return runOp<Attrs>("batchNorm", affine === undefined ? [x] : [x, affine.gamma, affine.beta], attrs);
}
