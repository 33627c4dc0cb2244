/** Adagrad (torch.optim.Adagrad); embedding stores take row-wise Adagrad, one accumulator per row (FBGEMM). */
import { numberInRange } from "../arguments.js";
import type { Variable } from "../autograd/variable.js";
import type { Parameter } from "../modules/module.js";
import { adagradState, adagradStep, type AdagradState } from "../ops/dense_optimizer.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface AdagradOptimizerOptions extends OptimizerOptions {
  eps?: number;
}

export class Adagrad extends Optimizer {
  readonly eps: number;
  readonly weightDecay: number;

  constructor(parameters: readonly Parameter[], options: AdagradOptimizerOptions) {
    super(parameters, options);
    this.eps = numberInRange(options.eps ?? 1e-10, "eps", 0, Infinity, true);
    this.weightDecay = numberInRange(options.weightDecay ?? 0, "weightDecay", 0, Infinity);
    this.configureStores({ type: "adagrad", learningRate: this.learningRate, eps: this.eps, weightDecay: this.weightDecay });
  }

  protected denseStep(parameter: Variable, grad: Tensor<"float32">): void {
    const saved = this.states.get(parameter);
    const state: AdagradState = saved === undefined ? adagradState(parameter.value) : { sum: saved.sum! };
    this.states.set(parameter, { sum: state.sum });
    adagradStep(parameter.value, grad, state, { learningRate: this.learningRate, eps: this.eps, weightDecay: this.weightDecay });
  }

}
