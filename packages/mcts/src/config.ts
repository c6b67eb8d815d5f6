import { z } from 'zod';
import { HopError } from '@hop/core/base';

/**
 * Every knob of the planner in one validated record (CleanRL style): the defaults below are HOP's
 * reference settings (docs/search.md).
 */
const MctsConfigObject = z
  .object({
    /**
     * Simulations per tree per decision. As in the reference's AlphaZero loop the root's own evaluation is the
     * first simulation: a fresh root ends with numSimulations visits, its children with numSimulations - 1
     * (a reused root, already evaluated, gets numSimulations more).
     */
    numSimulations: z.number().int().min(1).default(200),
    /** Trees per decision, each with its own sampled goal orderings for the co-players. */
    numTrees: z.number().int().min(1).default(5),
    /** Root and interior selection: HOP's PUCT everywhere, or Gumbel-MuZero (sequential halving at the root). */
    search: z.enum(['puct', 'gumbel']).default('puct'),
    /** Exploration constant `c` of `Q + c * sqrt(N) * P / (1 + n)`. */
    cPuct: z.number().min(0).default(1),
    /** Discount of the backup `v <- r + gamma * v`. */
    gamma: z.number().min(0).max(1).default(0.95),
    /**
     * How Q is read from an edge's value sum W and visits n: `reference` is HOP's `W / (1 + n)` (0 when
     * unvisited); `mean` is `W / n` (0 when unvisited). Gumbel search always uses `mean`.
     */
    qEstimate: z.enum(['reference', 'mean']).default('reference'),
    /** Normalise Q into [0, 1] with the min / max Q estimate seen in the tree before PUCT scoring (MuZero). */
    minMaxNormalize: z.boolean().default(false),
    /**
     * PUCT decision: `softmaxQ` is HOP's `softmax(beta * Q_avg)` over valid actions (Q averaged over the
     * decision's trees); `visits` is `N^(1 / temperature)` normalised, N summed over trees.
     */
    decision: z.enum(['softmaxQ', 'visits']).default('softmaxQ'),
    beta: z.number().min(0).default(2),
    /** Temperature of the visit-count policy; 0 means one-hot on the most visited action. */
    temperature: z.number().min(0).default(1),
    /**
     * Argmax the decision policy (evaluation) instead of sampling it (training). The default samples, so
     * evaluation must ask for greedy (here or per call with `plan({ ..., greedy: true })`).
     */
    greedy: z.boolean().default(false),
    /** Dirichlet noise mixed into the root priors: `(1 - fraction) * P + fraction * Dir(alpha)`; 0 = off. */
    dirichletFraction: z.number().min(0).max(1).default(0),
    dirichletAlpha: z.number().positive().default(0.3),
    /** Gumbel-MuZero root: actions sampled without replacement (top-k of gumbel + logits). */
    gumbelMaxConsideredActions: z.number().int().min(1).default(16),
    /** Scale of the root Gumbel noise; 0 for a deterministic search. */
    gumbelScale: z.number().min(0).default(1),
    /** sigma(q) = (gumbelMaxVisitInit + max n) * gumbelValueScale * q (Danihelka et al. 2022). */
    gumbelValueScale: z.number().positive().default(0.1),
    gumbelMaxVisitInit: z.number().min(0).default(50),
    /**
     * Evaluation cache keyed by the simulator's state hash (checked against the full state, so a hash
     * collision cannot change results): equal states reached by different paths or trees are evaluated once.
     */
    cache: z.boolean().default(true),
    /**
     * Co-player model outputs depend on who is modelling whom (per-pair `player_i_to_j` models): the cache
     * key then includes the focal agent. Set false when one shared co-player model serves every focal agent.
     */
    coPlayerModelPerFocal: z.boolean().default(true),
    /**
     * Goal-conditioned evaluator: every evaluator row also carries, in `owners.coGoals`, the goal each agent
     * pursues in the row's tree at that node (the first available goal of its ordering; -1 for the focal
     * agent, a done agent or none left), so a value / prior conditioned on co-player goals sees the goals the
     * tree sampled. The evaluator cache key then includes those goals. Off, `owners.coGoals` is absent.
     */
    evaluatorCoPlayerGoals: z.boolean().default(false),
    /**
     * Keep the subtree under the new root between consecutive decisions (PUCT only). A tree is kept only when
     * its co-players' goal orderings are the same as in the previous call (its nodes hold co-player actions
     * sampled for those goals) and a child of its root holds exactly the new root state.
     */
    reuseSubtree: z.boolean().default(false),
    /**
     * Nodes per tree. Default: numSimulations, doubled with subtree reuse. A reused subtree that would not
     * leave room for numSimulations new nodes is dropped.
     */
    maxNodes: z.number().int().min(2).optional(),
    /**
     * Model outputs the search would otherwise repair are errors (`E_MODEL_OUTPUT`): a co-player row with no
     * probability on its valid actions, or a negative / infinite one; a model output longer than its batch.
     * Off, such a co-player plays uniformly over its valid actions, counted in `counts.coPlayerFallbackRows`
     * and warned about once per planner.
     */
    strict: z.boolean().default(false),
    /** A state where the focal agent is done ends its tree (it collects no further reward). */
    focalDoneIsTerminal: z.boolean().default(true),
    compat: z
      .object({
        /**
         * Reproduce the reference bug: a terminal leaf is valued at its entering reward, which the backup then
         * adds again (`r + gamma * r`), pulling simulations onto terminal (hunt) actions.
         */
        doubleCountTerminalReward: z.boolean().default(false),
      })
      .default({ doubleCountTerminalReward: false }),
  })
  .strict();

