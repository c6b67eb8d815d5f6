import { HopError, Rng } from '@hop/core/base';
import { NUM_ACTIONS, resolveConfig, type PresetName, type StagHuntConfig, type StagHuntConfigInput } from '../config';
import { makeGenScratch, generateEpisode, type GenScratch } from '../core/generate';
import { makeGeometry, type Geometry } from '../core/geometry';
import { updateGrid, writeGrid } from '../core/observe';
import {
  invalidAction,
  isTerminal,
  makeRuleScratch,
  stepState,
  writeMask,
  writeMasks,
  type RuleScratch,
  type StepOutputs,
} from '../core/rules';
import { checkSlot } from '../core/slots';
import { assertValidState, readState, writeState, type StagHuntState } from '../core/state';
import { parseAsciiState, type ParseStateOptions } from '../render/ascii';
import { episodeSeed } from './seeds';
import { episodeStatsOf, type EpisodeStats } from './stats';

/** Which observation rows `VecStagHunt` writes after every step: grid `[H*W*C]`, flat `[7 + H*W*C]`, or none. */
export type ObservationMode = 'grid' | 'flat' | 'none';
const OBSERVATION_MODES: readonly ObservationMode[] = ['grid', 'flat', 'none'];

/** Seeds feed `deriveSeed`; a fraction or NaN would silently alias another seed. */
function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new HopError('E_CONFIG', `VecStagHunt seed must be a safe integer, got ${seed}`);
  }
}

export interface VecStagHuntOptions {
  numEnvs: number;
  seed?: number;
  observations?: ObservationMode;
  /** Finished environments start a new episode inside the same `step` (default true). */
  autoReset?: boolean;
  /** Env k draws its episodes from seed stream `streamOffset + k` (default 0); see `episodeSeed`. */
  streamOffset?: number;
}

/**
 * N Markov Stag-Hunt environments stepped together. The state of env k is the int32 record
 * `states[k*stateWords ..]` (the simulator's format, so snapshot / restore are word copies); everything a step
 * returns lives in preallocated struct-of-arrays buffers indexed `[env * players + player]` and
 * `[(env * players + player) * observationSize]`, ready for `tf.tensor` without copies. No allocation per step.
 *
 * After `step`, `ended[k] = 1` marks envs whose episode finished in that step: their last observations are in
 * `finalObservations` / `finalMasks`, their statistics in `lastEpisode(k)`, and (with auto-reset) the live
 * buffers already hold the first observation of the next episode.
 */
export class VecStagHunt {
  readonly config: StagHuntConfig;
  readonly geometry: Geometry;
  readonly numEnvs: number;
  readonly numAgents: number;
  readonly numActions = NUM_ACTIONS;
  readonly observationMode: ObservationMode;
  /** Floats per observation row (0 without observations). */
  readonly observationSize: number;
  readonly autoReset: boolean;

  readonly states: Int32Array;
  readonly observations: Float32Array;
  readonly masks: Uint8Array;
  readonly finalObservations: Float32Array;
  readonly finalMasks: Uint8Array;
  readonly times: Int32Array;
  readonly rewards: Float32Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  /** 1 when the player acted in the last step (it was in play before it). */
  readonly active: Uint8Array;
  /** Prey caught in the last step per player: 0 stag, 1 hare, -1 none. */
  readonly hunted: Int8Array;
  readonly ended: Uint8Array;
  /** Index of the episode env k is playing (0 after `reset`, +1 at every auto-reset). */
  readonly episodeIndex: Int32Array;

  // running episode statistics
  private readonly returns: Float64Array;
  private readonly doneTime: Int32Array;
  private readonly caught: Int8Array;
  // statistics of the last finished episode per env
  private readonly lastState: Int32Array;
  private readonly lastReturns: Float64Array;
  private readonly lastDoneTime: Int32Array;
  private readonly lastCaught: Int8Array;
  private readonly hasLast: Uint8Array;

  private seed: number;
  /** Env k plays seed stream `streamOffset + k`. */
  readonly streamOffset: number;
  /** Incremented by every `reset()`: lets per-env consumers (agents) notice a restart. */
  generation = 0;
  private readonly out: StepOutputs;
  private readonly scratch: RuleScratch;
  private readonly gen: GenScratch;
  /** The state of the env being stepped, as it was before the step (for incremental views). */
  private readonly prev: Int32Array;
  private readonly strictMask = new Uint8Array(NUM_ACTIONS);

