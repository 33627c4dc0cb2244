/**
 * MLP: Linear → [BatchNorm] → activation, repeated, then a last Linear with no activation.
 * sizes = [in, hidden…, out].
 */
import { relu, sigmoid, tanh } from "../autograd/ops/activation_op.js";
import type { Variable } from "../autograd/variable.js";
import type { DeviceOption } from "../backend.js";
import type { Activation } from "../ops/activation.js";
import { BatchNorm } from "./batch_norm.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";

export interface MlpOptions {
  sizes: readonly number[];
  /** Default "relu". */
  activation?: Activation;
  /** Batch norm after each hidden Linear. Default false. */
  batchNorm?: boolean;
  seed?: number;
  device?: DeviceOption;
}

const activations = { relu, tanh, sigmoid };

export class MLP extends Module {
  readonly layers: Linear[];
  readonly norms: BatchNorm[];
  readonly activation: Activation;

  constructor({ sizes, activation = "relu", batchNorm = false, seed = 0, device = "cpu" }: MlpOptions) {
    super();
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new RangeError(`sizes must list at least an input and an output size, got ${JSON.stringify(sizes)}`);
    }
    if (!(activation in activations)) throw new TypeError(`activation must be "relu", "tanh" or "sigmoid", got ${JSON.stringify(activation)}`);
    this.activation = activation;
    this.layers = sizes.slice(1).map((out, i) =>
      new Linear({ inFeatures: sizes[i]!, outFeatures: out, seed: seed + 2 * i, device }));
    this.norms = batchNorm ? sizes.slice(1, -1).map((features) => new BatchNorm({ features, device })) : [];
  }

  forward(x: Variable): Variable {
    let h = x;
    this.layers.forEach((layer, i) => {
      h = layer.forward(h);
      if (i === this.layers.length - 1) return;
      if (this.norms.length > 0) h = this.norms[i]!.forward(h);
      h = activations[this.activation](h);
    });
    return h;
  }

  protected override children(): Record<string, Module> {
    return Object.fromEntries([
      ...this.layers.map((layer, i): [string, Module] => [`layers.${i}`, layer]),
      ...this.norms.map((norm, i): [string, Module] => [`norms.${i}`, norm]),
    ]);
  }
}
