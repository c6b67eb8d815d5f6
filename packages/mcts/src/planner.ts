import { HopError } from '@hop/core/base';
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
  private busy = false;

  constructor(opts: HopPlannerOptions) {
    this.config = mctsConfig(opts.config ?? {});
    this.engine = new SearchEngine(opts, this.config);
  }

  /** Searches one batch of decisions. One call at a time per planner (the trees live in its arena). */
  async plan(input: SearchInput): Promise<SearchOutput> {
    if (this.busy)
      throw new HopError('E_BUSY', 'HopPlanner.plan called while a search is running; await it or use a second planner');
    this.busy = true;
    try {
      return await (this.config.search === 'gumbel' ? gumbelPolicy(this.engine, input) : puctPolicy(this.engine, input));
    } finally {
      this.busy = false;
    }
  }
}
