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
export {
  hasCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointContents,
  type CheckpointSaveStep,
  type SaveCheckpointOptions,
} from "./checkpoint/checkpoint.js";
export {
  readSafetensors,
  writeSafetensors,
  type SafetensorsContents,
  type SafetensorsDType,
  type TensorData,
} from "./checkpoint/safetensors.js";
export { CheckpointError } from "./checkpoint/checkpoint_error.js";
export type { FileDigest } from "./checkpoint/atomic_write.js";
export type { RatingsDataset } from "./data/dataset.js";
export { DataFormatError, type ColumnRef, type ParsedRatings, type RatingsColumns, type RatingsFormat } from "./data/ratings_parser.js";
export { detectFormat, loadRatings, parseRatings, type LoadRatingsOptions, type RatingsFileOptions } from "./data/load_ratings.js";
export { binaryLabels, fiveClassLabels } from "./data/labels.js";
export { sortByTime, timeOrder } from "./data/time_order.js";
export {
  ctrSplit,
  prequentialBatches,
  streamSplit,
  type CtrSplit,
  type CtrSplitOptions,
  type StreamSplit,
  type StreamSplitOptions,
} from "./data/splits.js";
export { scallSegments, type ScallSegment, type ScallSegmentOptions, type ScallStream } from "./data/scall_segments.js";
export { generateSynthetic, type CategoricalFields, type SyntheticDataset, type SyntheticOptions } from "./data/synthetic.js";
export { writeSyntheticRatings, type WriteSyntheticOptions, type WrittenRatings } from "./data/synthetic_csv.js";
export { batchNorm, batchNormBackward, type BatchNormGradients, type BatchNormOptions, type BatchNormOutput } from "./ops/batch_norm.js";
export {
  bceWithLogitsLoss,
  bprLoss,
  mseSigmoidLoss,
  softmaxCrossEntropyLoss,
  type BprLossResult,
  type LossOptions,
  type LossReduction,
  type LossResult,
} from "./ops/loss.js";
export {
  adagradState,
  adagradStep,
  adamState,
  adamStep,
  clipGradNorm,
  sgdStep,
  type AdagradOptions,
  type AdagradState,
  type AdamOptions,
  type AdamState,
  type SgdOptions,
  type SgdState,
} from "./ops/dense_optimizer.js";
export {
  chainBackward,
  chainForward,
  chainForwardStepwise,
  chainLayout,
  chainLink,
  precomposeChain,
  type ChainForwardOptions,
  type ChainGradients,
  type ChainLayout,
  type ChainParameters,
  type PrecomposedChain,
} from "./ops/projection_chain.js";
export {
  gumbelNoise,
  mixtureInputWidth,
  mixtureWeights,
  mixtureWeightsBackward,
  projectAndMix,
  projectAndMixBackward,
  projectCandidates,
  projectCandidatesBackward,
  weightedSum,
  weightedSumBackward,
  type CandidateProjections,
  type MixGradients,
  type MixtureMode,
  type MixtureWeights,
  type MixtureWeightsOptions,
  type ProjectionGradients,
} from "./ops/gumbel_mixture.js";
export {
  propagate,
  propagateBackward,
  propagateStore,
  propagateStoreBackward,
  SparseGraph,
  type PropagateOptions,
  type StoreGradient,
} from "./ops/sparse_propagation.js";
export { normalizedAdjacency, transposeCsr, validateCsr, type CsrMatrix, type Interactions } from "./graph/normalized_adjacency.js";
export {
  biasGradient,
  cpuGemm,
  matmul,
  matmulGradients,
  setCpuGemm,
  type CpuGemmInfo,
  type CpuGemmOptions,
  type MatmulGradients,
  type MatmulOptions,
} from "./ops/gemm.js";
export { softmax, softmaxBackward } from "./ops/softmax.js";
export { concatFeatures, concatFeaturesBackward, sliceFeatures, sliceFeaturesBackward } from "./ops/feature_concat.js";
export { Variable, type VariableOptions } from "./autograd/variable.js";
export { backward, noGrad, isGradEnabled } from "./autograd/tape.js";
export { registerGradient, registerKernel, runOp, type Gradient, type Kernel } from "./autograd/op_registry.js";
export * as functional from "./autograd/functional.js";
export { Module, type ModuleState, type Parameter } from "./modules/module.js";
export { EmbeddingParameter } from "./modules/embedding_parameter.js";
export { Embedding, MixedDimEmbedding, type EmbeddingOptions } from "./modules/mixed_dim_embedding.js";
export { Linear, type LinearOptions } from "./modules/linear.js";
export { MLP, type MlpOptions } from "./modules/mlp.js";
export { BatchNorm, type BatchNormModuleOptions } from "./modules/batch_norm.js";
export { ProjectionChain, type ProjectionChainOptions } from "./modules/projection_chain.js";
export { GumbelMixture, type GumbelMixtureOptions } from "./modules/gumbel_mixture.js";
export { packStoreField, unpackStoreField } from "./modules/store_packing.js";
export { Optimizer, type OptimizerOptions, type OptimizerSnapshot } from "./optim/optimizer.js";
export { SGD, type SgdOptimizerOptions } from "./optim/sgd.js";
export { Adam, type AdamOptimizerOptions } from "./optim/adam.js";
export { Adagrad, type AdagradOptimizerOptions } from "./optim/adagrad.js";
export { StepDecay, type StepDecayOptions } from "./optim/step_decay.js";
export { embeddingFromPlan, fixedPlan, planBytes, planRatio, type PlanEmbeddingOptions, type SizePlan } from "./plan/size_plan.js";
export { MlpRecommender, type MlpRecommenderOptions } from "./models/mlp_recommender.js";
export {
  runStream,
  type RatingEvents,
  type RatingModel,
  type RatingTask,
  type StreamMetrics,
  type StreamOptions,
} from "./training/rating_stream.js";
export { ratingBaselines, type BaselineMetrics, type RatingBaselines } from "./training/rating_baselines.js";
export { runRatingExperiment, type RatingExperimentOptions, type RatingExperimentResult } from "./training/rating_experiment.js";
export { loadTraining, saveTraining, type TrainingState } from "./training/training_checkpoint.js";
export {
  moduleSnapshot,
  nestSnapshots,
  optimizerSnapshot,
  restoreModule,
  restoreOptimizer,
  snapshotPart,
  snapshotTensor,
  type StateSnapshot,
} from "./training/state_snapshot.js";
export { propagateEmbedding, propagateRows } from "./autograd/ops/propagation_op.js";
export { gatherRows } from "./autograd/ops/gather_rows_op.js";
export { repeatedRowsLinear, type RowBlock } from "./autograd/ops/repeated_rows_linear_op.js";
export { BprSampler, itemsByUser, type BprBatch, type BprSamplerOptions, type ItemsByUser } from "./models/bpr_sampling.js";
export { LightGCN, type LightGcnOptions } from "./models/lightgcn.js";
export { pairwiseInteraction } from "./autograd/ops/pairwise_interaction_op.js";
export {
  FieldEmbeddings,
  FieldLinear,
  fieldTableName,
  fixedFieldPlan,
  splitFields,
  type FieldBatch,
  type FieldEmbeddingsOptions,
  type FieldIds,
  type FieldLinearOptions,
} from "./models/field_embeddings.js";
export { FM, type FmOptions } from "./models/fm.js";
export { deepMlp, WideAndDeep, type DeepOptions, type WideAndDeepOptions } from "./models/wide_and_deep.js";
export { DeepFM, type DeepFmOptions } from "./models/deep_fm.js";
export {
  baseRateLogLoss,
  evaluateCtr,
  predictCtr,
  trainCtr,
  type CtrData,
  type CtrEvaluation,
  type CtrModel,
  type CtrTrainOptions,
} from "./models/ctr_training.js";
export { search } from "./search/search.js";
export {
  runFrontier as frontier,
  defaultFrontierBudgets,
  type FrontierBudget,
  type FrontierOptions,
  type FrontierPoint,
  type FrontierProgress,
  type FrontierResult,
  type FrontierVariant,
  type SeedSpread,
} from "./search/frontier.js";
export { constrainPlanToBudget, resolveBudget } from "./search/budget.js";
export type {
  Budget,
  PlanEvaluationContext,
  PlanEvaluator,
  SearchCheckpointing,
  SearchData,
  SearchEvent,
  SearchMethod,
  SearchOptions,
  SearchProgress,
  SearchResult,
  SearchSnapshot,
  SearchTask,
} from "./search/search_types.js";
export { loadSearchSnapshot, saveSearchSnapshot } from "./search/search_snapshot.js";
export { YieldPoint, type YieldPointOptions } from "./search/yield_point.js";
export { actionToSizes, ScallController, type ScallControllerOptions } from "./search/scall/scall.js";
export {
  allocateSizes,
  powerLawShares,
  sampleSizes,
  type SampledSizes,
  type SampleSizesOptions,
  type SizeAction,
  type SizeBudget,
  type SizeRange,
} from "./search/scall/size_sampler.js";
export { ReplayBuffer, SacAgent, type SacOptions, type Transition } from "./search/scall/sac_agent.js";
export {
  mdBudgetDims,
  mdSolver,
  mdTableDims,
  roundHalfEven,
  snapToCandidates,
  type MdBudgetOptions,
  type MdBudgetResult,
  type MdSolverOptions,
  type MdTable,
} from "./search/mde/md_solver.js";
export { mdeSizes, type MdeOptions } from "./search/mde/mde.js";
export { AutoDimSearchLayer, type ArchStepLosses, type AutoDimSearchLayerOptions } from "./search/autodim/search_layer.js";
export { FieldHead, FieldModel, type FieldHeadOptions, type FieldVectorSource } from "./search/autodim/field_model.js";
export { planFromJson, planText, planToJson, readPlan, writePlan, type PlanJson } from "./export/plan_export.js";
export {
  exportedTableName,
  exportTensors,
  moduleShapes,
  writeExportedWeights,
  writeModelWeights,
  type ExportedTable,
  type ExportedWeights,
} from "./export/weights_export.js";
export { DartsController, type DartsControllerOptions } from "./search/darts/darts_controller.js";
export { AutoEmbController, type AutoEmbControllerOptions } from "./search/autoemb/autoemb_controller.js";
export { SoftSelectionEmbedding, type SoftSelectionEmbeddingOptions } from "./search/soft_selection/soft_selection_embedding.js";
export { SoftSelectionRecommender, type SoftSelectionRecommenderOptions } from "./search/soft_selection/soft_recommender.js";
export {
  EsapnController,
  type EsapnActionRule,
  type EsapnBatch,
  type EsapnControllerOptions,
  type EsapnDecidingSamples,
  type EsapnMemory,
  type EsapnPolicyMode,
  type EsapnReward,
  type EsapnSide,
  type EsapnStorage,
} from "./search/esapn/controller.js";
export { RunningFrequency } from "./search/esapn/running_frequency.js";
export { enlargeRows } from "./search/esapn/enlarge.js";
export { runEsapnStream, type EsapnStreamOptions, type EsapnStreamResult } from "./search/esapn/esapn.js";
export { renderReport, writeReport } from "./report/report.js";
export { reportRun } from "./report/report_run.js";
export type { ReportInput, ReportRun } from "./report/report_types.js";
