/**
 * ESAPN's projection chain e_k → e_{k+1} → … → e_{n−1} over candidate sizes d_0 < … < d_{n−1}:
 * links W_k (d_{k+1} × d_k) with biases b_k and no nonlinearity. The fast path precomposes
 * M_k = W_{n−2}⋯W_k and c_k once per optimizer step (`precomposeChain`), then maps each row in
 * one product by its current size (`chainForward`); the backward reaches every W_j and b_j at a
 * matrix-sized cost per class. `chainForwardStepwise` applies the links one by one (reference).
 *
 * Packed layouts (row-major): weights = W_0 | … | W_{n−2}, biases = b_0 | … | b_{n−2},
 * matrices = M_0 | … | M_{n−1} (M_k is d_{n−1} × d_k, M_{n−1} = I), offsets = c_0 | … | c_{n−1}.
 * Rows are [B, R] with R ≥ d_{n−1}, as the embedding store's padded lookup returns them: a row at
 * size d_k uses its first d_k entries. `sizes` gives each row's size (an Int32Array on the host).
 */
import { native } from "../native.js";
import type { Device } from "../backend.js";
import type { Tensor } from "../tensor.js";
import { commonDevice, expectRank, expectShape, expectTensor, kernelArgument, outputTensor, overwrittenOutput } from "./op_tensors.js";



/** Where each piece of a chain lives in its packed tensors. */
export interface ChainLayout {
  dims: readonly number[];
  /** Start of W_k in weights (k = 0..n−2). */
  weightOffsets: readonly number[];
  /** Start of b_k in biases. */
  biasOffsets: readonly number[];
  /** Start of M_k in matrices (k = 0..n−1). */
  matrixOffsets: readonly number[];
  weightCount: number;
  biasCount: number;
  matrixCount: number;
}

/** The chain's learned parameters: the packed links and biases. */
export interface ChainParameters {
  /** Candidate sizes, strictly increasing. */
  dims: readonly number[];
  /** W_0 | … | W_{n−2}, shape [weightCount]. */
  weights: Tensor<"float32">;
  /** b_0 | … | b_{n−2}, shape [biasCount]. */
  biases: Tensor<"float32">;
}

/** M_k and c_k for every class; valid until the weights change. */
export interface PrecomposedChain {
  dims: readonly number[];
  /** M_0 | … | M_{n−1}, shape [matrixCount]. */
  matrices: Tensor<"float32">;
  /** c_0 | … | c_{n−1}, shape [n, d_{n−1}]. */
  offsets: Tensor<"float32">;
}

export interface ChainGradients {
  /** [B, R], zero beyond each row's size. */
  drows: Tensor<"float32">;
  dweights: Tensor<"float32">;
  dbiases: Tensor<"float32">;
}

const maxClasses = 64;

/** Offsets of every piece for candidate sizes `dims`; a RangeError unless they are 1..64 increasing positive integers. */
export function chainLayout(dims: readonly number[]): ChainLayout {
  if (!Array.isArray(dims)) throw new TypeError(`dims must be an array of sizes, got ${typeof dims}`);
  if (dims.length < 1 || dims.length > maxClasses) {
    throw new RangeError(`dims must hold 1 to ${maxClasses} candidate sizes, got ${dims.length}`);
  }
  dims.forEach((d, k) => {
    if (!Number.isInteger(d) || d < 1 || d > 2 ** 20 || (k > 0 && d <= dims[k - 1]!)) {
      throw new RangeError(`dims must be positive integers, strictly increasing, got [${dims.join(", ")}]`);
    }
  });
  const full = dims[dims.length - 1]!;
  const weightOffsets: number[] = [];
  const biasOffsets: number[] = [];
  const matrixOffsets: number[] = [];
  let weightCount = 0;
  let biasCount = 0;
  let matrixCount = 0;
  dims.forEach((d, k) => {
    matrixOffsets.push(matrixCount);
    matrixCount += full * d;
    if (k + 1 < dims.length) {
      weightOffsets.push(weightCount);
      biasOffsets.push(biasCount);
      weightCount += dims[k + 1]! * d;
      biasCount += dims[k + 1]!;
    }
  });
  return { dims: [...dims], weightOffsets, biasOffsets, matrixOffsets, weightCount, biasCount, matrixCount };
}

