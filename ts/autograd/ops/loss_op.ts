/**
 * Losses on the tape. Each loss kernel computes the loss and d loss/d input in one pass, so the
 * gradient only scales what the forward saved by the incoming d L/d loss (1 for a final loss).
 */
import { bceWithLogitsLoss, bprLoss, mseSigmoidLoss, softmaxCrossEntropyLoss, type LossReduction } from "../../ops/loss.js";
import { linearCombination } from "../../ops/elementwise.js";
import { Tensor } from "../../tensor.js";
import { registerGradient, registerKernel, runOp } from "../op_registry.js";
import type { Variable } from "../variable.js";

interface LossAttrs {
  reduction: LossReduction;
  /** Labels are data, not inputs that take a gradient. */
  labels: Tensor<"float32"> | Tensor<"int32">;
}

type Loss = "mseSigmoid" | "bceWithLogits" | "softmaxCrossEntropy";
const losses = {
  mseSigmoid: (logits: Tensor<"float32">, attrs: LossAttrs) => mseSigmoidLoss(logits, attrs.labels as Tensor<"float32">, attrs),
  bceWithLogits: (logits: Tensor<"float32">, attrs: LossAttrs) => bceWithLogitsLoss(logits, attrs.labels as Tensor<"float32">, attrs),
  softmaxCrossEntropy: (logits: Tensor<"float32">, attrs: LossAttrs) =>
    softmaxCrossEntropyLoss(logits, attrs.labels as Tensor<"int32">, attrs),
};

function scalar(value: number, device: Tensor["device"]): Tensor<"float32"> {
  return Tensor.from(Float32Array.of(value), { shape: [1], device });
}

/** d L/d input = (d L/d loss) · (d loss/d input): the upstream gradient is one number. */
function scaled(grad: Tensor<"float32">, dLoss: Tensor<"float32">): Tensor<"float32"> {
  const factor = dLoss.toArray()[0]!;
  return factor === 1 ? grad : linearCombination(factor, grad, 0, grad);
}

for (const loss of Object.keys(losses) as Loss[]) {
  for (const backend of ["cpu", "cuda"] as const) {
    registerKernel<LossAttrs>(loss, backend, ([logits], attrs) => {
      const result = losses[loss](logits!, attrs);
      return { output: scalar(result.loss, logits!.device), saved: result.grad };
    });
  }
  registerGradient<LossAttrs>(loss, (dLoss, { saved }) => [scaled(saved as Tensor<"float32">, dLoss)]);
}

for (const backend of ["cpu", "cuda"] as const) {
  registerKernel<{ reduction: LossReduction }>("bpr", backend, ([pos, neg], attrs) => {
    const result = bprLoss(pos!, neg!, attrs);
    return { output: scalar(result.loss, pos!.device), saved: result };
  });
}
registerGradient<{ reduction: LossReduction }>("bpr", (dLoss, { saved }) => {
  const { gradPos, gradNeg } = saved as { gradPos: Tensor<"float32">; gradNeg: Tensor<"float32"> };
  return [scaled(gradPos, dLoss), scaled(gradNeg, dLoss)];
});

/** ESAPN's binary loss: (σ(z) − y)², summed (the reference) or averaged. */
export const mseSigmoid = (logits: Variable, labels: Tensor<"float32">, reduction: LossReduction = "mean"): Variable =>
  runOp<LossAttrs>("mseSigmoid", [logits], { labels, reduction });
export const bceWithLogits = (logits: Variable, labels: Tensor<"float32">, reduction: LossReduction = "mean"): Variable =>
  runOp<LossAttrs>("bceWithLogits", [logits], { labels, reduction });
export const softmaxCrossEntropy = (logits: Variable, labels: Tensor<"int32">, reduction: LossReduction = "mean"): Variable =>
  runOp<LossAttrs>("softmaxCrossEntropy", [logits], { labels, reduction });
/** softplus(neg − pos): LightGCN's pairwise ranking loss. */
export const bpr = (pos: Variable, neg: Variable, reduction: LossReduction = "mean"): Variable =>
  runOp<{ reduction: LossReduction }>("bpr", [pos, neg], { reduction });
