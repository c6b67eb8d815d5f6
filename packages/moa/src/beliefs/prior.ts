import { HopError } from '@hop/core';

/**
 * Inter-episode prior: per co-player, a discounted histogram of the goals it achieved in past episodes,
 *
 *   h <- alpha * h + (1 - alpha) * onehot(outcome)        (alpha = 0.995 by default)
 *
 * starting uniform (so every goal keeps some mass and the product with the intra-episode belief is never
 * zero everywhere). An episode in which the co-player achieved nothing (outcome < 0) leaves h unchanged:
 * it says nothing about which goal it prefers. h stays a distribution (each update is a convex mix).
 */
export class GoalPrior {
  readonly numCoPlayers: number;
  readonly numGoals: number;
  readonly alpha: number;
  /** `[M, G]`, each row sums to 1. */
  readonly histogram: Float64Array;
  /** `[M]` episodes with an outcome folded in so far. */
  readonly outcomes: Int32Array;

  constructor(numCoPlayers: number, numGoals: number, alpha = 0.995) {
    if (!(alpha >= 0 && alpha <= 1)) throw new HopError('E_BELIEF', `alpha must be in [0, 1], got ${alpha}`);
    if (!(Number.isInteger(numCoPlayers) && numCoPlayers >= 1 && Number.isInteger(numGoals) && numGoals >= 1))
      throw new HopError('E_BELIEF', `need at least one co-player and one goal, got ${numCoPlayers} x ${numGoals}`);
    this.numCoPlayers = numCoPlayers;
    this.numGoals = numGoals;
    this.alpha = alpha;
    this.histogram = new Float64Array(numCoPlayers * numGoals).fill(1 / numGoals);
    this.outcomes = new Int32Array(numCoPlayers);
  }

  /** Folds in one episode: `outcome[m]` is the goal co-player m achieved, or negative for none. */
  observe(outcome: ArrayLike<number>): void {
    const { numCoPlayers: mN, numGoals: g, alpha } = this;
    if (outcome.length !== mN) throw new HopError('E_SHAPE', `outcome has ${outcome.length} values, expected ${mN}`);
    for (let m = 0; m < mN; m++) {
      const o = outcome[m];
      if (!(o < 0 || (Number.isInteger(o) && o < g)))
        throw new HopError('E_BELIEF', `outcome[${m}] = ${o} is not a goal in [0, ${g}) (use -1 for none)`);
    }
    for (let m = 0; m < mN; m++) {
      const o = outcome[m];
      if (o < 0) continue;
      for (let k = 0; k < g; k++) this.histogram[m * g + k] = alpha * this.histogram[m * g + k] + (k === o ? 1 - alpha : 0);
      this.outcomes[m]++;
    }
  }

  /** `[M, G]` prior probabilities. */
  probs(out: Float32Array = new Float32Array(this.histogram.length)): Float32Array {
    for (let k = 0; k < out.length; k++) out[k] = this.histogram[k];
    return out;
  }
}

/**
 * The belief planners use: `b(g) ∝ prior(g) * intra(g)` over the available goals, per co-player.
 * Because the intra-episode belief starts uniform and multiplies in likelihoods, this equals starting the
 * episode's belief from the prior (the HOP paper's rule). If the product is 0 everywhere (the prior gave
 * no mass to any goal still possible) the intra-episode belief is used alone.
 */
export function combineBeliefs(
  prior: ArrayLike<number>,
  intra: ArrayLike<number>,
  numGoals: number,
  out: Float32Array = new Float32Array(intra.length),
): Float32Array {
  if (prior.length !== intra.length)
    throw new HopError('E_SHAPE', `prior has ${prior.length} values but the intra-episode belief ${intra.length}`);
  for (let o = 0; o < intra.length; o += numGoals) {
    let s = 0;
    for (let k = o; k < o + numGoals; k++) s += prior[k] * intra[k];
    for (let k = o; k < o + numGoals; k++) out[k] = s > 0 ? (prior[k] * intra[k]) / s : intra[k];
  }
  return out;
}
