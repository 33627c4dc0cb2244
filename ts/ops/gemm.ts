/**
 * Matrix products for dense layers: C = alpha · op(A) · op(B) + bias (+ beta · out), with op(X)
 * = X or Xᵀ, and the bias gradient.
 *
 * Backward. For C = op(A) · op(B) + bias with upstream gradient dC (alpha scales both):
 *
 * | forward          | dA                                      | dB                                      |
 * | ---------------- | --------------------------------------- | --------------------------------------- |
 * | A · B            | matmul(dC, B, { transB: true })         | matmul(A, dC, { transA: true })         |
 * | Aᵀ · B           | matmul(B, dC, { transB: true })         | matmul(A, dC)                           |
 * | A · Bᵀ           | matmul(dC, B)                           | matmul(dC, A, { transA: true })         |
 * | Aᵀ · Bᵀ          | matmul(B, dC, { transA: true, transB: true }) | matmul(dC, A, { transA: true, transB: true }) |
 *
 * and dbias = biasGradient(dC). `matmulGradients` applies this table.
 *
 * On the CPU the product runs on mixdim's packed kernel, or on OpenBLAS where it is installed and
 * chosen (`setCpuGemm`, or MIXDIM_BLAS=openblas at start-up); see docs/gemm.md.
 */
import { native, type CpuGemmInfo } from "../native.js";
import { describe, type Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectShape, expectTensor, kernelArgument, outputTensor, overwrittenOutput } from "./op_tensors.js";




export interface MatmulOptions {
  /** Use Aᵀ: a is stored [k, m]. */
  transA?: boolean;
  /** Use Bᵀ: b is stored [n, k]. */
  transB?: boolean;
  /** [n], added to every row of the product. */
  bias?: Tensor<"float32">;
  /** Scales the product (not the bias). Default 1. */
  alpha?: number;
  /** [m, n]: written in place and returned instead of a new tensor. Must not be a or b. */
  out?: Tensor<"float32">;
  /** With `out`: out = alpha · op(A)·op(B) + beta · out + bias. Default 0 (out's old values, NaN included, are ignored). */
  beta?: number;
}

function flag(value: unknown, argument: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new TypeError(`${argument} must be a boolean, got ${describe(value)}`);
  return value;
}

function finite(value: unknown, fallback: number, argument: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw new TypeError(`${argument} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${argument} must be finite, got ${value}`);
  return value;
}

/**
 * alpha · op(a) · op(b) + bias, for 2-D float32 tensors on one device.
 *
 * @example
 * // A Linear layer: y [batch, out] = x [batch, in] · w [in, out] + b [out]
 * const y = matmul(x, w, { bias: b });
 */
export function matmul(a: Tensor<"float32">, b: Tensor<"float32">, options: MatmulOptions = {}): Tensor<"float32"> {
  const left = expectTensor(a, "float32", "a");
  const right = expectTensor(b, "float32", "b");
  expectRank(left, 2, "a");
  expectRank(right, 2, "b");
  const transA = flag(options.transA, "transA");
  const transB = flag(options.transB, "transB");
  const alpha = finite(options.alpha, 1, "alpha");
  const beta = finite(options.beta, 0, "beta");
  const [aRows, aCols] = left.shape as [number, number];
  const [bRows, bCols] = right.shape as [number, number];
  const m = transA ? aCols : aRows;
  const k = transA ? aRows : aCols;
  const kB = transB ? bCols : bRows;
  const n = transB ? bRows : bCols;
  if (kB !== k) {
    throw new RangeError(`b has shape [${bRows}, ${bCols}]${transB ? " (transposed)" : ""} but a's inner dimension is ${k}`);
  }
  const tensors: Record<string, Tensor> = { a: left, b: right };
  let bias: Tensor<"float32"> | undefined;
  if (options.bias !== undefined) {
    bias = expectTensor(options.bias, "float32", "bias");
    expectShape(bias, [n], "bias");
    tensors.bias = bias;
  }
  let out: Tensor<"float32">;
  if (options.out !== undefined) {
    out = expectTensor(options.out, "float32", "out");
    expectShape(out, [m, n], "out");
    if (out === left || out === right) throw new RangeError("out must not be a or b: the product cannot overwrite its inputs");
    tensors.out = out;
  } else {
    if (beta !== 0) throw new RangeError(`beta = ${beta} needs out: it scales out's old values`);
    out = overwrittenOutput("float32", [m, n], left.device);
  }
  commonDevice(tensors);
  native.gemm(transA, transB, m, n, k, alpha, kernelArgument(left, "a"), Math.max(aCols, 1),
               kernelArgument(right, "b"), Math.max(bCols, 1), beta, kernelArgument(out, "out"), Math.max(n, 1),
               bias === undefined ? null : kernelArgument(bias, "bias"));
  return out;
}