  constructor(config: StagHuntConfigInput | PresetName | StagHuntConfig, options: VecStagHuntOptions) {
    this.config = resolveConfig(config);
    const g = (this.geometry = makeGeometry(this.config));
    const n = options.numEnvs;
    if (!Number.isInteger(n) || n < 1) {
      throw new HopError('E_CONFIG', `VecStagHunt numEnvs must be a positive integer, got ${n}`);
    }
    this.numEnvs = n;
    this.numAgents = g.players;
    this.observationMode = options.observations ?? 'grid';
    if (!OBSERVATION_MODES.includes(this.observationMode)) {
      throw new HopError(
        'E_CONFIG',
        `VecStagHunt observations must be one of ${OBSERVATION_MODES.join(', ')}, got ${JSON.stringify(this.observationMode)}`,
      );
    }
    this.observationSize = this.observationMode === 'grid' ? g.gridSize : this.observationMode === 'flat' ? g.flatSize : 0;
    this.autoReset = options.autoReset ?? true;
    this.seed = options.seed ?? 0;
    this.streamOffset = options.streamOffset ?? 0;
    const np = n * g.players;
    this.states = new Int32Array(n * g.stateWords);
    this.observations = new Float32Array(np * this.observationSize);
    this.finalObservations = new Float32Array(np * this.observationSize);
    this.masks = new Uint8Array(np * NUM_ACTIONS);
    this.finalMasks = new Uint8Array(np * NUM_ACTIONS);
    this.times = new Int32Array(n);
    this.rewards = new Float32Array(np);
    this.terminations = new Uint8Array(np);
    this.truncations = new Uint8Array(np);
    this.active = new Uint8Array(np);
    this.hunted = new Int8Array(np);
    this.out = {
      rewards: this.rewards,
      terminations: this.terminations,
      truncations: this.truncations,
      active: this.active,
      hunted: this.hunted,
    };
    this.ended = new Uint8Array(n);
    this.episodeIndex = new Int32Array(n);
    this.returns = new Float64Array(np);
    this.doneTime = new Int32Array(np);
    this.caught = new Int8Array(np);
    this.lastState = new Int32Array(n * g.stateWords);
    this.lastReturns = new Float64Array(np);
    this.lastDoneTime = new Int32Array(np);
    this.lastCaught = new Int8Array(np);
    this.hasLast = new Uint8Array(n);
    this.scratch = makeRuleScratch(g);
    this.gen = makeGenScratch(g);
    this.prev = new Int32Array(g.stateWords);
    this.reset(this.seed);
  }

  /** Starts episode 0 of every env; env k's layout comes from `episodeSeed(seed, streamOffset + k, 0)`. */
  reset(seed: number = this.seed): void {
    checkSeed(seed);
    this.seed = seed;
    this.generation++;
    this.episodeIndex.fill(0);
    this.hasLast.fill(0);
    this.ended.fill(0);
    this.rewards.fill(0);
    this.terminations.fill(0);
    this.truncations.fill(0);
    this.active.fill(0);
    this.hunted.fill(-1);
    for (let k = 0; k < this.numEnvs; k++) {
      this.startEpisode(k);
      this.writeViews(k, this.observations, this.masks);
    }
  }

  /** Starts the next episode of env k now (for `autoReset: false`). */
  resetEnv(k: number): void {
    this.episodeIndex[k]++;
    this.startEpisode(k);
    this.writeViews(k, this.observations, this.masks);
  }

  private startEpisode(k: number): void {
    const g = this.geometry;
    generateEpisode(g, new Rng(episodeSeed(this.seed, this.streamOffset + k, this.episodeIndex[k])), this.states, k * g.stateWords, this.gen);
    this.clearRunning(k);
  }

  private clearRunning(k: number): void {
    const P = this.geometry.players;
    this.returns.fill(0, k * P, k * P + P);
    this.doneTime.fill(-1, k * P, k * P + P);
    this.caught.fill(-1, k * P, k * P + P);
    this.times[k] = this.states[k * this.geometry.stateWords + this.geometry.T];
  }

