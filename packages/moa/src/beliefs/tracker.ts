import { z } from 'zod';
import { HopError, sampleGoalOrders, type Rng } from '@hop/core';
import { IntraEpisodeBelief } from './intra';
import { GoalPrior, combineBeliefs } from './prior';
import { sampleGoalOrderings } from './sampling';

/** The saved state of a tracker (JSON): prior histogram and the current episode's belief. */
export const BeliefStateSchema = z
  .object({
    format: z.literal('hop-goal-beliefs'),
    version: z.literal(1),
    numCoPlayers: z.number().int().positive(),
    numGoals: z.number().int().positive(),
    alpha: z.number().min(0).max(1),
    histogram: z.array(z.number().nonnegative()),
    outcomes: z.array(z.number().int().nonnegative()),
    /** Intra-episode log-beliefs (exact), null for probability 0. */
    logBelief: z.array(z.number().nullable()),
    available: z.array(z.union([z.literal(0), z.literal(1)])),
  })
  .strict();

export type BeliefState = z.infer<typeof BeliefStateSchema>;

/**
 * Goal beliefs of one observer about `M` co-players across episodes: the inter-episode prior (discounted
 * histogram of achieved goals) and the intra-episode Bayesian belief, combined as
 * `b(g) ∝ prior(g) * intra(g)` over available goals (see `combineBeliefs`). Save with `toJSON()`.
 */
export class GoalBeliefTracker {
  readonly prior: GoalPrior;
  readonly intra: IntraEpisodeBelief;

  constructor(numCoPlayers: number, numGoals: number, alpha = 0.995) {
    this.prior = new GoalPrior(numCoPlayers, numGoals, alpha);
    this.intra = new IntraEpisodeBelief(numCoPlayers, numGoals);
  }

  get numCoPlayers(): number {
    return this.intra.numCoPlayers;
  }

  get numGoals(): number {
    return this.intra.numGoals;
  }

  /** New episode: intra-episode belief back to uniform over the available goals; the prior is kept. */
  startEpisode(available?: ArrayLike<number>): void {
    this.intra.reset(available);
  }

  /** See `IntraEpisodeBelief.update`. */
  observe(likelihood: ArrayLike<number>, available?: ArrayLike<number>, observed?: ArrayLike<number>): void {
    this.intra.update(likelihood, available, observed);
  }

  /** See `IntraEpisodeBelief.updateFromProbs` (takes `probsForGoals` output `[M, G, A]`). */
  observeActions(probs: ArrayLike<number>, numActions: number, actions: ArrayLike<number>, available?: ArrayLike<number>): void {
    this.intra.updateFromProbs(probs, numActions, actions, available);
  }

  /** End of episode: fold each co-player's achieved goal (negative: none) into the prior. */
  endEpisode(outcome: ArrayLike<number>): void {
    this.prior.observe(outcome);
  }

  /**
   * `[M, G]` combined belief (what planners sample goals from), one row per co-player: for an observer
   * `focal`, co-player m is agent `coPlayerAgent(focal, m)`.
   */
  belief(out?: Float32Array): Float32Array {
    return combineBeliefs(this.prior.histogram, this.intra.probs(), this.numGoals, out);
  }

  /**
   * Goal orderings drawn from the combined belief for a planner: `[numTrees, M + 1, G]`, one row per agent
   * with the observer's (`focal`) row -1 — one decision of @hop/mcts' `SearchInput.goalOrders` (see
   * `sampleGoalOrders` of @hop/core, the one function behind every goal ordering).
   */
  sampleGoalOrders(rng: Rng, opts: { focal: number; numTrees: number; out?: Int32Array; outOffset?: number }): Int32Array {
    return sampleGoalOrders(this.belief(), { ...opts, numGoals: this.numGoals, rng });
  }

  /**
   * @deprecated use `sampleGoalOrders(rng, { focal, numTrees, out, outOffset })`; removed in
   * 0.2.0. Without `layout.focal` it returns the old co-player layout `[numTrees, M, G]`.
   */
  sampleOrderings(rng: Rng, numTrees: number, out?: Int32Array, layout?: { focal?: number; outOffset?: number }): Int32Array {
    return sampleGoalOrderings(this.belief(), this.numCoPlayers, this.numGoals, numTrees, rng, out, layout);
  }

  toJSON(): BeliefState {
    return {
      format: 'hop-goal-beliefs',
      version: 1,
      numCoPlayers: this.numCoPlayers,
      numGoals: this.numGoals,
      alpha: this.prior.alpha,
      histogram: [...this.prior.histogram],
      outcomes: [...this.prior.outcomes],
      logBelief: Array.from(this.intra.logBelief, (l) => (l === -Infinity ? null : l)),
      available: Array.from(this.intra.available, (a) => (a ? 1 : 0)),
    };
  }

  static fromJSON(json: unknown): GoalBeliefTracker {
    const r = BeliefStateSchema.safeParse(json);
    if (!r.success)
      throw new HopError('E_BELIEF', `not a saved belief state: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const s = r.data;
    const mg = s.numCoPlayers * s.numGoals;
    for (const [name, len] of [['histogram', s.histogram.length], ['logBelief', s.logBelief.length], ['available', s.available.length]] as const)
      if (len !== mg) throw new HopError('E_BELIEF', `saved belief state: ${name} has ${len} values, expected ${mg}`);
    if (s.outcomes.length !== s.numCoPlayers)
      throw new HopError('E_BELIEF', `saved belief state: outcomes has ${s.outcomes.length} values, expected ${s.numCoPlayers}`);
    const t = new GoalBeliefTracker(s.numCoPlayers, s.numGoals, s.alpha);
    t.prior.histogram.set(s.histogram);
    t.prior.outcomes.set(s.outcomes);
    t.intra.available.set(s.available);
    s.logBelief.forEach((l, k) => (t.intra.logBelief[k] = l ?? -Infinity));
    return t;
  }
}
