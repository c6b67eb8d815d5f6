import type {
  CoPlayerModelOutput,
  EvaluatorOutput,
  GoalBatch,
  MaybePromise,
  ObservationBatch,
} from '@hop/core/base';

/** Which agent each row of a model batch belongs to, so callers can route rows to per-agent networks. */
export interface RowOwners {
  /** `[batch]` focal agent of the tree the row comes from. */
  focal: Int32Array;
  /** `[batch]` agent whose observation the row holds (the focal agent for the evaluator). */
  agent: Int32Array;
  /**
   * `[batch, numAgents]` evaluator rows only, with `evaluatorCoPlayerGoals`: the goal each agent pursues in
   * the row's tree at the row's node (-1: the focal agent, a done agent, or no goal left). Absent otherwise.
   */
  coGoals?: Int32Array;
}

/**
 * The planning agent's policy / value network, batched over all trees. The core `Evaluator` type fits;
 * the optional second argument names the focal agent of every row.
 */
export type SearchEvaluator = (input: ObservationBatch, owners: RowOwners) => MaybePromise<EvaluatorOutput>;

/**
 * Goal-conditioned co-player model `pi(a | o_j, t, g)`, batched over all co-players of all new nodes.
 * The core `CoPlayerModel` type fits; `owners.focal` / `owners.agent` say "from focal's view, predict agent"
 * (the reference's per-pair `player_i_to_j` models).
 */
export type SearchCoPlayerModel = (input: GoalBatch, owners: RowOwners) => MaybePromise<CoPlayerModelOutput>;

/** One batch of decisions. `D` decisions, each searched with `numTrees` trees. */
export interface SearchInput {
  /** The caller's state arena (`stateWords` int32 per slot). */
  states: Int32Array;
  /** `[D]` slot of each decision's root state in `states`. */
  slots: Int32Array;
  /** `[D]` the deciding (focal) agent; the other agents are co-players. */
  focal: Int32Array;
  /**
   * `[D, numTrees, numAgents, numGoals]` goal ordering of every agent in every tree (the focal agent's row
   * is ignored), sampled by the caller from its beliefs (see `sampleGoalOrders`). A co-player pursues the
   * first goal of its ordering that is still available; `-1` ends an ordering early. With no goal left
   * it plays uniformly over its valid actions ("none").
   */
  goalOrders: Int32Array;
  /** `[D]` seed of each decision: trees and the decision draw from streams derived from it. */
  seeds: ArrayLike<number>;
  /**
   * How this call decides (overrides the config's `greedy`): `false` samples the decision distribution
   * (training: exploration, and the policy target is what was sampled from), `true` takes its argmax
   * (evaluation: the best move every time). With the default `greedy: false` a trivial position's best move
   * is still missed now and then, so pass `greedy: true` when you measure play.
   */
  greedy?: boolean;
}

/** Wall-clock milliseconds spent in each phase of a search call. */
export interface SearchTiming {
  select: number;
  /** Evaluator and co-player model calls (awaited together). */
  models: number;
  /** Simulator step and state views (observe, legal actions, hash, ...). */
  simulator: number;
  /** Expansion and backup. */
  backup: number;
  /** Cache look-ups, batch assembly, root set-up and the decision. */
  bookkeeping: number;
  total: number;
}

export interface SearchCounts {
  /** Simulation steps run (lock-step: each advances every active tree by one simulation). */
  simulationSteps: number;
  evaluatorCalls: number;
  coPlayerCalls: number;
  simulatorSteps: number;
  /** Rows sent to the evaluator / co-player model. */
  evaluatorRows: number;
  coPlayerRows: number;
  /** Rows the cache answered instead (includes duplicates inside one batch). */
  evaluatorCacheHits: number;
  coPlayerCacheHits: number;
  /** Trees whose subtree was reused from the previous decision. */
  reusedTrees: number;
  /**
   * Co-player model rows that put no probability on their valid actions (wrong action order, wrong mask,
   * all zero or negative): that co-player played uniformly over its valid actions there. Always 0 with the
   * config's `strict: true`, which makes such a row an `E_MODEL_OUTPUT` error instead.
   */
  coPlayerFallbackRows: number;
}

/** Everything a decision batch returns. Arrays are fresh (the caller may keep them). */
export interface SearchOutput {
  numDecisions: number;
  numTrees: number;
  /** @deprecated the old name of `numTrees`; removed in 0.2.0. */
  treeNum: number;
  numActions: number;
  /** `[D]` chosen action. */
  action: Int32Array;
  /** `[D, A]` policy target (the decision distribution). */
  policy: Float32Array;
  /** `[D, A]` root Q averaged over trees (the config's Q estimate). */
  rootQ: Float32Array;
  /** `[D, numTrees, A]` root Q of each tree. */
  rootQPerTree: Float32Array;
  /** `[D, numTrees, A]` root child visits of each tree. */
  visitsPerTree: Int32Array;
  /** `[D, A]` root child visits summed over trees. */
  visits: Int32Array;
  /** `[D, A]` 1 where the action was valid at the root. */
  validActions: Uint8Array;
  /** `[D]` deepest node of any tree of the decision (root = 0). */
  maxDepth: Int32Array;
  /** `[D]` mean depth at which simulations ended (their leaf). */
  meanLeafDepth: Float32Array;
  /** `[D, numTrees]` nodes in each tree. */
  treeSizes: Int32Array;
  timing: SearchTiming;
  counts: SearchCounts;
}