  /** Steps every env with `actions[env * players + player]`. */
  step(actions: Int32Array): void {
    const g = this.geometry;
    const P = g.players;
    const W = g.stateWords;
    if (actions.length < this.numEnvs * P) {
      throw new HopError(
        'E_SHAPE',
        `VecStagHunt.step needs ${this.numEnvs * P} actions ([numEnvs=${this.numEnvs}, players=${P}]), got ${actions.length}`,
      );
    }
    const st = this.states;
    if (g.strict) this.checkActions(actions);
    const { rewards, hunted, active, returns, doneTime, caught, ended, times, out, scratch, prev } = this;
    let fresh = false;
    // the pre-step state only serves the incremental grid updates
    const keepPrev = this.observationMode !== 'none';
    for (let k = 0; k < this.numEnvs; k++) {
      const b = k * W;
      const o = k * P;
      if (keepPrev) for (let i = 0; i < W; i++) prev[i] = st[b + i];
      const terminal = stepState(g, st, b, actions, o, out, o, scratch);
      const t = st[b + g.T];
      let anyActive = 0;
      for (let p = 0; p < P; p++) {
        returns[o + p] += rewards[o + p];
        anyActive |= active[o + p];
        if (hunted[o + p] >= 0) {
          doneTime[o + p] = t;
          caught[o + p] = hunted[o + p];
        }
      }
      // A finished env that was already over (autoReset off) reports no new ending.
      if (terminal && anyActive) {
        ended[k] = 1;
        this.writeViews(k, this.finalObservations, this.finalMasks);
        for (let i = 0; i < W; i++) this.lastState[b + i] = st[b + i];
        for (let p = 0; p < P; p++) {
          this.lastReturns[o + p] = returns[o + p];
          this.lastDoneTime[o + p] = doneTime[o + p];
          this.lastCaught[o + p] = caught[o + p];
        }
        this.hasLast[k] = 1;
        if (this.autoReset) {
          this.episodeIndex[k]++;
          this.startEpisode(k);
          fresh = true;
        }
      } else {
        ended[k] = 0;
        // A state restored after its episode ended: nothing was played, but auto-reset must not leave it stuck.
        if (terminal && this.autoReset) {
          this.episodeIndex[k]++;
          this.startEpisode(k);
          fresh = true;
        }
      }
      times[k] = st[b + g.T];
      if (fresh) {
        this.writeViews(k, this.observations, this.masks);
        fresh = false;
      } else {
        this.updateViews(k);
      }
    }
  }

  /**
   * Strict mode: checks every action of the batch before any env moves, so an invalid action in env k does
   * not leave envs 0..k-1 stepped and the rest not.
   */
  private checkActions(actions: Int32Array): void {
    const g = this.geometry;
    const P = g.players;
    const mask = this.strictMask;
    for (let k = 0; k < this.numEnvs; k++) {
      const b = k * g.stateWords;
      if (isTerminal(g, this.states, b)) continue; // finished envs ignore their actions
      for (let p = 0; p < P; p++) {
        if (this.states[b + g.POS + p] < 0) continue;
        const a = actions[k * P + p];
        writeMask(g, this.states, b, p, mask, 0);
        if (!(a >= 0 && a < NUM_ACTIONS && mask[a] === 1)) invalidAction(g, this.states, b, p, a);
      }
    }
  }

  /** Views after a step within the same episode: masks in full, grids by their changed cells only. */
  private updateViews(k: number): void {
    const g = this.geometry;
    const P = g.players;
    const b = k * g.stateWords;
    const m = k * P * NUM_ACTIONS;
    const masks = this.masks;
    writeMasks(g, this.states, b, masks, m);
    const mode = this.observationMode;
    if (mode === 'none') return;
    const obs = this.observations;
    const size = this.observationSize;
    for (let p = 0; p < P; p++) {
      const row = (k * P + p) * size;
      if (mode === 'grid') {
        updateGrid(g, this.prev, 0, this.states, b, p, obs, row);
      } else {
        for (let a = 0; a < NUM_ACTIONS; a++) obs[row + a] = masks[m + p * NUM_ACTIONS + a];
        updateGrid(g, this.prev, 0, this.states, b, p, obs, row + NUM_ACTIONS);
      }
    }
  }

