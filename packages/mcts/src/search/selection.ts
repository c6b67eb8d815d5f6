import { HopError } from '@hop/core/base';
import type { ActionSelector, SelectionContext } from './context';
import { completedQ, edgeQ } from './qvalues';

/**
 * HOP's PUCT: `argmax_a Q(s,a) + c * sqrt(N(s)) * P(s,a) / (1 + n(s,a))` over valid actions, where N(s)
 * counts the node's own expansion, Q is the config's estimate (optionally min-max normalised with the
 * tree's Q bounds; unvisited actions score Q = 0, as in MuZero). Ties go to the lowest action index.
 */
export const puctSelect: ActionSelector = (ctx, b, g) => {
  const { arena, config } = ctx;
  const A = arena.numActions;
  const off = g * A;
  const mean = config.qEstimate === 'mean';
  const sqrtN = Math.sqrt(arena.visits[g]);
  const lo = arena.minQ[b];
  const span = arena.maxQ[b] - lo;
  const normalise = config.minMaxNormalize && span > 0;
  let best = -Infinity;
  let bestA = -1;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    const n = arena.childVisits(b, g, a);
    let q = edgeQ(arena, b, g, a, mean);
    if (normalise && n > 0) q = (q - lo) / span;
    const score = q + (config.cPuct * sqrtN * arena.prior[off + a]) / (1 + n);
    if (score > best) {
      best = score;
      bestA = a;
    }
  }
  return checked(bestA, b, g);
};

/**
 * Gumbel-MuZero root: Sequential Halving over the actions with the largest `gumbel + logits`; among the
 * actions whose visit count equals the scheduled one, the highest `gumbel + logits + sigma(completed Q)`.
 */
export const gumbelRootSelect: ActionSelector = (ctx, b, g) => {
  const { arena, config } = ctx;
  const A = arena.numActions;
  const off = g * A;
  const q = ctx.scratchA;
  completedQ(arena, b, g, config.gumbelValueScale, config.gumbelMaxVisitInit, q);
  const schedule = ctx.considerTable[ctx.numConsidered[b]];
  const considered = schedule[Math.min(ctx.simIndex, schedule.length - 1)];
  let best = -Infinity;
  let bestA = -1;
  let fallback = -1;
  let fallbackScore = -Infinity;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    // mctx clamps at -1e9 so that a tiny prior cannot make a considered action unselectable
    const score = Math.max(-1e9, ctx.gumbel[b * A + a] + arena.logits[off + a] + q[a]);
    if (arena.childVisits(b, g, a) === considered) {
      if (score > best) {
        best = score;
        bestA = a;
      }
    } else if (score > fallbackScore) {
      fallbackScore = score;
      fallback = a;
    }
  }
  return checked(bestA >= 0 ? bestA : fallback, b, g);
};

/**
 * Gumbel-MuZero interior: the deterministic choice whose visit frequencies track
 * `pi' = softmax(logits + sigma(completed Q))`: `argmax_a pi'(a) - n(a) / (1 + sum n)`.
 */
export const gumbelInteriorSelect: ActionSelector = (ctx, b, g) => {
  const { arena, config } = ctx;
  const A = arena.numActions;
  const off = g * A;
  const q = ctx.scratchA;
  const p = ctx.scratchB;
  completedQ(arena, b, g, config.gumbelValueScale, config.gumbelMaxVisitInit, q);
  let hi = -Infinity;
  let sumN = 0;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    p[a] = arena.logits[off + a] + q[a];
    if (p[a] > hi) hi = p[a];
    sumN += arena.childVisits(b, g, a);
  }
  let z = 0;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    p[a] = Math.exp(p[a] - hi);
    z += p[a];
  }
  let best = -Infinity;
  let bestA = -1;
  for (let a = 0; a < A; a++) {
    if (!arena.legal[off + a]) continue;
    const score = p[a] / z - arena.childVisits(b, g, a) / (1 + sumN);
    if (score > best) {
      best = score;
      bestA = a;
    }
  }
  return checked(bestA, b, g);
};

function checked(a: number, b: number, g: number): number {
  if (a < 0)
    throw new HopError(
      'E_NO_VALID_ACTION',
      `tree ${b} node ${g}: the focal agent has no valid action in a non-terminal state; the simulator's ` +
        'legalActions must mark at least the no-op valid',
    );
  return a;
}

export type { SelectionContext };
