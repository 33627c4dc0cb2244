/**
 * What every op wrapper checks before calling its kernel: dtypes, shapes, and that all
 * tensors share one device; and how it makes outputs on that device.
 * @internal
 */
import type { Device } from "../backend.js";
import type { NativeDeviceBuffer } from "../native.js";
import { describe, type DType, type HostArray, Tensor } from "../tensor.js";

export function expectTensor<D extends DType>(value: unknown, dtype: D, argument: string): Tensor<D> {
  if (!(value instanceof Tensor)) throw new TypeError(`${argument} must be a Tensor, got ${describe(value)}`);
  if (value.dtype !== dtype) throw new TypeError(`${argument} must be a ${dtype} tensor, got ${value.dtype}`);
  return value as Tensor<D>;
}

export function expectShape(tensor: Tensor, shape: readonly number[], argument: string): void {
  if (tensor.shape.length !== shape.length || tensor.shape.some((extent, axis) => extent !== shape[axis])) {
    throw new RangeError(`${argument} has shape [${tensor.shape.join(", ")}] but must have [${shape.join(", ")}]`);
  }
}

export function expectRank(tensor: Tensor, rank: number, argument: string): void {
  if (tensor.shape.length !== rank) {
    throw new RangeError(`${argument} must have ${rank} dimensions, got shape [${tensor.shape.join(", ")}]`);
  }
}

/** The device all the named tensors share; a TypeError naming the first that differs. */
export function commonDevice(tensors: Record<string, Tensor>): Device {
  const entries = Object.entries(tensors);
  const [firstName, first] = entries[0]!;
  for (const [name, tensor] of entries.slice(1)) {
    if (tensor.device !== first.device) {
      throw new TypeError(`${name} is on ${tensor.device} but ${firstName} is on ${first.device}`);
    }
  }
  return first.device;
}

/** A fresh output: zero-filled, on the device of the op's inputs. */
export function outputTensor<D extends DType>(dtype: D, shape: readonly number[], device: Device): Tensor<D> {
  return Tensor.zeros(dtype, shape, device);
}

/**
 * A fresh output whose every element the kernel writes, left unfilled (Tensor.empty). Only for
 * kernels that neither read the output nor skip an element; the ops' tests run with
 * MIXDIM_FILL_UNINITIALIZED=nan in CI to hold them to it.
 */
export function overwrittenOutput<D extends DType>(dtype: D, shape: readonly number[], device: Device): Tensor<D> {
  return Tensor.empty(dtype, shape, device);
}

/** The argument a kernel receives for a tensor. */
export function kernelArgument<D extends DType>(tensor: Tensor<D>, argument: string): HostArray<D> | NativeDeviceBuffer {
  return tensor.nativeArgument(argument);
}
