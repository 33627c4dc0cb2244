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
  emulated: boolean;
}

export interface NativeBackendInfo {
  threads: number;
  mallocTuned: boolean;
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

/** Which CPU GEMM runs, and what this machine offers. */
export interface CpuGemmInfo {
  /** "builtin": mixdim's packed kernel; "openblas": cblas_sgemm from libopenblas.so.0. */
  backend: "builtin" | "openblas";
  /** The builtin micro-kernel in use: "avx512f", "avx2" or "portable". */
  kernel: string;
  /** The builtin micro-kernels this CPU supports, best first. */
  kernels: string[];
  /** Whether libopenblas.so.0 could be loaded. */
  openblas: boolean;
  /** OpenBLAS's name for the kernels it chose (openblas_get_corename), when loaded. */
  openblasCore?: string;
  /** Why OpenBLAS could not be loaded, when it could not. */
  openblasReason?: string;
}

/** ts/ops/loss.ts */
export interface LossNative {
  binaryLoss(kind: number, logits: NativeFloat32, labels: NativeFloat32, grad: NativeFloat32 | null,
             perSample: NativeFloat32 | null, mean: boolean): number;
  bprLoss(pos: NativeFloat32, neg: NativeFloat32, gradPos: NativeFloat32 | null, gradNeg: NativeFloat32 | null,
          perSample: NativeFloat32 | null, mean: boolean): number;
  softmaxCrossEntropyLoss(logits: NativeFloat32, labels: NativeInt32, classes: number, grad: NativeFloat32 | null,
                          perSample: NativeFloat32 | null, mean: boolean): number;
}

/** ts/ops/softmax.ts */
export interface SoftmaxNative {
  softmaxForward(x: NativeFloat32, y: NativeFloat32, rows: number, cols: number): void;
  softmaxBackward(y: NativeFloat32, dy: NativeFloat32, dx: NativeFloat32, rows: number, cols: number): void;
}

/** ts/ops/feature_concat.ts */
export interface FeatureConcatNative {
  featureCopy(src: NativeFloat32, srcColumns: number, srcStart: number, dst: NativeFloat32, dstColumns: number,
              dstStart: number, rows: number, width: number): void;
}

/** ts/ops/gemm.ts */
export interface GemmNative {
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: NativeFloat32, lda: number,
       b: NativeFloat32, ldb: number, beta: number, c: NativeFloat32, ldc: number, bias: NativeFloat32 | null): void;
  biasGradient(dy: NativeFloat32, rows: number, cols: number, db: NativeFloat32): void;
  gemmCpuBackend(): CpuGemmInfo;
  setGemmCpuBackend(backend: "builtin" | "openblas", kernel?: string): void;
}

/** ts/ops/gumbel_mixture.ts */
export interface GumbelMixtureNative {
  gumbelNoise(fields: number, candidates: number, seed: number, step: number, noise: NativeFloat32): void;
  mixtureWeights(fields: number, candidates: number, logAlpha: NativeFloat32, tau: number, mode: number, seed: number,
                 step: number, p: NativeFloat32, w: NativeFloat32): void;
  mixtureWeightsBackward(fields: number, candidates: number, p: NativeFloat32, dw: NativeFloat32, tau: number,
                         dlogAlpha: NativeFloat32): void;
  weightedSum(batch: number, fields: number, candidates: number, dim: number, h: NativeFloat32, w: NativeFloat32,
              out: NativeFloat32): void;
  weightedSumBackward(batch: number, fields: number, candidates: number, dim: number, h: NativeFloat32,
                      w: NativeFloat32, dout: NativeFloat32, dh: NativeFloat32, dw: NativeFloat32): void;
  candidateProjection(batch: number, fields: number, dim: number, dims: Int32Array, shared: boolean, e: NativeFloat32,
                      weights: NativeFloat32, biases: NativeFloat32, h: NativeFloat32): void;
  candidateProjectionBackward(batch: number, fields: number, dim: number, dims: Int32Array, shared: boolean,
                              e: NativeFloat32, weights: NativeFloat32, dh: NativeFloat32, de: NativeFloat32,
                              dweights: NativeFloat32, dbiases: NativeFloat32): void;
  projectAndMix(batch: number, fields: number, dim: number, dims: Int32Array, shared: boolean, e: NativeFloat32,
                weights: NativeFloat32, biases: NativeFloat32, w: NativeFloat32, out: NativeFloat32): void;
  projectAndMixBackward(batch: number, fields: number, dim: number, dims: Int32Array, shared: boolean,
                        e: NativeFloat32, weights: NativeFloat32, biases: NativeFloat32, w: NativeFloat32,
                        dout: NativeFloat32, de: NativeFloat32, dweights: NativeFloat32, dbiases: NativeFloat32,
                        dw: NativeFloat32): void;
}

