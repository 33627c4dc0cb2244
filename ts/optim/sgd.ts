/** SGD with momentum (torch.optim.SGD, dampening 0); embedding stores take plain row-sparse SGD. */
import { numberInRange } from "../arguments.js";
import type { Variable } from "../autograd/variable.js";
import type { Parameter } from "../modules/module.js";
import { sgdStep, type SgdState } from "../ops/dense_optimizer.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface SgdOptimizerOptions extends OptimizerOptions {
  /** Dense parameters only. Default 0. */
  momentum?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;

  constructor(parameters: readonly Parameter[], options: SgdOptimizerOptions) {
    super(parameters, options);
    this.momentum = numberInRange(options.momentum ?? 0, "momentum", 0, 1);
    this.weightDecay = numberInRange(options.weightDecay ?? 0, "weightDecay", 0, Infinity);
    this.configureStores({ type: "sgd", learningRate: this.learningRate, weightDecay: this.weightDecay });
  }

  protected denseStep(parameter: Variable, grad: Tensor<"float32">): void {
    const state: SgdState = { momentumBuffer: this.states.get(parameter)?.momentumBuffer };
    sgdStep(parameter.value, grad, state, { learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay });
    if (state.momentumBuffer !== undefined) this.states.set(parameter, { momentumBuffer: state.momentumBuffer });
  }

}
