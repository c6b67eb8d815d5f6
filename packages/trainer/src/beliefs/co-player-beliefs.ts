import { HopError } from '@hop/core';
import { GoalPrior, IntraEpisodeBelief, combineBeliefs } from '@hop/moa';

/**
 * Where the beliefs come from:
 * - `inferred` (HOP): the intra-episode Bayesian belief from the co-players' actions, times the
 *   inter-episode prior (discounted histogram of the goals each co-player achieved, spec section 4);
 * - `uniform` (diagnosis): no inference and no prior, uniform over the goals still available;
 * - `oracle` (diagnosis): one-hot on each co-player's true current goal, given by `setOracle`
 *   (uniform over the available goals for a co-player without one, e.g. a random agent).
 */
export type BeliefMode = 'inferred' | 'uniform' | 'oracle';

/**
 * The goal beliefs of every (environment, focal player) about its P - 1 co-players. The parts are
 * @hop/moa's `GoalBeliefTracker` parts: one `GoalPrior` per focal player (carried across episodes and
 * environments: what it learned about its co-players' habits) and one `IntraEpisodeBelief` per
 * (environment, focal player), combined by `combineBeliefs`. A tracker per context would give every
 * environment its own prior; the trainer wants one per focal player, hence the parts.
 */
export class CoPlayerBeliefs {
  readonly numAgents: number;
  readonly numEnvs: number;
  readonly numGoals: number;
  readonly mode: BeliefMode;
  /** Per focal player: prior over each co-player's goals `[P-1, G]`. */
  readonly priors: GoalPrior[];
  /** Per (env, focal): intra-episode belief about its co-players. */
  readonly intra: IntraEpisodeBelief[];
  /** Per (env, focal): `[P-1]` true current goal of each co-player (`oracle` mode), -1 unknown. */
  private readonly oracle: Int32Array;

  constructor(opts: { numAgents: number; numEnvs: number; numGoals: number; priorAlpha?: number; mode?: BeliefMode }) {
    const { numAgents: P, numEnvs: E, numGoals: G } = opts;
    this.numAgents = P;
    this.numEnvs = E;
    this.numGoals = G;
    this.mode = opts.mode ?? 'inferred';
    const alpha = opts.priorAlpha ?? 0.995;
    this.priors = Array.from({ length: P }, () => new GoalPrior(P - 1, G, alpha));
    this.intra = Array.from({ length: E * P }, () => new IntraEpisodeBelief(P - 1, G));
    this.oracle = new Int32Array(E * P * (P - 1)).fill(-1);
  }

  /** New episode in env k: every focal player's intra-episode belief uniform over `available` (`[P-1, G]`). */
  startEpisode(k: number, available: ArrayLike<number>): void {
    const P = this.numAgents;
    for (let i = 0; i < P; i++) this.intra[k * P + i].reset(available);
    this.oracle.fill(-1, k * P * (P - 1), (k + 1) * P * (P - 1));
  }

  /**
   * One step of focal i in env k: `likelihood[m, g] = p(a_m | s, t, g)` for the co-players `observed[m] = 1`.
   * Outside `inferred` mode only the availability is applied (the belief does not learn from actions).
   */
  update(i: number, k: number, likelihood: ArrayLike<number>, available: ArrayLike<number>, observed: ArrayLike<number>): void {
    const ctx = k * this.numAgents + i;
    if (this.mode === 'inferred') this.intra[ctx].update(likelihood, available, observed);
    else this.intra[ctx].update(new Float64Array(likelihood.length).fill(1), available, observed);
  }

  /** Folds per-focal outcomes `[P, P-1]` (the goal each co-player achieved, -1 none) into the priors (not in diagnosis modes). */
  foldPriors(outcomes: ArrayLike<number>): void {
    if (this.mode !== 'inferred') return;
    const P = this.numAgents;
    for (let i = 0; i < P; i++) this.priors[i].observe(Array.from({ length: P - 1 }, (_, m) => outcomes[i * (P - 1) + m]));
  }

  /** `oracle` mode: the true current goal of each of focal i's co-players in env k (`[P-1]`, -1 none). */
  setOracle(i: number, k: number, goals: ArrayLike<number>): void {
    const M = this.numAgents - 1;
    if (goals.length !== M) throw new HopError('E_SHAPE', `oracle goals have ${goals.length} entries, expected ${M}`);
    for (let m = 0; m < M; m++) this.oracle[(k * this.numAgents + i) * M + m] = goals[m];
  }

  /** `[P-1, G]` the belief focal i in env k plans with. */
  belief(i: number, k: number): Float32Array {
    const G = this.numGoals;
    const M = this.numAgents - 1;
    const ctx = k * this.numAgents + i;
    const intra = this.intra[ctx].probs();
    if (this.mode === 'inferred') return combineBeliefs(this.priors[i].histogram, intra, G);
    if (this.mode === 'uniform') return intra;
    // Oracle: the true goal when it is still available, else what availability leaves.
    for (let m = 0; m < M; m++) {
      const g = this.oracle[ctx * M + m];
      if (g < 0 || g >= G || !(intra[m * G + g] > 0)) continue;
      intra.fill(0, m * G, (m + 1) * G);
      intra[m * G + g] = 1;
    }
    return intra;
  }
}
