/**
 * Tensors: float32 values or int32 ids with a shape and a device.
 *
 * On the CPU a tensor is a view over a JS-owned typed array, with no copy: kernels read and
 * write that array's memory (its byteOffset included). On CUDA it owns a device buffer, freed
 * by dispose() or, failing that, when the tensor is garbage-collected; its values reach the
 * host only through toArray().
 */
import { Buffer } from "node:buffer";

import { type Device, type DeviceOption, deviceOrdinal, resolveDevice } from "./backend.js";
import { describe } from "./describe_value.js";
import { native, type NativeDeviceBuffer } from "./native.js";

export { describe };

export type DType = "float32" | "int32";
export type HostArray<D extends DType> = D extends "float32" ? Float32Array : Int32Array;

export interface TensorOptions {
  /** Defaults to one dimension holding every element. */
  shape?: readonly number[];
  device?: DeviceOption;
}

function elementCount(shape: readonly number[], argument: string): number {
  let count = 1;
  shape.forEach((extent, axis) => {
    if (!Number.isInteger(extent) || extent < 0) {
      throw new RangeError(`${argument}[${axis}] = ${extent} must be a non-negative integer`);
    }
    count *= extent;
  });
  return count;
}

// Below this many bytes V8 allocates typed arrays on its own heap, faster than any skipped fill.
const uninitializedMinBytes = 16 * 1024;
// MIXDIM_FILL_UNINITIALIZED=nan: Tensor.empty fills with NaN (int32: -1), so that a kernel that
// reads an output it should only write, or leaves part of it unwritten, shows up in results.
const fillUninitialized = process.env.MIXDIM_FILL_UNINITIALIZED === "nan";

function dtypeOf(data: Float32Array | Int32Array, argument: string): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Int32Array) return "int32";
  throw new TypeError(`${argument} must be a Float32Array or an Int32Array, got ${describe(data)}`);
}

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly device: Device;
  readonly size: number;
  #host: HostArray<D> | undefined;
  #buffer: NativeDeviceBuffer | undefined;

  private constructor(dtype: D, shape: readonly number[], device: Device, host?: HostArray<D>,
                      buffer?: NativeDeviceBuffer) {
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.device = device;
    this.size = elementCount(shape, "shape");
    this.#host = host;
    this.#buffer = buffer;
  }

  /**
   * Wraps a typed array (zero-copy on the CPU) or copies it to a CUDA device.
   *
   * @example
   * const ids = Tensor.from(new Int32Array([3, 1, 4]));
   * const grads = Tensor.from(new Float32Array(6), { shape: [3, 2], device: "auto" });
   */
  static from<A extends Float32Array | Int32Array>(data: A, options: TensorOptions = {}):
      Tensor<A extends Float32Array ? "float32" : "int32"> {
    type Out = A extends Float32Array ? "float32" : "int32";
    const dtype = dtypeOf(data, "data") as Out;
    const shape = options.shape ?? [data.length];
    if (elementCount(shape, "shape") !== data.length) {
      throw new RangeError(`shape [${shape.join(", ")}] holds ${elementCount(shape, "shape")} elements ` +
                           `but data has ${data.length}`);
    }
    const device = resolveDevice(options.device ?? "cpu");
    if (device === "cpu") return new Tensor(dtype, shape, device, data as unknown as HostArray<Out>);
    const buffer = new native.DeviceBuffer(data.byteLength, deviceOrdinal(device));
    buffer.upload(data);
    return new Tensor(dtype, shape, device, undefined, buffer);
  }

  /** A zero-filled tensor. */
  static zeros<D extends DType>(dtype: D, shape: readonly number[], device: DeviceOption = "cpu"): Tensor<D> {
    const size = elementCount(shape, "shape");
    const resolved = resolveDevice(device);
    if (resolved === "cpu") {
      const host = (dtype === "float32" ? new Float32Array(size) : new Int32Array(size)) as HostArray<D>;
      return new Tensor(dtype, shape, resolved, host);
    }
    if (dtype !== "float32" && dtype !== "int32") {
      throw new TypeError(`dtype must be "float32" or "int32", got ${JSON.stringify(dtype)}`);
    }
    // Device memory comes zeroed from an upload of zeros: cudaMalloc alone leaves it undefined.
    return Tensor.from(dtype === "float32" ? new Float32Array(size) : new Int32Array(size),
                       { shape, device: resolved }) as unknown as Tensor<D>;
  }

  /**
   * A tensor whose values are unspecified, for outputs a kernel overwrites in full. On the CPU it
   * skips the zero fill, which for a batch-sized activation costs more than the kernel that
   * writes it; on CUDA it is zero-filled. With MIXDIM_FILL_UNINITIALIZED=nan in the environment
   * it is filled with NaN (int32: −1), to catch a kernel that reads or leaves what it should write.
   */
  static empty<D extends DType>(dtype: D, shape: readonly number[], device: DeviceOption = "cpu"): Tensor<D> {
    const size = elementCount(shape, "shape");
    const resolved = resolveDevice(device);
    if (resolved !== "cpu" || size * 4 < uninitializedMinBytes) return Tensor.zeros(dtype, shape, resolved);
    if (dtype !== "float32" && dtype !== "int32") {
      throw new TypeError(`dtype must be "float32" or "int32", got ${JSON.stringify(dtype)}`);
    }
    const bytes = Buffer.allocUnsafeSlow(size * 4);
    const host = (dtype === "float32" ? new Float32Array(bytes.buffer, bytes.byteOffset, size)
                                      : new Int32Array(bytes.buffer, bytes.byteOffset, size)) as HostArray<D>;
    if (fillUninitialized) host.fill(dtype === "float32" ? NaN : -1);
    return new Tensor(dtype, shape, resolved, host);
  }

  /** @internal Wraps device memory that a kernel allocated. */
  static fromDeviceBuffer<D extends DType>(dtype: D, shape: readonly number[], buffer: NativeDeviceBuffer): Tensor<D> {
    return new Tensor(dtype, shape, "cuda", undefined, buffer);
  }

  get disposed(): boolean {
    return this.#host === undefined && (this.#buffer === undefined || this.#buffer.disposed);
  }

  /**
   * The values on the host. On the CPU this is the tensor's own typed array (no copy:
   * writes to it change the tensor); on CUDA it is a fresh copy.
   */
  toArray(): HostArray<D> {
    this.assertLive("toArray");
    if (this.#host !== undefined) return this.#host;
    const host = (this.dtype === "float32" ? new Float32Array(this.size) : new Int32Array(this.size)) as HostArray<D>;
    this.#buffer!.download(host);
    return host;
  }

  /** A copy of this tensor on another device (or this tensor, when it is already there). */
  to(device: DeviceOption): Tensor<D> {
    const target = resolveDevice(device);
    if (target === this.device) return this;
    const host = this.toArray();
    return Tensor.from(host, { shape: this.shape, device: target }) as unknown as Tensor<D>;
  }

  /** Frees device memory now; CPU tensors release their array. Using a disposed tensor is an error. */
  dispose(): void {
    this.#buffer?.dispose();
    this.#host = undefined;
  }

  /** @internal What native kernels receive: the typed array or the device buffer. */
  nativeArgument(argument: string): HostArray<D> | NativeDeviceBuffer {
    this.assertLive(argument);
    return this.#host ?? this.#buffer!;
  }

  private assertLive(argument: string): void {
    if (this.disposed) throw new Error(`${argument} is a disposed tensor`);
  }
}
