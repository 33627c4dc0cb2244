/**
 * What mixdim computes on: the CPU thread pool and the CUDA devices it can see.
 */
import { native } from "./native.js";

/** Where tensors live and kernels run. */
export type Device = "cpu" | "cuda";
/** A device to ask for: "auto" takes CUDA when a device is present and the CPU otherwise. */
export type DeviceOption = Device | "auto";

export interface CudaDeviceInfo {
  index: number;
  name: string;
  /** Bytes of device memory. */
  totalMemory: number;
  computeCapability: string;
  /**
   * True in mixdim's emulated CUDA build (a test build that runs the CUDA kernels on the CPU):
   * only an explicit device "cuda" uses such a device, never "auto".
   */
  emulated: boolean;
}

export interface BackendInfo {
  /** Threads the CPU kernels run on. */
  threads: number;
  /**
   * Whether mixdim keeps glibc's malloc from returning batch-sized blocks to the kernel between
   * steps (native/malloc_tuning.cc; on by default with glibc, off with MIXDIM_MALLOC_TUNING=0).
   */
  mallocTuned: boolean;
  /** Whether this binary was built with the CUDA kernels. */
  cudaCompiled: boolean;
  cudaDevices: CudaDeviceInfo[];
  /**
   * Why no CUDA device can be used, when none can: "no NVIDIA driver found …", a driver too old for
   * the CUDA mixdim was built with (the versions found and needed, and how to build from source),
   * "no CUDA device visible …", or that this binary was built without CUDA.
   */
  cudaUnavailableReason?: string;
}

/**
 * Reports the CPU thread count, whether CUDA was compiled in, and the CUDA devices found.
 *
 * @example
 * const { threads, cudaDevices } = backend();
 */
export function backend(): BackendInfo {
  return native.backendInfo();
}

/** Sets the number of threads the CPU kernels use (default: MIXDIM_THREADS or all hardware threads). */
export function setThreads(threads: number): void {
  if (typeof threads !== "number") throw new TypeError(`threads must be a number, got ${typeof threads}`);
  native.setThreads(threads);
}

let autoFallbackReported = false;

/**
 * Resolves a device option. "cuda" fails with the reason when no device can be used;
 * "auto" falls back to the CPU and says why once per process.
 */
export function resolveDevice(option: DeviceOption = "cpu", argument = "device"): Device {
  if (option === "cpu") return "cpu";
  if (option !== "cuda" && option !== "auto") {
    throw new TypeError(`${argument} must be "cpu", "cuda" or "auto", got ${JSON.stringify(option)}`);
  }
  const info = native.backendInfo();
  if (info.cudaDevices.some((d) => option === "cuda" || !d.emulated)) return "cuda";
  const reason =
    info.cudaDevices.length > 0
      ? "the only CUDA devices are emulated ones (a test build), which only device \"cuda\" uses"
      : (info.cudaUnavailableReason ?? "no CUDA device was found");
  if (option === "cuda") throw new Error(`${argument} "cuda" is not available: ${reason}`);
  if (!autoFallbackReported) {
    autoFallbackReported = true;
    process.emitWarning(`mixdim: ${reason}; running on the CPU (device "auto")`, "MixdimDeviceWarning");
  }
  return "cpu";
}

let cudaOrdinal: number | undefined;

/**
 * The native device number of a resolved device: -1 for the CPU, else the first CUDA device that
 * mixdim can use. That is not always ordinal 0: a device below compute capability 7.5 is skipped.
 */
export function deviceOrdinal(device: Device): number {
  if (device === "cpu") return -1;
  if (cudaOrdinal === undefined) {
    const info = native.backendInfo();
    const first = info.cudaDevices[0];
    if (first === undefined) throw new Error(`device "cuda" is not available: ${info.cudaUnavailableReason ?? "no CUDA device was found"}`);
    cudaOrdinal = first.index;
  }
  return cudaOrdinal;
}
