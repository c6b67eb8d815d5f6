// @hop/moa — model of other agents: a goal-conditioned opponent policy for any grid or vector
// observation, its supervised training and evaluation, per-pair models, goal beliefs and the online buffer.
export {
  MOAConfigSchema,
  TrainConfigSchema,
  OnlineBufferConfigSchema,
  parseConfig,
  type MOAConfig,
  type MOAConfigInput,
  type TrainConfig,
  type TrainConfigInput,
  type OnlineBufferConfig,
  type OnlineBufferConfigInput,
} from './config';

export { MOAModel, oneHotGoals, type MOAForward } from './model/moa-model';
export { buildMOANetwork, type MOANetworks } from './model/network';
export { maskLogits, type MOAInput, type InputTensors } from './model/inputs';
export { toCoPlayerModel, toEvaluator, type EvaluatorOptions } from './model/adapters';

export {
  MOATrainer,
  type SupervisedBatch,
  type StepOptions,
  type StepResult,
  type ExtraLoss,
  type FitOptions,
  type EpochResult,
} from './train/supervised';
export { assertDataset, gatherRows, oneHotLabels, type MOADataset } from './train/dataset';

export {
  MetricsAccumulator,
  confusionMetrics,
  evaluateArrays,
  type Evaluation,
  type ClassMetrics,
  type MetricsOptions,
} from './eval/metrics';
export { evaluate, type EvaluateOptions } from './eval/evaluate';
export { perClassCsv, confusionCsv, summaryCsv } from './eval/csv';
export { evaluationSvgs, rowNormalised, type EvaluationSvgs } from './eval/plots';

export { PairRegistry, pairKey } from './registry/pair-registry';
export { pairCoPlayerModel, groupRowsByModel, gatherWidth, type PairOwners } from './registry/routing';

export { IntraEpisodeBelief } from './beliefs/intra';
export { GoalPrior, combineBeliefs } from './beliefs/prior';
export { sampleGoalOrderings } from './beliefs/sampling';
// The one goal-order function and the co-player numbering, shared with @hop/mcts through @hop/core.
export { sampleGoalOrders, coPlayerAgent, coPlayerIndex, type GoalOrderOptions } from '@hop/core';
export { GoalBeliefTracker, BeliefStateSchema, type BeliefState } from './beliefs/tracker';

export {
  CoPlayerBuffer,
  OnlineMOA,
  oneHotInto,
  type StepRecord,
  type Achievement,
  type EpisodeCommit,
  type OnlineMOAOptions,
  type OnlineTrainReport,
  type OnlineMOASnapshot,
  type GoalVectorOf,
} from './buffer/online-buffer';

export {
  saveMOA,
  loadMOA,
  savePairRegistry,
  loadPairRegistry,
  MOA_CHECKPOINT_KIND,
  PAIRS_CHECKPOINT_KIND,
} from './io/checkpoint';

export { exportMOAToOnnx, MOA_ONNX, type MOAOnnxModels } from './inference/export';
export {
  createMOAInference,
  type MOAInference,
  type MOAInferenceOptions,
  type ProbsForGoalsOptions,
} from './inference/engine';
