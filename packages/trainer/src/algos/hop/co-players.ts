import { Rng, deriveSeed, type CounterRng } from '@hop/core';
import { Goal } from '@hop/env-staghunt';

/** Shares of hare-committed co-players a mixed environment's team is drawn with (all-stag, mixed, all-hare). */
export const HARE_SHARES = [0, 0.5, 1] as const;

/**
 * The training co-players of env `env` (global index) in its episode `episode` of a rollout seeded `seed`
 * (`--co-player-mix`): with probability `mix`, players 1..P-1 are goal-committed rule agents, each committed to
 * the hare with probability q (q drawn from `HARE_SHARES`), else to the stag; player 0 stays the learner.
 * Writes `out[off + p]` = the committed goal of player p (0 stag, 1 hare) or -1 (a planner). Depends on the
 * seed, the env's global index and the episode only, so any split of the environments over workers agrees.
 * Returns whether this environment plays with rule co-players.
 */
export function drawCoPlayers(seed: number, env: number, episode: number, mix: number, players: number, out: Int32Array, off: number): boolean {
  out.fill(-1, off, off + players);
  if (!(mix > 0)) return false;
  const rng = new Rng(deriveSeed(seed, 'co-player-mix', env, episode));
  if (!(rng.next() < mix)) return false;
  const q = HARE_SHARES[rng.int(HARE_SHARES.length)];
  for (let p = 1; p < players; p++) out[off + p] = rng.next() < q ? Goal.Hare : Goal.Stag;
  return true;
}

/** The key seed of a rollout's rule co-player decisions (once per rollout: `deriveSeed` hashes text). */
export function coPlayerStreamSeed(seed: number): number {
  return deriveSeed(seed, 'co-player');
}

/**
 * The draws of rule co-player p's decision at time t of env `env`'s (global index) episode `episode`: `cursor`
 * reset to the counter-based stream keyed (streamSeed, env, episode, t, p). No allocation; the same numbers in
 * any worker, whatever else it played.
 */
export function coPlayerDecision(cursor: CounterRng, streamSeed: number, env: number, episode: number, t: number, p: number): CounterRng {
  return cursor.reset(streamSeed, env, episode, t, p);
}

/** Which team an episode's rule co-players formed: all committed to the hare, all to the stag, or both. */
export function coPlayerTeam(goals: readonly number[]): 'hare' | 'stag' | 'mixed' {
  let hare = 0;
  let stag = 0;
  for (let p = 1; p < goals.length; p++) {
    if (goals[p] === Goal.Hare) hare++;
    else if (goals[p] === Goal.Stag) stag++;
  }
  return stag === 0 ? 'hare' : hare === 0 ? 'stag' : 'mixed';
}
