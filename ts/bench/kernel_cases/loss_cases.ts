/**
 * Each loss with its gradient, in one call as training runs it, at batch B: MSE on the sigmoid and
 * BCE with logits on [B, 1] (ESAPN's binary task, the CTR models), softmax cross-entropy on [B, 5]
 * (ESAPN's five ratings), BPR on B (user, positive, negative) triples (LightGCN). Inputs are read
 * once and the gradient written once: these are launch- and overhead-bound at this size.
 */
import type { Device } from "../../backend.js";
import { bceWithLogitsLoss, bprLoss, mseSigmoidLoss, softmaxCrossEntropyLoss } from "../../ops/loss.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

const ratingClasses = 5;

export function lossCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const batch = profile.batch;
  const logits = inputs.seeded([batch, 1], 1, 3);
  const binaryLabels = inputs.from(Float32Array.from({ length: batch }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0),
                                   [batch, 1]);
  const classLogits = inputs.seeded([batch, ratingClasses], 2, 3);
  const classLabels = inputs.from(Int32Array.from({ length: batch }, (_, i) => (i * 7) % ratingClasses));
  const pos = inputs.seeded([batch], 3, 3);
  const neg = inputs.seeded([batch], 4, 3);
  const binary = shapeText([batch, 1]);
  return {
    family: "losses",
    cases: [
      kernelCase({ op: "mseSigmoidLoss", label: "MSE on σ(z), loss and gradient", shape: binary,
                   pass: "forward and backward", bound: "bandwidth", effectiveBytes: floatBytes(batch, batch, batch),
                   run: () => mseSigmoidLoss(logits, binaryLabels, { reduction: "sum" }), release: disposeOutputs }),
      kernelCase({ op: "bceWithLogitsLoss", label: "BCE with logits, loss and gradient", shape: binary,
                   pass: "forward and backward", bound: "bandwidth", effectiveBytes: floatBytes(batch, batch, batch),
                   run: () => bceWithLogitsLoss(logits, binaryLabels), release: disposeOutputs }),
      kernelCase({ op: "softmaxCrossEntropyLoss", label: "softmax cross-entropy, loss and gradient",
                   shape: shapeText([batch, ratingClasses]), pass: "forward and backward", bound: "bandwidth",
                   effectiveBytes: floatBytes(batch * ratingClasses, batch, batch * ratingClasses),
                   run: () => softmaxCrossEntropyLoss(classLogits, classLabels), release: disposeOutputs }),
      kernelCase({ op: "bprLoss", label: "BPR, loss and both gradients", shape: shapeText([batch]),
                   pass: "forward and backward", bound: "bandwidth", effectiveBytes: floatBytes(batch, batch, batch, batch),
                   run: () => bprLoss(pos, neg), release: disposeOutputs }),
    ],
    dispose: () => inputs.dispose(),
  };
}
