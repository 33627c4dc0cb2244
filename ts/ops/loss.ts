/**
 * Losses whose forward pass also returns the gradient with respect to its input, since training
 * always needs both. Each returns the loss as a number (the sum over the batch, or the mean) and
 * optionally the per-sample losses (ESAPN's reward reads them).
 *
 * The loss is summed in double in a fixed order, so it does not depend on the thread count.
 * Inputs are checked in the same pass: a non-finite logit, a binary label outside [0, 1] (NaN
 * included) or a class label outside [0, K) is a RangeError naming the first one. A mean over an
 * empty batch is NaN, as in PyTorch; a sum is 0.
 */
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectShape, expectTensor, kernelArgument, outputTensor } from "./op_tensors.js";



export type LossReduction = "mean" | "sum";

export interface LossOptions {
  /** "mean" (default) or "sum" over the batch; the gradient is of the reduced loss. */
  reduction?: LossReduction;
  /** Also return each sample's loss. Default false. */
  perSample?: boolean;
  /** Compute the gradient. Default true; false for an evaluation-only pass. */
  gradient?: boolean;
}

export interface LossResult {
  loss: number;
  /** d loss / d logits, shaped like the logits (absent with gradient: false). */
  grad?: Tensor<"float32">;
  /** Each sample's unreduced loss [N] (present with perSample: true). */
  perSample?: Tensor<"float32">;
}

export interface BprLossResult {
  loss: number;
  /** d loss / d pos and d loss / d neg (absent with gradient: false). */
  gradPos?: Tensor<"float32">;
  gradNeg?: Tensor<"float32">;
  perSample?: Tensor<"float32">;
}

interface ResolvedOptions {
  mean: boolean;
  perSample: boolean;
  gradient: boolean;
}

function resolveOptions(options: LossOptions): ResolvedOptions {
  const reduction = options.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "sum") {
    throw new TypeError(`reduction must be "mean" or "sum", got ${JSON.stringify(reduction)}`);
  }
  for (const key of ["perSample", "gradient"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "boolean") {
      throw new TypeError(`${key} must be a boolean, got ${typeof options[key]}`);
    }
  }
  return { mean: reduction === "mean", perSample: options.perSample ?? false, gradient: options.gradient ?? true };
}

function binaryLoss(kind: number, logits: Tensor<"float32">, labels: Tensor<"float32">, options: LossOptions): LossResult {
  const resolved = resolveOptions(options);
  const z = expectTensor(logits, "float32", "logits");
  const y = expectTensor(labels, "float32", "labels");
  expectShape(y, z.shape, "labels");
  const device = commonDevice({ logits: z, labels: y });
  const grad = resolved.gradient ? outputTensor("float32", z.shape, device) : undefined;
  const perSample = resolved.perSample ? outputTensor("float32", [z.size], device) : undefined;
  const loss = native.binaryLoss(kind, kernelArgument(z, "logits"), kernelArgument(y, "labels"),
                                  grad === undefined ? null : kernelArgument(grad, "grad"),
                                  perSample === undefined ? null : kernelArgument(perSample, "perSample"), resolved.mean);
  return { loss, ...(grad && { grad }), ...(perSample && { perSample }) };
}

/**
 * MSE on the sigmoid: l_i = (σ(z_i) − y_i)², labels in [0, 1]. ESAPN's reference sums it
 * (reduction: "sum"). grad_i = 2(σ − y)·σ(1 − σ), divided by N for the mean.
 */
export function mseSigmoidLoss(logits: Tensor<"float32">, labels: Tensor<"float32">, options: LossOptions = {}): LossResult {
  return binaryLoss(0, logits, labels, options);
}

/** Binary cross-entropy on logits, l_i = max(z, 0) − z·y + log(1 + e^−|z|); grad_i = σ(z) − y (÷N for the mean). */
export function bceWithLogitsLoss(logits: Tensor<"float32">, labels: Tensor<"float32">, options: LossOptions = {}):
    LossResult {
  return binaryLoss(1, logits, labels, options);
}

/**
 * Softmax cross-entropy over logits [N, K] with class labels [N] in [0, K):
 * l_i = logsumexp(z_i) − z_i[label_i]; grad = softmax(z) − onehot(label) (÷N for the mean).
 */
export function softmaxCrossEntropyLoss(logits: Tensor<"float32">, labels: Tensor<"int32">, options: LossOptions = {}):
    LossResult {
  const resolved = resolveOptions(options);
  const z = expectTensor(logits, "float32", "logits");
  expectRank(z, 2, "logits");
  const y = expectTensor(labels, "int32", "labels");
  const [rows, classes] = z.shape as [number, number];
  expectShape(y, [rows], "labels");
  const device = commonDevice({ logits: z, labels: y });
  const grad = resolved.gradient ? outputTensor("float32", z.shape, device) : undefined;
  const perSample = resolved.perSample ? outputTensor("float32", [rows], device) : undefined;
  const loss = native.softmaxCrossEntropyLoss(kernelArgument(z, "logits"), kernelArgument(y, "labels"), classes,
                                               grad === undefined ? null : kernelArgument(grad, "grad"),
                                               perSample === undefined ? null : kernelArgument(perSample, "perSample"),
                                               resolved.mean);
  return { loss, ...(grad && { grad }), ...(perSample && { perSample }) };
}

/**
 * Bayesian personalised ranking over scores of positive and negative items:
 * l_i = softplus(neg_i − pos_i) = −log σ(pos_i − neg_i); gradNeg = σ(neg − pos) = −gradPos (÷N for the mean).
 */
export function bprLoss(pos: Tensor<"float32">, neg: Tensor<"float32">, options: LossOptions = {}): BprLossResult {
  const resolved = resolveOptions(options);
  const p = expectTensor(pos, "float32", "pos");
  const n = expectTensor(neg, "float32", "neg");
  expectShape(n, p.shape, "neg");
  const device = commonDevice({ pos: p, neg: n });
  const gradPos = resolved.gradient ? outputTensor("float32", p.shape, device) : undefined;
  const gradNeg = resolved.gradient ? outputTensor("float32", p.shape, device) : undefined;
  const perSample = resolved.perSample ? outputTensor("float32", [p.size], device) : undefined;
  const loss = native.bprLoss(kernelArgument(p, "pos"), kernelArgument(n, "neg"),
                               gradPos === undefined ? null : kernelArgument(gradPos, "gradPos"),
                               gradNeg === undefined ? null : kernelArgument(gradNeg, "gradNeg"),
                               perSample === undefined ? null : kernelArgument(perSample, "perSample"), resolved.mean);
  return { loss, ...(gradPos && { gradPos, gradNeg }), ...(perSample && { perSample }) };
}
