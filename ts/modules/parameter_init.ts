/**
 * Seeded initial values for dense parameters, drawn on the host so that a seed gives the same
 * model on every device.
 */
import { mulberry32 } from "../data/random.js";
import type { DeviceOption } from "../backend.js";
import { Tensor } from "../tensor.js";
import { Variable } from "../autograd/variable.js";

/** U(−bound, bound) values: PyTorch's default for Linear, bound = 1/sqrt(fan_in). */
export function uniformParameter(shape: readonly number[], bound: number, seed: number, device: DeviceOption,
                                 name: string): Variable {
  const random = mulberry32(seed);
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * bound);
  return new Variable(Tensor.from(values, { shape, device }), { requiresGrad: true, name });
}

/** A parameter filled with one value (batch norm's γ = 1 and β = 0). */
export function constantParameter(shape: readonly number[], value: number, device: DeviceOption, name: string): Variable {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
  return new Variable(Tensor.from(values, { shape, device }), { requiresGrad: true, name });
}
