/** Adam (torch.optim.Adam; AdamW with `decoupled`); embedding stores take lazy Adam. */
import { numberInRange } from "../arguments.js";
import type { Variable } from "../autograd/variable.js";
import type { Parameter } from "../modules/module.js";
import { adamState, adamStep, type AdamState } from "../ops/dense_optimizer.js";
import type { Tensor } from "../tensor.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface AdamOptimizerOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Dense parameters only: AdamW's w ← w·(1 − lr·λ) instead of L2. Default false. */
  decoupled?: boolean;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;

  constructor(parameters: readonly Parameter[], options: AdamOptimizerOptions) {
    super(parameters, options);
    this.beta1 = numberInRange(options.beta1 ?? 0.9, "beta1", 0, 1);
    this.beta2 = numberInRange(options.beta2 ?? 0.999, "beta2", 0, 1);
    this.eps = numberInRange(options.eps ?? 1e-8, "eps", 0, Infinity, true);
    this.weightDecay = numberInRange(options.weightDecay ?? 0, "weightDecay", 0, Infinity);
    this.decoupled = options.decoupled ?? false;
    this.configureStores({ type: "adam", learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2,
                           eps: this.eps, weightDecay: this.weightDecay });
  }

  protected denseStep(parameter: Variable, grad: Tensor<"float32">): void {
    const saved = this.states.get(parameter);
    const state: AdamState = saved === undefined ? adamState(parameter.value) : { m: saved.m!, v: saved.v! };
    this.states.set(parameter, { m: state.m, v: state.v });
    adamStep(parameter.value, grad, state, this.steps, {
      learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, eps: this.eps,
      weightDecay: this.weightDecay, decoupled: this.decoupled,
    });
  }

}
