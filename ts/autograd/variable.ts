/**
 * A Variable is a tensor that autograd follows: the value, the gradient accumulated into it
 * by backward(), and the tape node of the op that made it (none for leaves such as weights).
 */
import type { Device } from "../backend.js";
import type { Tensor } from "../tensor.js";
import type { TapeNode } from "./tape.js";

export interface VariableOptions {
  requiresGrad?: boolean;
  /** Shown in errors and used as the tensor's name in checkpoints. */
  name?: string;
}

export class Variable {
  readonly value: Tensor<"float32">;
  readonly requiresGrad: boolean;
  readonly name: string | undefined;
  /** dL/d(value), summed over every backward() since the last zeroGrad(). */
  grad: Tensor<"float32"> | undefined;
  /** @internal The op that produced this variable; undefined for leaves. */
  readonly creator: TapeNode | undefined;

  constructor(value: Tensor<"float32">, options: VariableOptions = {}, creator?: TapeNode) {
    this.value = value;
    this.requiresGrad = options.requiresGrad ?? creator !== undefined;
    this.name = options.name;
    this.creator = creator;
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get device(): Device {
    return this.value.device;
  }

  zeroGrad(): void {
    this.grad = undefined;
  }
}