/** ts/ops/projection_chain.ts */
export interface ProjectionChainNative {
  chainPrecompose(dims: Int32Array, weights: NativeFloat32, biases: NativeFloat32, matrices: NativeFloat32,
                  offsets: NativeFloat32): void;
  chainForward(dims: Int32Array, matrices: NativeFloat32, offsets: NativeFloat32, rows: NativeFloat32,
               rowWidth: number, sizes: Int32Array, out: NativeFloat32): void;
  chainStepwiseForward(dims: Int32Array, weights: NativeFloat32, biases: NativeFloat32, rows: NativeFloat32,
                       rowWidth: number, sizes: Int32Array, out: NativeFloat32): void;
  chainLink(dims: Int32Array, weights: NativeFloat32, biases: NativeFloat32, rows: NativeFloat32, rowWidth: number,
            sizes: Int32Array, out: NativeFloat32): void;
  chainBackward(dims: Int32Array, weights: NativeFloat32, biases: NativeFloat32, matrices: NativeFloat32,
                rows: NativeFloat32, rowWidth: number, sizes: Int32Array, dout: NativeFloat32, drows: NativeFloat32,
                dweights: NativeFloat32, dbiases: NativeFloat32): void;
}

/** ts/ops/dense_optimizer.ts */
export interface DenseOptimizerNative {
  denseSgdStep(param: NativeFloat32, grad: NativeFloat32, momentumBuffer: NativeFloat32 | null, learningRate: number,
               momentum: number, weightDecay: number): void;
  denseAdagradStep(param: NativeFloat32, grad: NativeFloat32, sum: NativeFloat32, learningRate: number, eps: number,
                   weightDecay: number): void;
  denseAdamStep(param: NativeFloat32, grad: NativeFloat32, m: NativeFloat32, v: NativeFloat32, step: number,
                learningRate: number, beta1: number, beta2: number, eps: number, weightDecay: number,
                decoupled: boolean): void;
  clipGradNorm(grads: NativeFloat32[], maxNorm: number): number;
}

/** ts/ops/sparse_propagation.ts */
export interface SparsePropagationNative {
  sparseCsrCheck(rowPtr: NativeInt32, colIdx: NativeInt32, values: NativeFloat32, numCols: number): void;
  sparsePropagate(rowPtr: NativeInt32, colIdx: NativeInt32, values: NativeFloat32, numCols: number,
                  x: NativeFloat32, dim: number, out: NativeFloat32, validated: boolean): void;
  sparsePropagateStoreLayout(rowPtr: NativeInt32, colIdx: NativeInt32, values: NativeFloat32,
                             classWeights: NativeFloat32[], classDims: Int32Array, locations: Int32Array,
                             maxDim: number, out: NativeFloat32, validated: boolean): void;
}

/** ts/ops/batch_norm.ts */
export interface BatchNormNative {
  batchNormForward(training: boolean, x: NativeFloat32, gamma: NativeFloat32 | null, beta: NativeFloat32 | null,
                   runningMean: NativeFloat32 | null, runningVar: NativeFloat32 | null, y: NativeFloat32,
                   saveMean: NativeFloat32, saveInvstd: NativeFloat32, rows: number, features: number, eps: number,
                   momentum: number, activation: number): void;
  batchNormBackward(training: boolean, x: NativeFloat32, dy: NativeFloat32, gamma: NativeFloat32 | null,
                    saveMean: NativeFloat32, saveInvstd: NativeFloat32, dx: NativeFloat32, dgamma: NativeFloat32 | null,
                    dbeta: NativeFloat32 | null, rows: number, features: number, activation: number,
                    y: NativeFloat32 | null): void;
}

/** The whole addon: the store, tensors and runtime below, and each op family's functions above. */
export interface NativeAddon extends LossNative, SoftmaxNative, FeatureConcatNative, GemmNative, GumbelMixtureNative, ProjectionChainNative, DenseOptimizerNative, SparsePropagationNative, BatchNormNative {
  backendInfo(): NativeBackendInfo;
  setThreads(threads: number): void;
  /** AddressSanitizer reports seen by this process: counted in CI's sanitizer build, 0 in any other. */
  sanitizerReports(): number;
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