function checkParameters(chain: ChainParameters): { layout: ChainLayout; dims: Int32Array } {
  if (typeof chain !== "object" || chain === null) throw new TypeError("chain must be { dims, weights, biases }");
  const layout = chainLayout(chain.dims);
  expectTensor(chain.weights, "float32", "weights");
  expectTensor(chain.biases, "float32", "biases");
  expectShape(chain.weights, [layout.weightCount], "weights");
  expectShape(chain.biases, [layout.biasCount], "biases");
  commonDevice({ weights: chain.weights, biases: chain.biases });
  return { layout, dims: Int32Array.from(layout.dims) };
}

function checkPrecomposed(precomposed: PrecomposedChain, layout: ChainLayout): void {
  if (typeof precomposed !== "object" || precomposed === null) {
    throw new TypeError("precomposed must be { dims, matrices, offsets } from precomposeChain");
  }
  if (precomposed.dims.length !== layout.dims.length || precomposed.dims.some((d, k) => d !== layout.dims[k])) {
    throw new RangeError(`precomposed.dims [${precomposed.dims.join(", ")}] differ from the chain's dims ` +
                         `[${layout.dims.join(", ")}]`);
  }
  expectTensor(precomposed.matrices, "float32", "matrices");
  expectTensor(precomposed.offsets, "float32", "offsets");
  expectShape(precomposed.matrices, [layout.matrixCount], "matrices");
  expectShape(precomposed.offsets, [layout.dims.length, layout.dims[layout.dims.length - 1]!], "offsets");
}

function checkRows(rows: Tensor<"float32">, sizes: Int32Array, layout: ChainLayout): { batch: number; width: number } {
  expectTensor(rows, "float32", "rows");
  expectRank(rows, 2, "rows");
  if (!(sizes instanceof Int32Array)) throw new TypeError(`sizes must be an Int32Array of row sizes`);
  const [batch, width] = rows.shape as [number, number];
  if (sizes.length !== batch) throw new RangeError(`sizes has length ${sizes.length} but rows has ${batch} rows`);
  const full = layout.dims[layout.dims.length - 1]!;
  if (width < full) throw new RangeError(`rows has width ${width} but must be at least dims[n−1] = ${full}`);
  return { batch, width };
}

/** M_k = W_{n−2}⋯W_k and c_k for every class: matrix-sized, once per optimizer step. */
export function precomposeChain(chain: ChainParameters): PrecomposedChain {
  const { layout, dims } = checkParameters(chain);
  const device = chain.weights.device;
  const full = layout.dims[layout.dims.length - 1]!;
  const matrices = outputTensor("float32", [layout.matrixCount], device);
  const offsets = outputTensor("float32", [layout.dims.length, full], device);
  native.chainPrecompose(dims, kernelArgument(chain.weights, "weights"), kernelArgument(chain.biases, "biases"),
                          kernelArgument(matrices, "matrices"), kernelArgument(offsets, "offsets"));
  return { dims: layout.dims, matrices, offsets };
}

export interface ChainForwardOptions {
  /** Writes into this [B, d_{n−1}] tensor (every element is overwritten) instead of a fresh one. */
  out?: Tensor<"float32">;
}

function forwardOutput(options: ChainForwardOptions, batch: number, layout: ChainLayout, device: Device):
    Tensor<"float32"> {
  const shape = [batch, layout.dims[layout.dims.length - 1]!];
  if (options.out === undefined) return overwrittenOutput("float32", shape, device);
  expectTensor(options.out, "float32", "out");
  expectShape(options.out, shape, "out");
  if (options.out.device !== device) throw new TypeError(`out is on ${options.out.device} but rows is on ${device}`);
  return options.out;
}

