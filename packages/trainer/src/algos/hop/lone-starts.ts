import { Rng, deriveSeed } from '@hop/core';
import type { StagHuntState } from '@hop/env-staghunt';

/**
 * `--lone-starts q`: which environment episodes start with one planner alone, and how. A lone start keeps one
 * player in play (drawn uniformly) and takes the others off the grid as if they had already hunted, and also
 * removes k of the hares (k uniform in 0..hares-1, so at least one is left). The lone planner then searches and
 * learns from its own decisions and returns, in positions like the ones an evaluation leaves it in (hare hunters
 * gone within a few steps, a far last hare) that self-play and the training co-players rarely reach.
 */
export interface LoneStart {
  /** The player kept in play. */
  keep: number;
  /** Indices (into the state's hare list) of the hares taken off. */
  removeHares: number[];
}

/**
 * The lone start of env `env`'s (global index) episode `episode` of a rollout seeded `seed`, or null: a draw with
 * probability q keyed by (seed, env, episode) only, so any split of the environments over workers agrees.
 */
export function drawLoneStart(seed: number, env: number, episode: number, q: number, players: number, hares: number): LoneStart | null {
  if (!(q > 0)) return null;
  const rng = new Rng(deriveSeed(seed, 'lone-start', env, episode));
  if (!(rng.next() < q)) return null;
  const keep = rng.int(players);
  const k = hares > 0 ? rng.int(hares) : 0;
  // a partial Fisher-Yates shuffle: the first k of a random permutation of the hares
  const order = Array.from({ length: hares }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(hares - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return { keep, removeHares: order.slice(0, k).sort((a, b) => a - b) };
}

/** The position `state` becomes under lone start `lone`: every other player done, the drawn hares gone. */
export function applyLoneStart(state: Required<StagHuntState>, lone: LoneStart): StagHuntState {
  const gone = new Set(lone.removeHares);
  return {
    ...state,
    players: state.players.map((cell, p) => (p === lone.keep ? cell : null)),
    hares: state.hares.filter((_, h) => !gone.has(h)),
  };
}
