import { HopError, deriveSeed } from "@hop/core";
import {
  Action,
  VecStagHunt,
  type PopulationName,
  type StagHuntConfig,
} from "@hop/env-staghunt";
import { ruleSource, type AgentSource } from "./controllers";

export type Protocol = "self-play" | "adapt";

/**
 * The co-player types of the adapt protocol: rule populations no agent trained with (training meets HOP agents
 * and, with --co-player-mix, `TRAINING_CO_PLAYERS`, which a test keeps disjoint from these).
 */
export const ADAPT_CO_PLAYERS: readonly PopulationName[] = [
  "random",
  "stag",
  "hare",
  "switching",
];
/** The rule populations that give the reference rows. */
export const REFERENCE_POPULATIONS: readonly PopulationName[] = [
  "random",
  "stag",
  "hare",
  "switching",
  "mixed",
];

export interface EvalSettings {
  protocol: Protocol;
  /** Episodes of one pairing, played one after another (what the agents learn carries across them). */
  episodes: number;
  /** Independent repetitions (different layouts and agent seeds); tables show mean +- std over them. */
  seeds: number;
  /** Pairings played side by side in lock-step per (seed, focal count, co-player type). */
  pairings: number;
  /** Base seed of the evaluation (layouts, rule agents, agent decisions). */
  seed: number;
  /** Adapt protocol: only these focal counts (default: all of `focalCounts`). */
  focal?: number[];
}

/**
 * One (agent, focal count, co-player) evaluation with one seed: the focal reward (mean over the focal
 * players of their episode return, then over the pairings) at each of the K episode indices.
 */
export interface EvalCell {
  agent: string;
  protocol: Protocol;
  /** Co-player type (`self` in self-play). */
  coPlayer: string;
  /** How many of the P players the agent controls (players 0..focal-1). */
  focal: number;
  seed: number;
  /** `[K]` focal reward per episode index (mean over the pairings). */
  perEpisode: number[];
  /** `[K][pairings]` focal reward of each pairing's episode: the units of the standard errors. */
  rewards: number[][];
  /** Mean over the K episodes. */
  mean: number;
}

/** The focal counts of a protocol on P players: all of them (self-play); 1 and P - 1 (adapt). */
export function focalCounts(protocol: Protocol, players: number): number[] {
  if (protocol === "self-play") return [players];
  if (players < 2)
    throw new HopError(
      "E_CONFIG",
      "the adapt protocol needs at least 2 players"
    );
  return [...new Set([1, players - 1])];
}

/**
 * Plays the protocol for one agent source: for every seed, focal count and co-player type a fresh agent
 * (and fresh co-players) plays K episodes in `pairings` envs; the agent keeps what it learned across the K
 * episodes of its pairing. Deterministic in `settings.seed`. `seedIndices` (default all `settings.seeds`)
 * plays only some seeds: each seed's cells depend on its index alone, so a queue can spread them over workers.
 */
export async function evaluateAgent(
  source: AgentSource,
  game: StagHuntConfig,
  settings: EvalSettings,
  coPlayers: readonly AgentSource[] = ADAPT_CO_PLAYERS.map((p) =>
    ruleSource(p)
  ),
  seedIndices: readonly number[] = Array.from(
    { length: settings.seeds },
    (_, s) => s
  )
): Promise<EvalCell[]> {
  const P = game.players;
  const cells: EvalCell[] = [];
  const coTypes = settings.protocol === "self-play" ? [null] : coPlayers;
  for (const s of seedIndices)
    for (const focal of focalCounts(settings.protocol, P).filter(
      (f) =>
        settings.protocol === "self-play" ||
        !settings.focal ||
        settings.focal.includes(f)
    ))
      for (const co of coTypes) {
        const coName = co?.label ?? "self";
        // The layouts depend on (seed, focal count, co-player), not on the agent: every agent meets the same ones.
        const rewards = await playSlice(source, co, game, settings, {
          seed: s,
          focal,
          coPlayer: coName,
          pairingStart: 0,
          pairingCount: settings.pairings,
        });
        const perEpisode = rewards.map(
          (r) => r.reduce((a, b) => a + b, 0) / r.length
        );
        cells.push({
          agent: source.label,
          protocol: settings.protocol,
          coPlayer: coName,
          focal,
          seed: s,
          perEpisode,
          rewards,
          mean: perEpisode.reduce((a, b) => a + b, 0) / perEpisode.length,
        });
      }
  return cells;
}

