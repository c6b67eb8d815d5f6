import { HopError, Rng } from '@hop/core/base';
import { NUM_ACTIONS } from '../config';
import type { VecStagHunt } from '../env/vec';
import type { Geometry } from '../core/geometry';
import { agentSeed } from '../env/seeds';
import { KIND_HARE, KIND_STAG, KIND_SWITCHING, decide, makeDecisionContext, type DecisionContext } from './decide';
import { computeDistances } from './paths';
import { drawKind, resolvePopulation, type PopulationInput, type ResolvedPopulation } from './population';

/**
 * A population acting for every player of every env of a `VecStagHunt`, reading the state records directly
 * (no `GridObservation` objects): the collector's fast path. Agent (env k, player p) in episode e is seeded with
 * `agentSeed(seed, stream k, e, p)`, exactly as a `PopulationAgent` reset with that seed, and takes the same
 * decisions (tested).
 */
export class BatchedPopulation {
  readonly population: ResolvedPopulation;
  private readonly seed: number;
  private readonly numEnvs: number;
  private readonly players: number;
  private readonly cells: number;
  private readonly dist: Uint16Array;
  private readonly kinds: Int32Array;
  private readonly memory: Uint8Array;
  private readonly rngs: Rng[];
  private readonly seenEpisode: Int32Array;
  private seenGeneration = -1;
  private readonly ctx: DecisionContext;
  private readonly blocked: Uint8Array;
  private readonly queue: Int32Array;

  constructor(vec: VecStagHunt, population: PopulationInput, seed: number) {
    this.population = resolvePopulation(population);
    this.seed = seed;
    const g = vec.geometry;
    this.numEnvs = vec.numEnvs;
    this.players = g.players;
    this.cells = g.cells;
    this.dist = new Uint16Array(this.population.needsPaths ? vec.numEnvs * g.cells * g.cells : 0);
    this.kinds = new Int32Array(vec.numEnvs * g.players);
    this.memory = new Uint8Array(vec.numEnvs * g.players);
    this.rngs = Array.from({ length: vec.numEnvs * g.players }, () => new Rng(0));
    this.seenEpisode = new Int32Array(vec.numEnvs).fill(-1);
    this.ctx = makeDecisionContext(g.cells, g.players, g.stags, g.hares);
    this.ctx.nbr = g.nbr;
    this.ctx.dist = this.dist;
    this.blocked = new Uint8Array(g.cells);
    this.queue = new Int32Array(g.cells);
  }

  /** The kind index (see `AGENT_KINDS`) of env k's player p this episode. */
  kindOf(k: number, p: number): number {
    return this.kinds[k * this.players + p];
  }

  /**
   * The goal env k's player p went for at its last decision: 0 stag (nearest-stag, and switching until it
   * gives up), 1 hare, -1 none (random). What an oracle's beliefs use (`hop eval` diagnosis rows).
   */
  goalOf(k: number, p: number): number {
    const i = k * this.players + p;
    const kind = this.kinds[i];
    if (kind === KIND_STAG) return 0;
    if (kind === KIND_HARE) return 1;
    if (kind === KIND_SWITCHING) return this.memory[i] ? 1 : 0;
    return -1;
  }

  /** The switching agent's latch of env k's player p (1 once it gave up the stag this episode). */
  latched(k: number, p: number): boolean {
    return this.memory[k * this.players + p] === 1;
  }

  private startEpisode(vec: VecStagHunt, k: number): void {
    const g = vec.geometry;
    const e = vec.episodeIndex[k];
    this.seenEpisode[k] = e;
    if (this.population.needsPaths) layoutDistances(vec, k, this.blocked, this.dist, this.queue);
    for (let p = 0; p < g.players; p++) {
      const i = k * g.players + p;
      const rng = new Rng(agentSeed(this.seed, vec.streamOffset + k, e, p));
      this.rngs[i] = rng;
      this.kinds[i] = drawKind(this.population, rng);
      this.memory[i] = 0;
    }
  }

  /**
   * Draws the kinds (and forgets the memories) of every env that started an episode since the last call; `act`
   * does it first. Call it to read `kindOf` / `goalOf` of a new episode before the first `act` (same draws).
   */
  prepare(vec: VecStagHunt): void {
    if (vec.generation !== this.seenGeneration) {
      this.seenGeneration = vec.generation;
      this.seenEpisode.fill(-1);
    }
    for (let k = 0; k < this.numEnvs; k++) if (this.seenEpisode[k] !== vec.episodeIndex[k]) this.startEpisode(vec, k);
  }

  /** Writes `out[k * players + p]` for every env and player (stay for players that are done). */
  act(vec: VecStagHunt, out: Int32Array): void {
    if (vec.numEnvs !== this.numEnvs || vec.geometry.players !== this.players || vec.geometry.cells !== this.cells) {
      throw new HopError('E_SHAPE', 'BatchedPopulation.act: the VecStagHunt differs from the one it was built for');
    }
    this.prepare(vec);
    const g = vec.geometry;
    const st = vec.states;
    const ctx = this.ctx;
    ctx.mask = vec.masks;
    for (let k = 0; k < this.numEnvs; k++) {
      envContext(ctx, st, g, k);
      for (let p = 0; p < g.players; p++) {
        const i = k * g.players + p;
        playerContext(ctx, st, g, k, p);
        out[i] = decide(this.kinds[i], ctx, this.rngs[i], this.memory, i, this.population);
      }
    }
  }
}

/** Shortest-path distances of env k's current layout, written at `dist[k * cells * cells ...]`. */
export function layoutDistances(vec: VecStagHunt, k: number, blocked: Uint8Array, dist: Uint16Array, queue: Int32Array): void {
  const g = vec.geometry;
  const b = k * g.stateWords;
  for (let c = 0; c < g.cells; c++) blocked[c] = (vec.states[b + g.OBST + (c >> 5)] >>> (c & 31)) & 1;
  computeDistances(g.cells, g.nbr, blocked, dist, k * g.cells * g.cells, queue);
}

/** The env-wide part of a decision context for env k of a state arena: distances row, time, live prey. */
export function envContext(ctx: DecisionContext, st: Int32Array, g: Geometry, k: number): void {
  const b = k * g.stateWords;
  ctx.distOff = k * g.cells * g.cells;
  ctx.time = st[b + g.T];
  ctx.numStags = 0;
  for (let s = 0; s < g.stags; s++) {
    const c = st[b + g.STAG + s];
    if (c >= 0) ctx.stags[ctx.numStags++] = c;
  }
  ctx.numHares = 0;
  for (let s = 0; s < g.hares; s++) {
    const c = st[b + g.HARE + s];
    if (c >= 0) ctx.hares[ctx.numHares++] = c;
  }
}

/** The player part of a decision context (after `envContext`): own cell, the other live players, mask row. */
export function playerContext(ctx: DecisionContext, st: Int32Array, g: Geometry, k: number, p: number): void {
  const b = k * g.stateWords;
  ctx.self = st[b + g.POS + p];
  ctx.numOthers = 0;
  for (let q = 0; q < g.players; q++) {
    const c = st[b + g.POS + q];
    if (q !== p && c >= 0) ctx.others[ctx.numOthers++] = c;
  }
  ctx.maskOff = (k * g.players + p) * NUM_ACTIONS;
}