/**
 * `treeNum` is the old name of `numTrees` (one name for it across @hop/moa and @hop/mcts): still accepted
 * on input, and mirrored on the parsed config, until 0.2.0.
 */
function renameTreeNum(input: unknown, ctx: z.RefinementCtx): unknown {
  if (input === null || typeof input !== 'object' || !('treeNum' in input)) return input;
  const { treeNum, ...rest } = input as { treeNum: unknown; numTrees?: unknown };
  if (rest.numTrees !== undefined && rest.numTrees !== treeNum) {
    ctx.addIssue({ code: 'custom', path: ['treeNum'], message: `treeNum (${String(treeNum)}) is the old name of numTrees (${String(rest.numTrees)}); give only numTrees` });
    return rest;
  }
  return { ...rest, numTrees: treeNum };
}

export const MctsConfigSchema = z
  .preprocess(renameTreeNum, MctsConfigObject)
  .refine((c) => !(c.reuseSubtree && c.search === 'gumbel'), {
    message: 'reuseSubtree is not supported with search "gumbel" (sequential halving needs a fresh root)',
    path: ['reuseSubtree'],
  });

export type MctsConfig = z.output<typeof MctsConfigObject> & {
  /** @deprecated the old name of `numTrees`; removed in 0.2.0. */
  readonly treeNum: number;
};
export type MctsConfigInput = z.input<typeof MctsConfigObject> & {
  /** @deprecated the old name of `numTrees`; removed in 0.2.0. */
  treeNum?: number;
};

/** Validates a partial config and fills the defaults; a bad field raises HopError E_CONFIG naming it. */
export function mctsConfig(input: MctsConfigInput = {}): MctsConfig {
  const r = MctsConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new HopError('E_CONFIG', `invalid @hop/mcts config: ${issues}`);
  }
  const c = r.data;
  return Object.defineProperty({ ...c }, 'treeNum', { get: () => c.numTrees, enumerable: false }) as MctsConfig;
}

/** Nodes per tree the arena needs for a config. */
export function nodesPerTree(c: MctsConfig): number {
  if (c.maxNodes !== undefined) {
    if (c.maxNodes < c.numSimulations)
      throw new HopError(
        'E_CONFIG',
        `maxNodes ${c.maxNodes} cannot hold ${c.numSimulations} simulations; use at least numSimulations`,
      );
    return c.maxNodes;
  }
  return c.reuseSubtree ? 2 * c.numSimulations : c.numSimulations;
}
