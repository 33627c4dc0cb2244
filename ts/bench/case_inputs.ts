/**
 * The tensors a family of kernel cases shares: placed on the device once, before any timing, and
 * freed together when the family is done.
 */
import type { Device } from "../backend.js";
import { Tensor } from "../tensor.js";
import { seededFloats } from "./seeded_floats.js";

export class CaseInputs {
  readonly device: Device;
  readonly #held: Tensor[] = [];

  constructor(device: Device) {
    this.device = device;
  }

  /** Seeded values uniform in [−scale, scale). */
  seeded(shape: readonly number[], seed: number, scale = 1): Tensor<"float32"> {
    return this.hold(Tensor.from(seededFloats(shape.reduce((n, d) => n * d, 1), seed, scale),
                                 { shape, device: this.device }));
  }

  zeros(shape: readonly number[]): Tensor<"float32"> {
    return this.hold(Tensor.zeros("float32", shape, this.device));
  }

  /** `values` on the device, freed with the rest. */
  from<A extends Float32Array | Int32Array>(values: A, shape: readonly number[] = [values.length]) {
    return this.hold(Tensor.from(values, { shape, device: this.device }));
  }

  hold<T extends Tensor>(tensor: T): T {
    this.#held.push(tensor);
    return tensor;
  }

  dispose(): void {
    for (const tensor of this.#held) tensor.dispose();
    this.#held.length = 0;
  }
}
