/** relu, tanh and sigmoid on the tape; the gradient reads the forward output. */
import { activation, activationBackward, type Activation } from "../../ops/activation.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

for (const kind of ["relu", "tanh", "sigmoid"] as const) {
  for (const backend of ["cpu", "cuda"] as const) {
    registerKernel<Activation>(kind, backend, ([x], attrs) => ({ output: activation(attrs, x!) }));
  }
  registerGradient<Activation>(kind, (dy, { output, attrs }) => [activationBackward(attrs, output, dy)]);
}

export const relu = (x: Variable): Variable => runOp<Activation>("relu", [x], "relu");
export const tanh = (x: Variable): Variable => runOp<Activation>("tanh", [x], "tanh");
export const sigmoid = (x: Variable): Variable => runOp<Activation>("sigmoid", [x], "sigmoid");
