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

// Training (`hop train`): the algorithm contract and registry, the run lifecycle, the shared pieces
export { ALGORITHMS, algorithm } from './algos/registry';
export type { Algorithm, Controller, ResumeOverrides, TrainResume } from './algos/types';
export type { RunOptions, RunResult, RunStatus } from './run/lifecycle';
export { HopTeam, emptyTally, type HopTeamOptions, type InferenceTally, type RootEncoder } from './team/team';
export { discreteGoals, latentGoals, type GoalSetup } from './team/goals';
export type { PlanningSpec } from './planning/open';
export type { PlanningSetup } from './planning/setup';

// hop, hop-wm, direct-om: the HOP agent and the planning self-play loop (algos/hop/)
export { HopAgent, type HopAgentOptions } from './algos/hop/agent';
export { runRollout, type RolloutSpec, type RolloutResult, type RolloutSamples, type EpisodeSummary } from './algos/hop/rollout';
export { PolicyLearner, type LearnerBatch, type LearnerReport, type LearnerSettings } from './algos/hop/learner';
export { warmStartBatch } from './algos/hop/warm-start';
export { SelfPlayConfigSchema, BUDGET_PRESETS, type SelfPlayConfig } from './algos/hop/settings';
export { trainSelfPlay, resumeSelfPlay, type HopVariant, type HopRunConfig } from './algos/hop/loop';
export { hopFamily } from './algos/hop/family';
export { envSlices } from './algos/hop/runner';

// PPO and what builds on it (`hop train --algo ppo | hop-onestep`)
export { PPOConfigSchema, PPO_PRESETS, type PPOConfig } from './algos/ppo/config';
export { HopOneStepConfigSchema, type HopOneStepConfig } from './algos/hop-onestep/config';
export type { MaskedVecEnv, EpisodeExtras } from './algos/ppo/env';
export { buildPPONetwork, orthogonalInit, type PPONetworkSpec } from './algos/ppo/network';
export { PPOPolicies, type ActInput, type ActOutput } from './algos/ppo/policies';
export { PPOLearner, explainedVariance, type PPOSettings, type PPOUpdateReport } from './algos/ppo/learner';
export { allocateBatch, collectRollout, gae, type PPOBatch, type PPOEpisode, type CollectResult, type Conditioner, type StepObserver } from './algos/ppo/rollout';
export { trainPPO, resumePPO, ppoResumeConfig, ppoIterations, type PPOExtension, type PPOExtensionFactory, type PPOLoopConfig } from './algos/ppo/loop';

// Evaluation, comparison and experiment grids (`hop eval | compare | experiment`)
export { ruleSource, runSource, type AgentSource } from './eval/controllers';
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
export { sourceOf, type EvalTask, type EvalTaskResult, type SourceSpec } from './eval/task';
export { default as evalTask } from './eval/worker';
export { buildTables, meanStd, tablesCsv, type EvalRow, type EvalTables } from './eval/tables';
export { EvalConfigSchema, type EvalConfig } from './eval/schema';
export { evaluateRuns, writeEvaluation, runEvalCommand, evaluationSettings, defaultEvalWorkers, type EvaluationResult, type EvaluationSettings } from './eval/command';
export { writeComparison, type CompareOptions } from './compare/command';
export { ExperimentSchema, type Experiment } from './experiment/schema';
export { experimentCells, runExperimentCommand, type Cell } from './experiment/command';
export { cellStatus } from './experiment/status';
export { runTrainCommand, trainConfigOf, type TrainCommandInput } from './train/command';
export { TrainCliSchema } from './train/schema';
