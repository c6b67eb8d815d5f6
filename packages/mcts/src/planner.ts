import { mctsConfig } from './config';
import type { MctsConfig, MctsConfigInput } from './config';
import { gumbelPolicy } from './policy/gumbel';
import { puctPolicy } from './policy/puct';
import { SearchEngine } from './search/engine';
import type { SearchEngineOptions } from './search/engine';
import type { SearchInput, SearchOutput } from './types';

export interface HopPlannerOptions extends SearchEngineOptions {
  config?: MctsConfigInput;
}

/**
 * The planner an agent holds: one search engine (trees, buffers, cache, subtree reuse between calls) and
 * the policy the config names. `plan` searches a batch of decisions; all their trees advance in lock-step.
 */
export class HopPlanner {
  readonly config: MctsConfig;
  readonly engine: SearchEngine;

  constructor(opts: HopPlannerOptions) {
    this.config = mctsConfig(opts.config ?? {});
    this.engine = new SearchEngine(opts, this.config);
  }

  plan(input: SearchInput): Promise<SearchOutput> {
    return this.config.search === 'gumbel' ? gumbelPolicy(this.engine, input) : puctPolicy(this.engine, input);
  }
}
