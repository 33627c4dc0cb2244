/** Linear: y = x·W + b, with W [in, out] initialised U(±1/sqrt(in)) as PyTorch does. */
import { integerInRange } from "../arguments.js";
import { linear } from "../autograd/ops/linear_op.js";
import type { Variable } from "../autograd/variable.js";
import type { DeviceOption } from "../backend.js";
import { Module, type Parameter } from "./module.js";
import { uniformParameter } from "./parameter_init.js";

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  /** Default true. */
  bias?: boolean;
  seed?: number;
  device?: DeviceOption;
}

export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable | undefined;

  constructor({ inFeatures, outFeatures, bias = true, seed = 0, device = "cpu" }: LinearOptions) {
    super();
    const fanIn = integerInRange(inFeatures, "inFeatures", 1, 2 ** 24);
    const fanOut = integerInRange(outFeatures, "outFeatures", 1, 2 ** 24);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = uniformParameter([fanIn, fanOut], bound, seed, device, "weight");
    this.bias = bias ? uniformParameter([fanOut], bound, seed + 1, device, "bias") : undefined;
  }

  forward(x: Variable): Variable {
    return linear(x, this.weight, this.bias);
  }

  protected override ownParameters(): Record<string, Parameter> {
    return this.bias === undefined ? { weight: this.weight } : { weight: this.weight, bias: this.bias };
  }
}
