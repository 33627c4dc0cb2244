/**
 * BatchNorm over features of x [N, C]: batch statistics while training (updating running
 * statistics with momentum), running statistics in eval. `affine: false` drops γ and β, as
 * AutoDim's reference does; `activation: "tanh"` applies tanh in the same kernel (BN → tanh).
 */
import { integerInRange } from "../arguments.js";
import { batchNormOp } from "../autograd/ops/batch_norm_op.js";
import type { Variable } from "../autograd/variable.js";
import type { DeviceOption } from "../backend.js";
import type { BatchNormActivation } from "../ops/batch_norm.js";
import { Tensor } from "../tensor.js";
import { Module, type Parameter } from "./module.js";
import { constantParameter } from "./parameter_init.js";

export interface BatchNormModuleOptions {
  features: number;
  /** Default true. */
  affine?: boolean;
  /** Default 0.1 (PyTorch's). */
  momentum?: number;
  /** Default 1e-5. */
  eps?: number;
  /** "tanh": tanh(BN(x)) in one kernel. Default "none". */
  activation?: BatchNormActivation;
  device?: DeviceOption;
}

export class BatchNorm extends Module {
  readonly gamma: Variable | undefined;
  readonly beta: Variable | undefined;
  readonly runningMean: Tensor<"float32">;
  readonly runningVar: Tensor<"float32">;
  readonly momentum: number;
  readonly eps: number;
  readonly activation: BatchNormActivation;

  constructor({ features, affine = true, momentum = 0.1, eps = 1e-5, activation = "none", device = "cpu" }: BatchNormModuleOptions) {
    super();
    const c = integerInRange(features, "features", 1, 2 ** 24);
    this.gamma = affine ? constantParameter([c], 1, device, "gamma") : undefined;
    this.beta = affine ? constantParameter([c], 0, device, "beta") : undefined;
    this.runningMean = Tensor.zeros("float32", [c], device);
    this.runningVar = Tensor.from(new Float32Array(c).fill(1), { device });
    this.momentum = momentum;
    this.eps = eps;
    if (activation !== "none" && activation !== "tanh") {
      throw new TypeError(`activation must be "none" or "tanh", got ${JSON.stringify(activation)}`);
    }
    this.activation = activation;
  }

  forward(x: Variable): Variable {
    const affine = this.gamma === undefined || this.beta === undefined ? undefined : { gamma: this.gamma, beta: this.beta };
    return batchNormOp(x, affine, {
      training: this.training,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      momentum: this.momentum,
      eps: this.eps,
      activation: this.activation,
    });
  }

  protected override ownParameters(): Record<string, Parameter> {
    return this.gamma === undefined || this.beta === undefined ? {} : { gamma: this.gamma, beta: this.beta };
  }

  protected override ownBuffers(): Record<string, Tensor<"float32">> {
    return { runningMean: this.runningMean, runningVar: this.runningVar };
  }
}
