/** y = x·W + b on the tape, with x [B, in], W [in, out], b [out]; the backward is two GEMMs and a column sum. */
import { matmul, matmulGradients } from "../../ops/gemm.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<undefined>("linear", backend, ([x, weight, bias]) => ({ output: matmul(x!, weight!, { bias }) }));
}
registerGradient<undefined>("linear", (dy, { inputs: [x, weight, bias] }) => {
  const { da, db, dbias } = matmulGradients(dy, x!, weight!);
  return bias === undefined ? [da, db] : [da, db, dbias];
});

export function linear(x: Variable, weight: Variable, bias?: Variable): Variable {
  return runOp<undefined>("linear", bias === undefined ? [x, weight] : [x, weight, bias], undefined);
}