/**
 * The unit of parallel work of an evaluation: pairings `pairingStart ..< pairingStart + pairingCount` of one
 * (seed, focal count, co-player type) cell of one agent row. Pairing k plays seed stream k of the cell's seed
 * (layouts, rule agents, the agent's own seeds), so a cell's slices played anywhere, in any grouping whose
 * controllers keep no state across pairings, give the cell's rewards pairing by pairing.
 */
export interface EvalSlice {
  /** Seed index (0 ..< settings.seeds). */
  seed: number;
  focal: number;
  /** Co-player type, `self` in self-play. */
  coPlayer: string;
  pairingStart: number;
  pairingCount: number;
}

/** The slices of one agent row: one per pairing (`perPairing`), or one per cell (all its pairings in lock-step). */
export function planSlices(
  settings: EvalSettings,
  players: number,
  coPlayers: readonly string[],
  perPairing: boolean
): EvalSlice[] {
  const out: EvalSlice[] = [];
  const coTypes = settings.protocol === "self-play" ? ["self"] : coPlayers;
  for (let s = 0; s < settings.seeds; s++)
    for (const focal of focalCounts(settings.protocol, players).filter(
      (f) =>
        settings.protocol === "self-play" ||
        !settings.focal ||
        settings.focal.includes(f)
    ))
      for (const coPlayer of coTypes)
        if (perPairing)
          for (let k = 0; k < settings.pairings; k++)
            out.push({
              seed: s,
              focal,
              coPlayer,
              pairingStart: k,
              pairingCount: 1,
            });
        else
          out.push({
            seed: s,
            focal,
            coPlayer,
            pairingStart: 0,
            pairingCount: settings.pairings,
          });
  return out;
}

/** Assembles the cells of one agent row from its slices' `[K][pairingCount]` rewards; cells in the order of their first slice. */
export function assembleCells(
  agent: string,
  settings: EvalSettings,
  slices: readonly { slice: EvalSlice; rewards: number[][] }[]
): EvalCell[] {
  const cells = new Map<string, EvalCell>();
  for (const { slice } of slices) {
    const key = `${slice.seed}\u0000${slice.focal}\u0000${slice.coPlayer}`;
    if (!cells.has(key))
      cells.set(key, {
        agent,
        protocol: settings.protocol,
        coPlayer: slice.coPlayer,
        focal: slice.focal,
        seed: slice.seed,
        perEpisode: [],
        rewards: Array.from({ length: settings.episodes }, () =>
          new Array<number>(settings.pairings).fill(Number.NaN)
        ),
        mean: 0,
      });
  }
  for (const { slice, rewards } of slices) {
    const c = cells.get(
      `${slice.seed}\u0000${slice.focal}\u0000${slice.coPlayer}`
    )!;
    rewards.forEach((r, e) =>
      r.forEach((x, n) => (c.rewards[e][slice.pairingStart + n] = x))
    );
  }
  const out = [...cells.values()];
  for (const c of out) {
    if (c.rewards.some((r) => r.some((x) => Number.isNaN(x))))
      throw new HopError(
        "E_INTERNAL",
        `evaluation cell ${c.agent} ${c.protocol} ${c.coPlayer} seed ${c.seed} misses pairings`
      );
    c.perEpisode = c.rewards.map(
      (r) => r.reduce((a, b) => a + b, 0) / r.length
    );
    c.mean = c.perEpisode.reduce((a, b) => a + b, 0) / c.perEpisode.length;
  }
  return out;
}

