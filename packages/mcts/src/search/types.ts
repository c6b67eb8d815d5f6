import type { Rng } from '@hop/core/base';
import type { SearchCounts, SearchTiming } from '../types';
import type { ActionSelector } from './context';

/**
 * The action selectors of a policy (mctx's root / interior action selection functions): what selection
 * reads of a `SearchVariant`, kept apart from the engine so that the phases need not import it.
 */
export interface SearchSelectors {
  root: ActionSelector;
  interior: ActionSelector;
}

/** The state of one search call that policies read to build their decision. */
export interface SearchRun {
  numDecisions: number;
  numTrees: number;
  /** `[D]` decision streams (root Gumbel noise, the final draw). */
  decisionRngs: Rng[];
  /** `[B]` tree streams (co-player actions, Dirichlet noise). */
  treeRngs: Rng[];
  /** `[B]` sum / count of simulation leaf depths. */
  leafDepthSum: Float64Array;
  leafCount: Int32Array;
  /** `[B]` deepest node. */
  maxDepth: Int32Array;
  timing: SearchTiming;
  counts: SearchCounts;
}
