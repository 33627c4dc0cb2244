/**
 * The native addon as TypeScript sees it, and the one place that loads it.
 *
 * node-gyp-build picks, in order: the file named by MIXDIM_PREBUILD, build/Release (a local
 * CPU or CUDA build), then prebuilds/<platform>-<arch>/ (the binary shipped with the package).
 * @internal
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeCudaDevice {
  index: number;
  name: string;
  totalMemory: number;
  computeCapability: string;
}

export interface NativeBackendInfo {
  threads: number;
  cudaCompiled: boolean;
  cudaDevices: NativeCudaDevice[];
  cudaUnavailableReason?: string;
}

/** CUDA device memory owned by a JS object (freed by dispose() or by the garbage collector). */
export interface NativeDeviceBuffer {
  readonly byteLength: number;
  readonly device: number;
  readonly disposed: boolean;
  upload(source: Float32Array | Int32Array): void;
  download(target: Float32Array | Int32Array): void;
  dispose(): void;
}

/** A float32 argument: host memory or device memory, matching the store's device. */
export type NativeFloat32 = Float32Array | NativeDeviceBuffer;
export type NativeInt32 = Int32Array | NativeDeviceBuffer;

export interface NativeOptimizerOptions {
  optimizer: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export interface NativeStoreOptions extends NativeOptimizerOptions {
  candidates: Int32Array;
  seed: number;
  initStd: number;
}

export interface NativeStoreBytes {
  rows: number;
  weights: number;
  optimizerState: number;
  index: number;
  total: number;
}

export interface NativeEmbeddingStore {
  readonly numRows: number;
  stepCount: number;
  lookup(ids: NativeInt32, out: NativeFloat32): void;
  sparseGradient(ids: NativeInt32, gradOut: NativeFloat32): { ids: NativeInt32; values: NativeFloat32 };
  step(ids: NativeInt32, gradOut: NativeFloat32, checkFinite: boolean): void;
  addRows(sizes: Int32Array): number;
  resize(ids: Int32Array, sizes: Int32Array, init: NativeFloat32 | null): void;
  readRows(ids: Int32Array, out: Float32Array, field: number): void;
  writeRows(ids: Int32Array, values: Float32Array, field: number): void;
  rowSizes(out: Int32Array): void;
  bytes(): NativeStoreBytes;
  compact(): void;
  setLearningRate(learningRate: number): void;
  setOptimizer(options: NativeOptimizerOptions): void;
  dispose(): void;
}

export interface NativeAddon {
  backendInfo(): NativeBackendInfo;
  setThreads(threads: number): void;
  /** Copies src into dst (same length, same device): the bandwidth limit benchmarks compare against. */
  copyMemory(dst: NativeFloat32, src: NativeFloat32): void;
  activationForward(kind: number, x: NativeFloat32, y: NativeFloat32): void;
  activationBackward(kind: number, y: NativeFloat32, dy: NativeFloat32, dx: NativeFloat32): void;
  linearCombination(alpha: number, x: NativeFloat32, beta: number, y: NativeFloat32, z: NativeFloat32): void;
  product(x: NativeFloat32, y: NativeFloat32, z: NativeFloat32): void;
  DeviceBuffer: new (byteLength: number, device: number) => NativeDeviceBuffer;
  EmbeddingStore: new (options: NativeStoreOptions, sizes: Int32Array, device: number) => NativeEmbeddingStore;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const loadBinding = require("node-gyp-build") as (root: string) => unknown;

export const native = loadBinding(packageRoot) as NativeAddon;
