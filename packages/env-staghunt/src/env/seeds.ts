import { deriveSeed } from '@hop/core/base';

/**
 * Seed of episode `episode` of environment `env` under base seed `seed`. `VecStagHunt` env k and a
 * `StagHuntEnv` with `stream: k` draw the same layouts from it, which is what makes them comparable.
 */
export function episodeSeed(seed: number, env: number, episode: number): number {
  return deriveSeed(seed, 'staghunt-episode', env, episode);
}

/** Seed handed to `agent.reset` for player `player` in that episode (population / collector convention). */
export function agentSeed(seed: number, env: number, episode: number, player: number): number {
  return deriveSeed(seed, 'staghunt-agent', env, episode, player);
}