/** `[K][pairingCount]` focal reward of the slice's pairings' episodes. */
export async function playSlice(
  source: AgentSource,
  co: AgentSource | null,
  game: StagHuntConfig,
  settings: EvalSettings,
  slice: EvalSlice
): Promise<number[][]> {
  // The layouts depend on (seed, focal count, co-player), not on the agent: every agent meets the same ones.
  const cellSeed = deriveSeed(
    settings.seed,
    "eval",
    settings.protocol,
    slice.seed,
    slice.focal,
    slice.coPlayer
  );
  return playPairings(
    source,
    co,
    slice.focal,
    game,
    settings,
    cellSeed,
    slice.pairingStart,
    slice.pairingCount
  );
}

async function playPairings(
  source: AgentSource,
  co: AgentSource | null,
  focal: number,
  game: StagHuntConfig,
  settings: EvalSettings,
  seed: number,
  start: number,
  E: number
): Promise<number[][]> {
  const P = game.players;
  const env = new VecStagHunt(game, {
    numEnvs: E,
    seed,
    observations: "grid",
    autoReset: false,
    streamOffset: start,
  });
  const agent = await source.create(env, deriveSeed(seed, "agent"));
  const other = co ? await co.create(env, deriveSeed(seed, "co-player")) : null;
  agent.meet?.(other?.rules ?? null);
  const mineAgent = new Uint8Array(E * P);
  const mineCo = new Uint8Array(E * P);
  const actions = new Int32Array(E * P);
  const prev = new Int32Array(env.states.length);
  const acted = new Uint8Array(E * P);
  const inPlay = new Uint8Array(E * P);
  const achieved = new Int32Array(E * P);
  const achievedStep = new Int32Array(E * P);
  const timesBefore = new Int32Array(E);
  const ended = new Uint8Array(E);
  const perEpisode: number[][] = [];
  try {
    for (let e = 0; e < settings.episodes; e++) {
      if (e > 0) for (let k = 0; k < E; k++) env.resetEnv(k);
      for (let k = 0; k < E; k++) {
        agent.startEpisode(env, k);
        other?.startEpisode(env, k);
      }
      inPlay.fill(1);
      ended.fill(0);
      achieved.fill(-1);
      achievedStep.fill(-1);
      const focalReward = new Array<number>(E).fill(0);
      let live = E;
      while (live > 0) {
        for (let j = 0; j < E * P; j++) {
          const inGame = inPlay[j] === 1 && ended[Math.floor(j / P)] === 0;
          mineAgent[j] = inGame && j % P < focal ? 1 : 0;
          mineCo[j] = inGame && j % P >= focal ? 1 : 0;
        }
        // Players out of play (hunted, or their env over) stay; the env ignores them.
        actions.fill(Action.Stay);
        await agent.act(env, mineAgent, actions);
        if (other) await other.act(env, mineCo, actions);
        prev.set(env.states);
        for (let j = 0; j < E * P; j++) acted[j] = mineAgent[j] | mineCo[j];
        timesBefore.set(env.times);
        env.step(actions);
        await agent.observe(env, prev, actions, acted);
        if (other) await other.observe(env, prev, actions, acted);
        for (let k = 0; k < E; k++) {
          if (ended[k]) continue;
          for (let p = 0; p < P; p++) {
            const j = k * P + p;
            if (env.hunted[j] >= 0) {
              achieved[j] = env.hunted[j];
              achievedStep[j] = timesBefore[k];
            }
            if (env.terminations[j] || env.truncations[j]) inPlay[j] = 0;
          }
          if (!env.ended[k]) continue;
          ended[k] = 1;
          live--;
          const stats = env.lastEpisode(k)!;
          let r = 0;
          for (let p = 0; p < focal; p++) r += stats.returns[p];
          focalReward[k] = r / focal;
          const ach = Array.from(achieved.subarray(k * P, (k + 1) * P));
          const steps = Array.from(achievedStep.subarray(k * P, (k + 1) * P));
          await agent.endEpisode(k, ach, steps);
          await other?.endEpisode(k, ach, steps);
        }
      }
      perEpisode.push(focalReward);
    }
  } finally {
    await agent.dispose();
    await other?.dispose();
  }
  return perEpisode;
}
