/** Elementwise sums and products on the tape. */
import { linearCombination, multiply } from "../../ops/elementwise.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

interface Coefficients {
  alpha: number;
  beta: number;
}

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<Coefficients>("linearCombination", backend, ([x, y], { alpha, beta }) => ({
    output: linearCombination(alpha, x!, beta, y!),
  }));
  registerKernel<undefined>("multiply", backend, ([x, y]) => ({ output: multiply(x!, y!) }));
}
registerGradient<Coefficients>("linearCombination", (dy, { attrs }) => [
  linearCombination(attrs.alpha, dy, 0, dy),
  linearCombination(attrs.beta, dy, 0, dy),
]);
registerGradient<undefined>("multiply", (dy, { inputs: [x, y] }) => [multiply(dy, y!), multiply(dy, x!)]);

/** α·x + β·y */
export const combine = (alpha: number, x: Variable, beta: number, y: Variable): Variable =>
  runOp<Coefficients>("linearCombination", [x, y], { alpha, beta });
export const plus = (x: Variable, y: Variable): Variable => combine(1, x, 1, y);
export const minus = (x: Variable, y: Variable): Variable => combine(1, x, -1, y);
export const times = (x: Variable, y: Variable): Variable => runOp<undefined>("multiply", [x, y], undefined);
