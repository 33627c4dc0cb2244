/**
 * The dense optimizer steps on the recommender's largest parameter (W of Linear 256→512, P values),
 * in place: SGD reads w and g and writes w (3·4P bytes), with momentum also its buffer (5·4P),
 * Adam and AdamW w, g, m and v and write w, m and v (7·4P), Adagrad w, g and G (5·4P). Clipping by
 * the global norm reads every gradient of the recommender's Linear layers for the norm, then reads
 * and writes them to scale (3·4 bytes a value); each run starts from the unclipped gradients again.
 */
import type { Device } from "../../backend.js";
import {
  adagradState, adagradStep, adamState, adamStep, clipGradNorm, type SgdState, sgdStep,
} from "../../ops/dense_optimizer.js";
import { linearCombination } from "../../ops/elementwise.js";
import { CaseInputs } from "../case_inputs.js";
import { floatBytes, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

export function denseOptimizerCases(device: Device): KernelGroup {
  const inputs = new CaseInputs(device);
  const shape = [256, 512];
  const size = shape[0]! * shape[1]!;
  const param = inputs.seeded(shape, 1, 0.1);
  const grad = inputs.seeded(shape, 2, 0.1);
  // Tiny learning rates keep the parameter where it started over thousands of steps.
  const learningRate = 1e-6;
  const momentumState: SgdState = { momentumBuffer: inputs.zeros(shape) };
  const adam = adamState(param);
  const adamW = adamState(param);
  const adagrad = adagradState(param);
  for (const tensor of [adam.m, adam.v, adamW.m, adamW.v, adagrad.sum]) inputs.hold(tensor);

  // The recommender's Linear gradients: W and b of 256→512 and of 512→1.
  const gradientShapes = [[256, 512], [512], [512, 1], [1]];
  const unclipped = gradientShapes.map((s, k) => inputs.seeded(s, 10 + k));
  const gradients = gradientShapes.map((s) => inputs.zeros(s));
  const restoreGradients = () => unclipped.forEach((g, k) => linearCombination(1, g, 0, g, gradients[k]));
  restoreGradients();
  const gradientValues = gradients.reduce((total, g) => total + g.size, 0);

  const step = (op: string, label: string, values: number, run: (i: number) => void) =>
    kernelCase({ op, label, shape: shapeText(shape), pass: "update", bound: "bandwidth",
                 effectiveBytes: floatBytes(values * size), run });
  return {
    family: "dense optimizers",
    cases: [
      step("sgdStep", "SGD", 3, () => sgdStep(param, grad, {}, { learningRate })),
      step("sgdStep", "SGD, momentum 0.9", 5, () => sgdStep(param, grad, momentumState, { learningRate, momentum: 0.9 })),
      step("adamStep", "Adam", 7, (i) => adamStep(param, grad, adam, i + 1, { learningRate })),
      step("adamStep", "AdamW (decoupled weight decay 0.01)", 7,
           (i) => adamStep(param, grad, adamW, i + 1, { learningRate, weightDecay: 0.01, decoupled: true })),
      step("adagradStep", "Adagrad", 5, () => adagradStep(param, grad, adagrad, { learningRate })),
      kernelCase({
        op: "clipGradNorm", label: "clip to global norm 1e-3 (norm, then scale)",
        shape: `${gradients.length} tensors, ${gradientValues} values`, pass: "update", bound: "bandwidth",
        effectiveBytes: floatBytes(3 * gradientValues),
        run: () => clipGradNorm(gradients, 1e-3), release: restoreGradients,
      }),
    ],
    dispose: () => inputs.dispose(),
  };
}
