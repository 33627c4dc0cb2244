/**
 * Every kernel the kernel table times: one family per module of ts/ops, and the embedding store's,
 * in the order a training step meets them. Each family's cases name the op they call
 * (KernelCase.op); what is not timed is listed below with the reason. test/bench/kernel_table.test.ts
 * holds both to the code: an export of ts/ops or a method of the native store without a row here,
 * or a native function that no row reaches, fails it unless it is listed as untimed.
 */
import type { KernelGroupBuilder } from "./kernel_case.js";
import { activationCases } from "./kernel_cases/activation_cases.js";
import { batchNormCases } from "./kernel_cases/batch_norm_cases.js";
import { denseOptimizerCases } from "./kernel_cases/dense_optimizer_cases.js";
import { elementwiseCases } from "./kernel_cases/elementwise_cases.js";
import { featureConcatCases } from "./kernel_cases/feature_concat_cases.js";
import { gemmCases } from "./kernel_cases/gemm_cases.js";
import { gumbelMixtureCases } from "./kernel_cases/gumbel_mixture_cases.js";
import { lossCases } from "./kernel_cases/loss_cases.js";
import { projectionChainCases } from "./kernel_cases/projection_chain_cases.js";
import { softmaxCases } from "./kernel_cases/softmax_cases.js";
import { sparsePropagationCases } from "./kernel_cases/sparse_propagation_cases.js";
import { storeCases } from "./kernel_cases/store_cases.js";

export const kernelFamilies: readonly KernelGroupBuilder[] = [
  storeCases,
  projectionChainCases,
  featureConcatCases,
  batchNormCases,
  gemmCases,
  activationCases,
  softmaxCases,
  elementwiseCases,
  lossCases,
  denseOptimizerCases,
  gumbelMixtureCases,
  sparsePropagationCases,
];

/** What runs no kernel of its own, or runs one only around the timed calls, and why. */
export interface UntimedKernels {
  /** Exports of ts/ops, as "module.name" or a whole module. */
  ops: Record<string, string>;
  /** Methods of the native EmbeddingStore. */
  store: Record<string, string>;
  /** Functions of the native addon (ts/native.ts). */
  native: Record<string, string>;
}

export const untimed: Readonly<UntimedKernels> = {
  ops: {
    "op_tensors": "argument checks and output allocation that every op runs: timed inside each op's row",
    "gemm.cpuGemm": "reports which CPU GEMM runs",
    "gemm.setCpuGemm": "chooses the CPU GEMM (configuration)",
    "dense_optimizer.adamState": "zeroed Adam moments: an allocation, once per parameter",
    "dense_optimizer.adagradState": "a zeroed Adagrad accumulator: an allocation, once per parameter",
    "projection_chain.chainLayout": "offsets of the packed parameters, host arithmetic",
    "gumbel_mixture.mixtureInputWidth": "the width of e, host arithmetic",
    "sparse_propagation.SparseGraph": "built once per graph: CSR validation and transpose on the host",
  },
  store: {
    addRows: "appends rows when new ids arrive (amortised growth of the index), not once per step",
    readRows: "a host copy of rows, for checkpoints and tests",
    writeRows: "writes rows from the host, for checkpoints and tests",
    rowSizes: "a host copy of the sizes",
    bytes: "byte accounting",
    compact: "runs inside resize when a size class is more than 1/8 free slots",
    setLearningRate: "configuration",
    setOptimizer: "configuration",
    dispose: "frees the store",
  },
  native: {
    backendInfo: "reports the CPU threads and the CUDA devices",
    setThreads: "sizes the thread pool between the 1- and 2-thread measurements",
    copyMemory: "the copy every bandwidth-bound figure is read against (the limit, measured first)",
    gemmCpuBackend: "reports which CPU GEMM runs",
    setGemmCpuBackend: "chooses the CPU GEMM (configuration)",
    sparseCsrCheck: "CSR validation, once per graph when it is built",
    sanitizerReports: "a count the sanitizer build's tests read (no kernel)",
  },
};
