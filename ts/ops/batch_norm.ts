/**
 * Batch norm over x [N, C] with per-feature statistics over the batch (PyTorch's BatchNorm1d).
 *
 * Training normalises with the batch mean and biased variance and, when running statistics are
 * given, updates them in place: running = (1 − momentum)·running + momentum·batch, with the
 * unbiased variance (·N/(N − 1)) for runningVar. It needs N ≥ 2 (PyTorch raises for N = 1 too).
 * Eval normalises with the running statistics. γ and β are optional: without them (as in
 * AutoDim's reference) y = x̂. Statistics are summed in double in a fixed order.
 *
 * `activation: "tanh"` fuses the tanh that follows a batch norm in ESAPN's recommender and
 * policies (Linear → BN → tanh): y = tanh(γ·x̂ + β) in the same pass, and the backward takes dy
 * through tanh on the fly. The bits are those of activation("tanh", ·) after the batch norm.
 */
import { native, type NativeFloat32 } from "../native.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectShape, expectTensor, kernelArgument, outputTensor, overwrittenOutput } from "./op_tensors.js";

/** What may follow the normalisation in the same kernel. */
export type BatchNormActivation = "none" | "tanh";

const activationCodes: Record<BatchNormActivation, number> = { none: 0, tanh: 1 };

function activationCode(value: unknown): number {
  const code = activationCodes[(value ?? "none") as BatchNormActivation];
  if (code === undefined) throw new TypeError(`activation must be "none" or "tanh", got ${JSON.stringify(value)}`);
  return code;
}

export interface BatchNormOptions {
  /** Batch statistics (and running-statistics updates) when true; running statistics when false. */
  training: boolean;
  /** Scale γ [C]; give it with beta, or neither for a batch norm without affine parameters. */
  gamma?: Tensor<"float32">;
  /** Shift β [C]. */
  beta?: Tensor<"float32">;
  /** [C], updated in place in training; required in eval. Give it with runningVar. */
  runningMean?: Tensor<"float32">;
  /** [C], the unbiased variance, updated in place in training; required in eval. */
  runningVar?: Tensor<"float32">;
  /** Weight of the new batch in the running statistics, in [0, 1]. Default 0.1. */
  momentum?: number;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Applied to γ·x̂ + β in the same pass. Default "none". */
  activation?: BatchNormActivation;
}

export interface BatchNormOutput {
  /** The output, after the activation when there is one (the backward reads it then). */
  y: Tensor<"float32">;
  /** The mean used: the batch's in training, the running one in eval [C]. */
  mean: Tensor<"float32">;
  /** 1/sqrt(variance + eps) for the variance used [C]. */
  invstd: Tensor<"float32">;
  /** Which statistics were used, for the backward. */
  training: boolean;
  /** Whether γ and β were given; the backward then needs the same γ. */
  affine: boolean;
  activation: BatchNormActivation;
}

export interface BatchNormGradients {
  dx: Tensor<"float32">;
  /** Present when the forward had γ and β. */
  dgamma?: Tensor<"float32">;
  dbeta?: Tensor<"float32">;
}

