export { MctsConfigSchema, mctsConfig, nodesPerTree, type MctsConfig, type MctsConfigInput } from './config';
export type {
  RowOwners,
  SearchCoPlayerModel,
  SearchCounts,
  SearchEvaluator,
  SearchInput,
  SearchOutput,
  SearchTiming,
} from './types';
export { TreeArena } from './tree/arena';
export { SearchEngine, type SearchEngineOptions, type SearchVariant } from './search/engine';
export type { SearchRun } from './search/types';
export type { ActionSelector, SelectionContext } from './search/context';
export { puctSelect, gumbelRootSelect, gumbelInteriorSelect } from './search/selection';
export { completedQ, edgeQ } from './search/qvalues';
export { consideredVisitSequence, consideredVisitTable } from './search/seqHalving';
export { puctPolicy } from './policy/puct';
export { gumbelPolicy } from './policy/gumbel';
export { HopPlanner, type HopPlannerOptions } from './planner';
export { sampleGoalOrders } from './goals';