/** db[j] = Σ_i dy[i, j]: the gradient of a bias added to every row of dy [rows, cols]. */
export function biasGradient(dy: Tensor<"float32">): Tensor<"float32"> {
  const grad = expectTensor(dy, "float32", "dy");
  expectRank(grad, 2, "dy");
  const [rows, cols] = grad.shape as [number, number];
  const db = outputTensor("float32", [cols], grad.device);
  native.biasGradient(kernelArgument(grad, "dy"), rows, cols, kernelArgument(db, "db"));
  return db;
}

export interface MatmulGradients {
  /** dL/da, shaped like a. */
  da: Tensor<"float32">;
  /** dL/db, shaped like b. */
  db: Tensor<"float32">;
  /** dL/dbias = biasGradient(dy), [n]. */
  dbias: Tensor<"float32">;
}

/**
 * The gradients of y = alpha · op(a) · op(b) + bias given dy = dL/dy: each is one matmul with
 * transposes (the table in this module's comment) and a bias gradient.
 */
export function matmulGradients(dy: Tensor<"float32">, a: Tensor<"float32">, b: Tensor<"float32">,
                                options: Pick<MatmulOptions, "transA" | "transB" | "alpha"> = {}): MatmulGradients {
  const transA = flag(options.transA, "transA");
  const transB = flag(options.transB, "transB");
  const alpha = finite(options.alpha, 1, "alpha");
  const grad = expectTensor(dy, "float32", "dy");
  expectRank(grad, 2, "dy");
  const left = expectTensor(a, "float32", "a");
  const right = expectTensor(b, "float32", "b");
  expectRank(left, 2, "a");
  expectRank(right, 2, "b");
  const m = transA ? left.shape[1]! : left.shape[0]!;
  const n = transB ? right.shape[0]! : right.shape[1]!;
  expectShape(grad, [m, n], "dy");
  const da = transA
    ? matmul(right, grad, { transA: transB, transB: true, alpha })
    : matmul(grad, right, { transB: !transB, alpha });
  const db = transB
    ? matmul(grad, left, { transA: true, transB: transA, alpha })
    : matmul(left, grad, { transA: !transA, alpha });
  return { da, db, dbias: biasGradient(grad) };
}

/** Which CPU GEMM runs (builtin or OpenBLAS), the builtin micro-kernels, and whether OpenBLAS loaded. */
export function cpuGemm(): CpuGemmInfo {
  return native.gemmCpuBackend();
}

export interface CpuGemmOptions {
  /** "builtin" (mixdim's kernel, the default) or "openblas" (an Error when libopenblas.so.0 is absent). */
  backend: "builtin" | "openblas";
  /** Force a builtin micro-kernel, e.g. "avx2" or "portable" (a RangeError when this CPU lacks it). */
  kernel?: string;
}

/** Chooses the CPU GEMM for the whole process (MIXDIM_BLAS=openblas|builtin sets it at start-up). */
export function setCpuGemm(options: CpuGemmOptions): void {
  native.setGemmCpuBackend(options.backend, options.kernel);
}
export type { CpuGemmInfo } from "../native.js";