function numberOption(value: unknown, fallback: number, argument: string, low: number, high: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${typeof value}`);
  if (!(value >= low && value <= high)) throw new RangeError(`${argument} must be in [${low}, ${high}], got ${value}`);
  return value;
}

function featureTensor(value: Tensor<"float32"> | undefined, features: number, argument: string):
    Tensor<"float32"> | undefined {
  if (value === undefined) return undefined;
  const tensor = expectTensor(value, "float32", argument);
  expectShape(tensor, [features], argument);
  return tensor;
}

function pairOf(first: Tensor<"float32"> | undefined, second: Tensor<"float32"> | undefined, firstName: string,
                secondName: string): void {
  if ((first === undefined) !== (second === undefined)) {
    throw new TypeError(`${firstName} and ${secondName} must be given together`);
  }
}

function optionalArgument(tensor: Tensor<"float32"> | undefined, argument: string): NativeFloat32 | null {
  return tensor === undefined ? null : kernelArgument(tensor, argument);
}

/**
 * y = γ·(x − μ)/sqrt(σ² + ε) + β over x [N, C]; returns y with the statistics the backward needs.
 *
 * @example
 * const bn = batchNorm(x, { training: true, gamma, beta, runningMean, runningVar });
 * const { dx, dgamma, dbeta } = batchNormBackward(dy, x, bn, { gamma });
 */
export function batchNorm(x: Tensor<"float32">, options: BatchNormOptions): BatchNormOutput {
  const input = expectTensor(x, "float32", "x");
  expectRank(input, 2, "x");
  if (typeof options?.training !== "boolean") {
    throw new TypeError(`options.training must be a boolean, got ${typeof options?.training}`);
  }
  const [rows, features] = input.shape as [number, number];
  const gamma = featureTensor(options.gamma, features, "gamma");
  const beta = featureTensor(options.beta, features, "beta");
  const runningMean = featureTensor(options.runningMean, features, "runningMean");
  const runningVar = featureTensor(options.runningVar, features, "runningVar");
  pairOf(gamma, beta, "gamma", "beta");
  pairOf(runningMean, runningVar, "runningMean", "runningVar");
  const momentum = numberOption(options.momentum, 0.1, "momentum", 0, 1);
  const eps = numberOption(options.eps, 1e-5, "eps", 0, Number.MAX_VALUE);
  const activation = activationCode(options.activation);
  if (options.training && rows < 2) throw new RangeError(`x must have at least 2 rows in training mode, got ${rows}`);
  if (!options.training && runningMean === undefined) {
    throw new TypeError("runningMean and runningVar are required in eval mode");
  }
  const present: Record<string, Tensor> = { x: input };
  if (gamma !== undefined) Object.assign(present, { gamma, beta });
  if (runningMean !== undefined) Object.assign(present, { runningMean, runningVar });
  const device = commonDevice(present);
  const y = overwrittenOutput("float32", input.shape, device);
  const mean = outputTensor("float32", [features], device);
  const invstd = outputTensor("float32", [features], device);
  native.batchNormForward(options.training, kernelArgument(input, "x"), optionalArgument(gamma, "gamma"),
                           optionalArgument(beta, "beta"), optionalArgument(runningMean, "runningMean"),
                           optionalArgument(runningVar, "runningVar"), kernelArgument(y, "y"),
                           kernelArgument(mean, "mean"), kernelArgument(invstd, "invstd"), rows, features, eps, momentum,
                           activation);
  return { y, mean, invstd, training: options.training, affine: gamma !== undefined, activation: options.activation ?? "none" };
}

/**
 * dL/dx (and dL/dγ, dL/dβ when the forward had γ and β; pass the same γ) from dL/dy, the forward's
 * input x and its output (whose y the backward reads when the forward had an activation).
 * In training the gradient flows through the batch statistics; in eval it is γ·invstd·dy.
 */
export function batchNormBackward(dy: Tensor<"float32">, x: Tensor<"float32">, forward: BatchNormOutput,
                                  options: { gamma?: Tensor<"float32"> } = {}): BatchNormGradients {
  const input = expectTensor(x, "float32", "x");
  expectRank(input, 2, "x");
  const grad = expectTensor(dy, "float32", "dy");
  expectShape(grad, input.shape, "dy");
  const [rows, features] = input.shape as [number, number];
  if (typeof forward?.training !== "boolean") throw new TypeError("forward must be the output of batchNorm");
  const mean = expectTensor(forward.mean, "float32", "forward.mean");
  const invstd = expectTensor(forward.invstd, "float32", "forward.invstd");
  expectShape(mean, [features], "forward.mean");
  expectShape(invstd, [features], "forward.invstd");
  const gamma = featureTensor(options.gamma, features, "gamma");
  if (forward.affine && gamma === undefined) throw new TypeError("gamma is required: the forward had gamma and beta");
  if (!forward.affine && gamma !== undefined) throw new TypeError("gamma must be absent: the forward had no gamma");
  if (forward.training && rows < 2) throw new RangeError(`x must have at least 2 rows in training mode, got ${rows}`);
  const activation = activationCode(forward.activation);
  const present: Record<string, Tensor> = { x: input, dy: grad, "forward.mean": mean, "forward.invstd": invstd };
  if (gamma !== undefined) present.gamma = gamma;
  let output: Tensor<"float32"> | undefined;
  if (activation !== activationCodes.none) {
    output = expectTensor(forward.y, "float32", "forward.y");
    expectShape(output, input.shape, "forward.y");
    present["forward.y"] = output;
  }
  const device = commonDevice(present);
  const dx = overwrittenOutput("float32", input.shape, device);
  const dgamma = gamma === undefined ? undefined : outputTensor("float32", [features], device);
  const dbeta = gamma === undefined ? undefined : outputTensor("float32", [features], device);
  native.batchNormBackward(forward.training, kernelArgument(input, "x"), kernelArgument(grad, "dy"),
                            optionalArgument(gamma, "gamma"), kernelArgument(mean, "forward.mean"),
                            kernelArgument(invstd, "forward.invstd"), kernelArgument(dx, "dx"),
                            optionalArgument(dgamma, "dgamma"), optionalArgument(dbeta, "dbeta"), rows, features,
                            activation, optionalArgument(output, "forward.y"));
  return gamma === undefined ? { dx } : { dx, dgamma, dbeta };
}
