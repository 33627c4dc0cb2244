/**
 * mixdim: mixed-dimension embeddings and embedding-size search for recommenders.
 */
export { backend, setThreads, type BackendInfo, type CudaDeviceInfo, type Device, type DeviceOption } from "./backend.js";
export { Tensor, type DType, type HostArray, type TensorOptions } from "./tensor.js";
export {
  EmbeddingStore,
  type EmbeddingStoreOptions,
  type SparseGradient,
  type SparseOptimizerOptions,
  type StoreField,
  type StoreBytes,
} from "./embedding_store.js";
export { activation, activationBackward, type Activation } from "./ops/activation.js";
export { add, addScaledInPlace, linearCombination, multiply, scale } from "./ops/elementwise.js";
export {
  binaryAccuracy,
  crossEntropy,
  logLossFromLogits,
  logLossFromProbabilities,
  meanSquaredError,
  multiclassAccuracy,
  sigmoidMeanSquaredError,
  type BinaryLabels,
} from "./metrics/classification.js";
export { auc } from "./metrics/auc.js";
export { topK } from "./metrics/top_k.js";
export {
  itemsInTrainAndTest,
  RankingAccumulator,
  rankingMetrics,
  type CsrRows,
  type RankingMetricsOptions,
  type RankingOptions,
  type RankingResult,
  type UserScorer,
} from "./metrics/ranking.js";
