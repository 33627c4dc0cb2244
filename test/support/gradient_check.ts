/**
 * Finite-difference checks of autograd: perturb sampled elements of each dense parameter
 * (in place) and compare (L(θ+h) − L(θ−h)) / 2h, evaluated without the tape, with the
 * gradient that backward() accumulated.
 */
import { expect } from "vitest";
import { backward, noGrad } from "../../ts/autograd/tape.js";
import type { Variable } from "../../ts/autograd/variable.js";

export interface GradientCheckOptions {
  /** Elements sampled per parameter. Default 6. */
  samples?: number;
  h?: number;
  /** |numeric − analytic| ≤ tolerance · max(1, |numeric|). Default 2e-2. */
  tolerance?: number;
}

export function checkGradients(loss: () => Variable, parameters: readonly Variable[], random: () => number,
                               { samples = 6, h = 1e-2, tolerance = 2e-2 }: GradientCheckOptions = {}): void {
  for (const p of parameters) p.zeroGrad();
  backward(loss());
  const value = () => noGrad(() => loss().value.toArray()[0]!);
  for (const p of parameters) {
    const data = p.value.toArray();
    const grad = p.grad!.toArray();
    for (let s = 0; s < Math.min(samples, data.length); ++s) {
      const i = Math.floor(random() * data.length);
      const original = data[i]!;
      data[i] = original + h;
      const plus = value();
      data[i] = original - h;
      const minus = value();
      data[i] = original;
      const numeric = (plus - minus) / (2 * h);
      const error = Math.abs(numeric - grad[i]!);
      expect(error, `${p.name ?? "parameter"}[${i}]: numeric ${numeric}, autograd ${grad[i]}`).toBeLessThanOrEqual(
        tolerance * Math.max(1, Math.abs(numeric)));
    }
  }
}
