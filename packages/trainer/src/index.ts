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
export { ALGORITHMS, algorithm, planningAlgorithm } from './algos/registry';
export { isLoopAlgorithm, type SelfPlayAlgorithm, type LoopAlgorithm, type TrainAlgorithm, type AlgorithmBase, type PlanningSetup } from './algos/types';

// PPO and what builds on it (`hop train --algo ppo | hop-onestep`)
export { PPOConfigSchema, PPO_PRESETS, type PPOConfig } from './algos/ppo/config';
export { HopOneStepConfigSchema, type HopOneStepConfig } from './algos/hop-onestep/config';
export type { MaskedVecEnv, EpisodeExtras } from './ppo/env';
export { buildPPONetwork, orthogonalInit, type PPONetworkSpec } from './ppo/network';
export { PPOPolicies, type ActInput, type ActOutput } from './ppo/policies';
export { PPOLearner, explainedVariance, type PPOSettings, type PPOUpdateReport } from './ppo/learner';
export { allocateBatch, collectRollout, gae, type PPOBatch, type PPOEpisode, type CollectResult, type Conditioner, type StepObserver } from './ppo/rollout';
export { trainPPO, resumePPO, ppoIterations, type PPOExtension, type PPOExtensionFactory, type PPOLoopConfig } from './ppo/loop';

// Evaluation, comparison and experiment grids (`hop eval | compare | experiment`)
export { ruleSource, runSource, type AgentSource, type Controller } from './eval/controllers';
export {
  evaluateAgent,
  focalCounts,
  planSlices,
  playSlice,
  assembleCells,
  ADAPT_CO_PLAYERS,
  REFERENCE_POPULATIONS,
  type EvalCell,
  type EvalSettings,
  type EvalSlice,
  type Protocol,
} from './eval/protocol';
export { default as evalTask, sourceOf, type EvalTask, type EvalTaskResult, type SourceSpec } from './eval/worker';
export { buildTables, meanStd, tablesCsv, type EvalRow, type EvalTables } from './eval/tables';
export { EvalConfigSchema, type EvalConfig } from './eval/schema';
export { evaluateRuns, writeEvaluation, runEvalCommand, evaluationSettings, defaultEvalWorkers, type EvaluationResult, type EvaluationSettings } from './eval/command';
export { writeComparison, type CompareOptions } from './compare/command';
export { ExperimentSchema, type Experiment } from './experiment/schema';
export { experimentCells, runExperimentCommand, type Cell } from './experiment/command';
export { cellStatus } from './experiment/status';
export { runTrainCommand, trainConfigOf, type TrainCommandInput } from './train/command';
export { TrainCliSchema } from './train/schema';
