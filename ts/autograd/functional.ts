/**
 * The differentiable ops, for models of your own: each takes and returns Variables and records
 * itself on the tape (`import { functional as F } from "mixdim"`).
 */
export { relu, sigmoid, tanh } from "./ops/activation_op.js";
export { combine, minus, plus, times } from "./ops/arithmetic_op.js";
export { batchNormOp as batchNorm } from "./ops/batch_norm_op.js";
export { concat } from "./ops/concat_op.js";
export { embeddingLookup } from "./ops/embedding_op.js";
export { linear } from "./ops/linear_op.js";
export { bceWithLogits, bpr, mseSigmoid, softmaxCrossEntropy } from "./ops/loss_op.js";
export { projectionChain } from "./ops/projection_chain_op.js";
export { mixtureWeightsOp as mixtureWeights, projectAndMixOp as projectAndMix, projectCandidatesOp as projectCandidates,
         reshapeOp as reshape, weightedSumOp as weightedSum } from "./ops/gumbel_mixture_op.js";