  private writeViews(k: number, obs: Float32Array, masks: Uint8Array): void {
    const g = this.geometry;
    const P = g.players;
    const b = k * g.stateWords;
    const m = k * P * NUM_ACTIONS;
    writeMasks(g, this.states, b, masks, m);
    const mode = this.observationMode;
    if (mode === 'none') return;
    const size = this.observationSize;
    for (let p = 0; p < P; p++) {
      const row = (k * P + p) * size;
      if (mode === 'grid') {
        writeGrid(g, this.states, b, p, obs, row);
      } else {
        for (let a = 0; a < NUM_ACTIONS; a++) obs[row + a] = masks[m + p * NUM_ACTIONS + a];
        writeGrid(g, this.states, b, p, obs, row + NUM_ACTIONS);
      }
    }
  }

  /** Statistics of the last episode env k finished, or null before its first ending. */
  lastEpisode(k: number): EpisodeStats | null {
    if (!this.hasLast[k]) return null;
    const g = this.geometry;
    const o = k * g.players;
    return episodeStatsOf(g, this.lastState, k * g.stateWords, this.lastReturns, this.lastDoneTime, this.lastCaught, o);
  }

  /** Statistics of env k's running episode so far. */
  currentEpisode(k: number): EpisodeStats {
    const g = this.geometry;
    return episodeStatsOf(g, this.states, k * g.stateWords, this.returns, this.doneTime, this.caught, k * g.players);
  }

  /** Copies env k's state into `arena` slot `slot` (a simulator state). */
  snapshot(k: number, arena: Int32Array, slot: number): void {
    const W = this.geometry.stateWords;
    checkSlot(arena, slot, W, 'VecStagHunt.snapshot');
    this.checkEnv(k);
    arena.set(this.states.subarray(k * W, k * W + W), slot * W);
  }

  /**
   * Makes `arena` slot `slot` env k's state and rewrites its observations. The running episode statistics
   * start afresh from the restored state (returns 0; players already done count as done at its time step,
   * with no catch recorded): the previous episode's statistics describe another game.
   * `validate` (default: the config's `strict`) checks the record first and throws a HopError `E_STATE`
   * listing what is wrong (a player on an obstacle, two prey on one cell, times out of order, ...).
   */
  restore(k: number, arena: Int32Array, slot: number, options: { validate?: boolean } = {}): void {
    const W = this.geometry.stateWords;
    checkSlot(arena, slot, W, 'VecStagHunt.restore');
    this.checkEnv(k);
    if (options.validate ?? this.config.strict) assertValidState(this.geometry, arena, slot * W, 'VecStagHunt.restore');
    this.states.set(arena.subarray(slot * W, slot * W + W), k * W);
    this.restartStats(k);
    this.writeViews(k, this.observations, this.masks);
  }

  /** Env k continues from the position given field by field (validated; see `StagHuntState`). */
  setState(k: number, state: StagHuntState): void {
    this.checkEnv(k);
    const W = this.geometry.stateWords;
    writeState(this.geometry, state, this.states, k * W, 'VecStagHunt.setState');
    this.restartStats(k);
    this.writeViews(k, this.observations, this.masks);
  }

  /** Env k continues from the position drawn in ASCII (see `parseAsciiState`; validated). */
  setAscii(k: number, picture: string, opts?: ParseStateOptions): void {
    this.checkEnv(k);
    const rec = new Int32Array(this.geometry.stateWords);
    parseAsciiState(this.geometry, picture, rec, 0, opts);
    this.restore(k, rec, 0, { validate: false });
  }

  /** Env k's position written out field by field. */
  readState(k: number): Required<StagHuntState> {
    this.checkEnv(k);
    return readState(this.geometry, this.states, k * this.geometry.stateWords);
  }

  private restartStats(k: number): void {
    const g = this.geometry;
    this.clearRunning(k);
    const b = k * g.stateWords;
    for (let p = 0; p < g.players; p++) if (this.states[b + g.POS + p] < 0) this.doneTime[k * g.players + p] = this.states[b + g.T];
  }

  private checkEnv(k: number): void {
    if (!Number.isInteger(k) || k < 0 || k >= this.numEnvs) {
      throw new HopError('E_RANGE', `env index ${k} is outside 0..${this.numEnvs - 1}`);
    }
  }
}
