// Config and presets
export {
  StagHuntConfigSchema,
  presets,
  presetNames,
  resolveConfig,
  gridShape,
  flatObservationSize,
  Action,
  ACTION_NAMES,
  NUM_ACTIONS,
  Goal,
  MAX_PLAYERS,
  MAX_SIDE,
  type StagHuntConfig,
  type StagHuntConfigInput,
  type PresetName,
} from './config';

// The rules core (state records shared by every face)
export { makeGeometry, type Geometry } from './core/geometry';
export {
  stepState,
  writeMask,
  isTerminal,
  makeRuleScratch,
  makeStepOutputs,
  writeCatchRewards,
  stagHuntRewards,
  type RewardParams,
  type StepOutputs,
  type RuleScratch,
} from './core/rules';
export { writeGrid, writeFlat } from './core/observe';
export { stateProblems, type StagHuntState, type Cell } from './core/state';

// Environments
export { VecStagHunt, type VecStagHuntOptions, type ObservationMode } from './env/vec';
export { StagHuntEnv, type StagHuntEnvOptions, type StagHuntInfo } from './env/parallel';
export { episodeSeed, agentSeed } from './env/seeds';
export type { EpisodeStats } from './env/stats';

// Simulator for planners
export { StagHuntSimulator, createStagHuntSimulator } from './sim/simulator';

// Rule-based agents
export {
  PopulationAgent,
  RandomAgent,
  NearestStagAgent,
  NearestHareAgent,
  SwitchingAgent,
  MixedAgent,
  createPopulationAgents,
} from './agents/agents';
export { BatchedPopulation } from './agents/batched';
export {
  BatchedCommitted,
  committedAction,
  committedParams,
  COMMITTED_DEFAULTS,
  TRAINING_CO_PLAYERS,
  type CommittedParams,
  type TrainingCoPlayer,
} from './agents/committed';
export {
  POPULATIONS,
  resolvePopulation,
  type PopulationName,
  type PopulationSpec,
  type PopulationInput,
  type ResolvedPopulation,
} from './agents/population';
export { ObservationDecoder } from './agents/decode';
export { GoalTargets, GOAL_TARGET_FEATURES } from './agents/goal-targets';
export {
  AGENT_KINDS,
  DEFAULT_SWITCHING,
  makeDecisionContext,
  ruleActionProbs,
  STAG_WAITS,
  type DecisionContext,
  type AgentKind,
  type RuleParams,
  type StagWait,
  type SwitchingParams,
} from './agents/decide';
export { computeDistances, UNREACHABLE } from './agents/paths';

// Rendering
export { renderAscii, asciiGrid, parseAsciiState, type ParseStateOptions } from './render/ascii';
export { renderSvg, legendHtml, PLAYER_COLORS, type SvgFrameOptions } from './render/svg';
export { recordEpisode, replayHtml, svgFrames, asciiFrames, type EpisodeRecord, type DecisionRecord, type ReplayPageOptions } from './render/replay';

// Offline data
export { collect, type CollectOptions, type CollectProgress, type CollectResult } from './data/collect';
export {
  openDataset,
  StagHuntDataset,
  type DatasetBatch,
  type SplitOptions,
  type ShuffledBatchesOptions,
} from './data/dataset';
export {
  COLUMN_NAMES,
  COLUMN_SPECS,
  type ColumnSpec,
  REQUIRED_COLUMNS,
  explorationOf,
  type DatasetExploration,
  DATASET_FORMAT,
  DATASET_VERSION,
  type ColumnArrays,
  type ColumnName,
  type DatasetMeta,
  type ColumnMeta,
} from './data/columns';
