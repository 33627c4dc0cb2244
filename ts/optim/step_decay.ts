/**
 * Step decay of the learning rate: lr ← max(min, lr·γ) every `every` steps. SCALL trains
 * LightGCN with γ = 0.95 every 200 steps down to 1e-3.
 */
import { integerInRange, numberInRange } from "../arguments.js";
import type { Optimizer } from "./optimizer.js";

export interface StepDecayOptions {
  every: number;
  gamma: number;
  /** The floor. Default 0. */
  min?: number;
}

export class StepDecay {
  readonly every: number;
  readonly gamma: number;
  readonly min: number;
  #calls = 0;

  constructor(readonly optimizer: Optimizer, options: StepDecayOptions) {
    this.every = integerInRange(options.every, "every", 1, Number.MAX_SAFE_INTEGER);
    this.gamma = numberInRange(options.gamma, "gamma", 0, 1, true);
    this.min = numberInRange(options.min ?? 0, "min", 0, Infinity);
  }

  /** Call once per optimizer step, after it. */
  step(): void {
    this.#calls += 1;
    if (this.#calls % this.every === 0) {
      this.optimizer.learningRate = Math.max(this.min, this.optimizer.learningRate * this.gamma);
    }
  }
}