/**
 * out[b] = M_k rows[b, :d_k] + c_k with d_k = sizes[b], shape [B, d_{n−1}]: per size class one GEMM,
 * or for classes up to 16 wide one fused pass (gather, product and scatter together).
 */
export function chainForward(precomposed: PrecomposedChain, rows: Tensor<"float32">, sizes: Int32Array,
                             options: ChainForwardOptions = {}): Tensor<"float32"> {
  const layout = chainLayout(precomposed?.dims);
  checkPrecomposed(precomposed, layout);
  const { batch, width } = checkRows(rows, sizes, layout);
  const device = commonDevice({ matrices: precomposed.matrices, offsets: precomposed.offsets, rows });
  const out = forwardOutput(options, batch, layout, device);
  native.chainForward(Int32Array.from(layout.dims), kernelArgument(precomposed.matrices, "matrices"),
                       kernelArgument(precomposed.offsets, "offsets"), kernelArgument(rows, "rows"), width, sizes,
                       kernelArgument(out, "out"));
  return out;
}

/** The same output as chainForward, applying W_k, W_{k+1}, … in turn: the reference path. */
export function chainForwardStepwise(chain: ChainParameters, rows: Tensor<"float32">, sizes: Int32Array,
                                     options: ChainForwardOptions = {}): Tensor<"float32"> {
  const { layout, dims } = checkParameters(chain);
  const { batch, width } = checkRows(rows, sizes, layout);
  const device = commonDevice({ weights: chain.weights, rows });
  const out = forwardOutput(options, batch, layout, device);
  native.chainStepwiseForward(dims, kernelArgument(chain.weights, "weights"), kernelArgument(chain.biases, "biases"),
                               kernelArgument(rows, "rows"), width, sizes, kernelArgument(out, "out"));
  return out;
}

/**
 * One link per row, as ESAPN's enlarge: a row at d_k becomes W_k e + b_k at d_{k+1}, zero-padded to
 * the width of rows (the store's resize takes these as init values). Rows already at d_{n−1} are copied.
 */
export function chainLink(chain: ChainParameters, rows: Tensor<"float32">, sizes: Int32Array): Tensor<"float32"> {
  const { layout, dims } = checkParameters(chain);
  const { width } = checkRows(rows, sizes, layout);
  const device = commonDevice({ weights: chain.weights, rows });
  const out = outputTensor("float32", rows.shape, device);
  native.chainLink(dims, kernelArgument(chain.weights, "weights"), kernelArgument(chain.biases, "biases"),
                    kernelArgument(rows, "rows"), width, sizes, kernelArgument(out, "out"));
  return out;
}

/**
 * Gradients of Σ_b ⟨dout[b], out[b]⟩ for chainForward: the rows (zero beyond each size), every W_j
 * and every b_j. Batch-sized work is three GEMMs per class; the rest is matrix-sized.
 */
export function chainBackward(chain: ChainParameters, precomposed: PrecomposedChain, rows: Tensor<"float32">,
                              sizes: Int32Array, dout: Tensor<"float32">): ChainGradients {
  const { layout, dims } = checkParameters(chain);
  checkPrecomposed(precomposed, layout);
  const { batch, width } = checkRows(rows, sizes, layout);
  expectTensor(dout, "float32", "dout");
  expectShape(dout, [batch, layout.dims[layout.dims.length - 1]!], "dout");
  const device = commonDevice({ weights: chain.weights, matrices: precomposed.matrices, rows, dout });
  const drows = outputTensor("float32", [batch, width], device);
  const dweights = outputTensor("float32", [layout.weightCount], device);
  const dbiases = outputTensor("float32", [layout.biasCount], device);
  native.chainBackward(dims, kernelArgument(chain.weights, "weights"), kernelArgument(chain.biases, "biases"),
                        kernelArgument(precomposed.matrices, "matrices"), kernelArgument(rows, "rows"), width, sizes,
                        kernelArgument(dout, "dout"), kernelArgument(drows, "drows"),
                        kernelArgument(dweights, "dweights"), kernelArgument(dbiases, "dbiases"));
  return { drows, dweights, dbiases };
}
