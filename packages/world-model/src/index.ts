// Grid layout: what the model knows about the game (no game imports)
export {
  gridLayoutSchema,
  parseGridLayout,
  stagHuntLayout,
  stagHuntRules,
  rulesOf,
  rewardRulesSchema,
  type RewardRules,
  type StagHuntRuleInput,
  FOUR_MOVES,
  channelNamesOf,
  dynamicChannels,
  defaultChannelWeights,
  cellsOf,
  gridSizeOf,
  type GridLayout,
} from './layout';

// Config
export {
  worldModelConfigSchema,
  parseWorldModelConfig,
  WORLD_MODEL_FORMAT,
  type WorldModelConfig,
  type WorldModelConfigInput,
} from './config';

// Data
export { allocBatch, huntOutcome, type TransitionBatch, type TransitionSource } from './data/batch';
export {
  TransitionDataset,
  TransitionSubset,
  loadTransitionDataset,
  openTransitionData,
  splitTransitions,
  gatherAll,
  type TransitionColumns,
  type LoadDatasetOptions,
  type SplitOptions,
} from './data/dataset';

// Models
export {
  WorldModel,
  resolveWorldModelConfig,
  type ResolvedWorldModelConfig,
  type ModelInputs,
  type ForwardOutputs,
  type Prediction,
} from './model/world-model';
export { buildNetwork, networkParams, networkShapes, type NetworkShapes } from './model/network';
export { saveWorldModel, loadWorldModel, restoreWorldModel, checkWorldModelFormat, WORLD_MODEL_KIND } from './model/checkpoint';

// Training
export { worldModelLoss, type LossParts, type LossTargets, type LossWeights } from './train/loss';
export {
  trainWorldModel,
  learningRateAt,
  clipByGlobalNorm,
  RUN_FILES,
  METRICS_SECTION,
  type TrainWorldModelOptions,
  type TrainWorldModelResult,
  type EpochReport,
  type TrainLosses,
} from './train/train';

// Evaluation and report
export {
  MetricsAccumulator,
  metricsRecord,
  PRESENCE_THRESHOLD,
  observerRuleReward,
  type WorldModelMetrics,
  type ImpossibleCounts,
} from './eval/metrics';
export { evaluateWorldModel, type Evaluation, type EvaluateOptions, type PictureSample } from './eval/evaluate';
export { worldModelReportSection, samplePictures, offPolicySection } from './eval/report';
export {
  recordEpisodes,
  compareWithTruth,
  evaluateOffPolicy,
  stepCategories,
  STEP_CATEGORIES,
  STEP_CATEGORY_HELP,
  REWARD_TOLERANCE,
  type StepCategory,
  type OffPolicyActions,
  type RecordedEpisode,
  type RecordOptions,
  type CompareOptions,
  type OffPolicyEvaluationOptions,
  type MatchRates,
  type RolloutFigures,
  type OffPolicyFigures,
} from './eval/offpolicy';
export { scatterSvg } from './eval/scatter';

// Planning adapter
export { WorldModelSimulator, type WorldModelSimulatorOptions } from './sim/adapter';
export { StateCodec } from './sim/state';

// Inference through ONNX Runtime (optional) or tfjs
export { exportWorldModelToOnnx, WORLD_MODEL_ONNX, type WorldModelOnnx } from './inference/export';
export {
  createWorldModelInference,
  type WorldModelInference,
  type WorldModelPredictor,
} from './inference/engine';
