// @hop/trainer — the `hop` CLI and the programs behind it: offline collection, joint VAE + MOA
// pretraining, world-model training, self-play training (HOP agents), run directories, HTML reports and the demo.

// CLI
export { runCli, buildProgram, EXIT } from './cli/program';

// Configs (one validated record per command; defaults in one place)
export {
  CollectConfigSchema,
  PretrainConfigSchema,
  WorldModelCliSchema,
  DemoConfigSchema,
  type CollectConfig,
  type PretrainConfig,
  type WorldModelCliConfig,
  type DemoConfig,
} from './config/schemas';
export { readConfigFile, resolveConfig, type ConfigInput, type ValueSource } from './config/load';

// Commands as functions
export { collectDataset, type CollectSummary } from './collect/command';
export {
  pretrain,
  resumePretrain,
  type PretrainOptions,
  type PretrainResult,
  type EpochEvaluation,
} from './pretrain/train';
export { runWorldModelCommand, worldModelConfigOf, type WorldModelCommandInput } from './world-model/command';
export { writeReport, type ReportOptions } from './report/build';
export { runDemo } from './demo';

// Building blocks
export {
  openTrainingData,
  readHostBatch,
  epochOrder,
  goalOneHot,
  GOAL_NAMES,
  type TrainingData,
  type HostBatch,
} from './data/dataset';
export { buildModels, disposeModels, alphaScheduleOf, goalDimOf, type PretrainModels } from './pretrain/models';
export { trainStep, type StepMetrics } from './pretrain/step';
export { validate, type Validation } from './pretrain/validate';
export { RunDir, type RunConfigFile, type RunMetric } from './run/layout';
export { createProgress, type Progress, type ProgressOptions, type ProgressMode } from './run/progress';
export { InterruptFlag } from './run/interrupt';

// Self-play training (`hop train`): the HOP agent, the shared loop pieces and the algorithms
export { HopAgent, type HopAgentOptions } from './selfplay/agent';
export { HopTeam, emptyTally, type HopTeamOptions, type InferenceTally, type RootEncoder } from './selfplay/team';
export { discreteGoals, latentGoals, type GoalSetup } from './selfplay/goals';
export { runRollout, type RolloutSpec, type RolloutResult, type RolloutSamples, type EpisodeSummary } from './selfplay/rollout';
export { PolicyLearner, type LearnerBatch, type LearnerReport, type LearnerSettings } from './selfplay/learner';
export { warmStartBatch } from './selfplay/warm-start';
export { SelfPlayConfigSchema, BUDGET_PRESETS, type SelfPlayConfig } from './selfplay/config';
export { trainSelfPlay, resumeSelfPlay, type SelfPlayOptions, type SelfPlayResult } from './selfplay/loop';
export { envSlices } from './selfplay/runner';
export { ALGORITHMS, algorithm } from './algos/registry';
export type { SelfPlayAlgorithm, PlanningSetup } from './algos/types';
export { runTrainCommand, trainConfigOf, type TrainCommandInput } from './train/command';
export { TrainCliSchema } from './train/schema';
