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

/**
 * Whether env `env`'s (global index) episode `episode` hands a planner left alone in play to the hare rule
 * (`--lone-continuation p`): a draw with probability p keyed by (seed, env, episode) only, as `drawCoPlayers`.
 */
export function drawLoneContinuation(seed: number, env: number, episode: number, p: number): boolean {
  if (!(p > 0)) return false;
  if (p >= 1) return true;
  return new Rng(deriveSeed(seed, 'lone-continuation', env, episode)).next() < p;
}

/** The key seed of a rollout's lone-continuation decisions (apart from the co-players' stream). */
export function loneStreamSeed(seed: number): number {
  return deriveSeed(seed, 'lone-continuation-moves');
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

/**
 * Per-row loss weights of a rollout's samples (`--co-player-weight`): `weight` for the rows of environment
 * episodes played with rule co-players (their rows carry `learn` 0), 1 elsewhere. At `--co-player-mix f` only
 * player 0 learns in those episodes, so they are 1 / (1 + P (1 - f) / f) of the learner's rows (20% at f = 0.5,
 * P = 4); a weight of P gives each environment the same say whatever plays in it.
 */
export function coPlayerRowWeights(
  s: { count: number; env: ArrayLike<number>; episode: ArrayLike<number>; learn: ArrayLike<number> },
  weight: number,
): Float32Array {
  const ruled = new Set<string>();
  for (let k = 0; k < s.count; k++) if (!s.learn[k]) ruled.add(`${s.env[k]}|${s.episode[k]}`);
  const out = new Float32Array(s.count);
  for (let k = 0; k < s.count; k++) out[k] = ruled.has(`${s.env[k]}|${s.episode[k]}`) ? weight : 1;
  return out;
}
