import { HopError } from '@hop/core/base';
import type { AgentId, GridObservation, ParallelEnv, PerAgent, ResetResult, StepResult } from '@hop/core/base';
import type { PresetName, StagHuntConfig, StagHuntConfigInput } from '../config';
import { NUM_ACTIONS } from '../config';
import type { Geometry } from '../core/geometry';
import { renderAscii, type ParseStateOptions } from '../render/ascii';
import type { StagHuntState } from '../core/state';
import type { EpisodeStats } from './stats';
import { VecStagHunt } from './vec';

export interface StagHuntInfo {
  [key: string]: unknown;
  /** Prey caught by this agent in the step: 'stag', 'hare' or null. */
  hunted: 'stag' | 'hare' | null;
  /** On the step that ends the episode: its statistics. */
  episode?: EpisodeStats;
}

export interface StagHuntEnvOptions {
  /** Base seed; `reset()` without a seed plays episode 0, 1, 2... of it. */
  seed?: number;
  /** Seed stream (the env index of a `VecStagHunt` with the same seed plays the same episodes). */
  stream?: number;
}

const agentName = (p: number): AgentId => `player_${p}`;

/**
 * The Markov Stag-Hunt behind PettingZoo's parallel API (`reset`, `step` with dicts keyed by `player_i`,
 * `terminations` vs `truncations`, action masks next to observations). It is a `VecStagHunt` of one env
 * without auto-reset, so both faces run the very same rules code.
 */
export class StagHuntEnv implements ParallelEnv<GridObservation, number, StagHuntInfo> {
  readonly possibleAgents: readonly AgentId[];
  readonly numActions = NUM_ACTIONS;
  readonly config: StagHuntConfig;
  readonly geometry: Geometry;
  /** The one-env core; read-only use (its buffers are this env's state and views). */
  readonly core: VecStagHunt;
  private readonly actionBuf: Int32Array;
  private started = false;
  private seed: number;

  constructor(config: StagHuntConfigInput | PresetName | StagHuntConfig = 'hop-msh', options: StagHuntEnvOptions = {}) {
    this.seed = options.seed ?? 0;
    this.core = new VecStagHunt(config, {
      numEnvs: 1,
      seed: this.seed,
      observations: 'grid',
      autoReset: false,
      streamOffset: options.stream ?? 0,
    });
    this.config = this.core.config;
    this.geometry = this.core.geometry;
    this.possibleAgents = Array.from({ length: this.geometry.players }, (_, p) => agentName(p));
    this.actionBuf = new Int32Array(this.geometry.players);
  }

  /** Live agents (in play, episode not over). */
  get agents(): readonly AgentId[] {
    const g = this.geometry;
    if (this.isOver()) return [];
    return this.possibleAgents.filter((_, p) => this.core.states[g.POS + p] >= 0);
  }

  get time(): number {
    return this.core.states[this.geometry.T];
  }

  /** Episode over: time limit reached or everybody done. */
  isOver(): boolean {
    const g = this.geometry;
    const st = this.core.states;
    if (st[g.T] >= st[g.END]) return true;
    for (let p = 0; p < g.players; p++) if (st[g.POS + p] >= 0) return false;
    return true;
  }

  reset(seed?: number): ResetResult<GridObservation, StagHuntInfo> {
    if (seed !== undefined) {
      this.seed = seed;
      this.core.reset(seed);
    } else if (this.started) {
      this.core.resetEnv(0);
    } else {
      this.core.reset(this.seed);
    }
    this.started = true;
    const observations: PerAgent<GridObservation> = {};
    const infos: PerAgent<StagHuntInfo> = {};
    for (const a of this.agents) {
      observations[a] = this.observe(a);
      infos[a] = { hunted: null };
    }
    return { observations, infos };
  }

  step(actions: PerAgent<number>): StepResult<GridObservation, StagHuntInfo> {
    if (!this.started) this.reset();
    if (this.isOver()) {
      throw new HopError('E_EPISODE_OVER', 'the episode is over (no live agents); call reset() before step()');
    }
    const g = this.geometry;
    let given = 0;
    for (const _ in actions) given++;
    for (let p = 0; p < g.players; p++) {
      const a = actions[this.possibleAgents[p]];
      const live = this.core.states[g.POS + p] >= 0;
      if (a !== undefined) given--;
      if (a === undefined) {
        if (this.config.strict && live) {
          throw new HopError('E_INVALID_ACTION', `no action given for live agent ${this.possibleAgents[p]}`);
        }
        this.actionBuf[p] = 4;
      } else if ((a | 0) !== a) {
        // NaN, fractions, values beyond int32: the Int32Array would truncate them into a move (NaN -> 0 = up)
        if (this.config.strict && live) {
          throw new HopError(
            'E_INVALID_ACTION',
            `${this.possibleAgents[p]} chose invalid action ${a}: actions are integers 0..${NUM_ACTIONS - 1}`,
          );
        }
        this.actionBuf[p] = -1; // invalid: acts as stay
      } else {
        this.actionBuf[p] = a;
      }
    }
    // a key that is not an agent name (a typo) must not silently leave that agent on "stay"
    if (given !== 0) for (const name in actions) this.index(name);
    this.core.step(this.actionBuf);
    const c = this.core;
    const res: StepResult<GridObservation, StagHuntInfo> = {
      observations: {},
      rewards: {},
      terminations: {},
      truncations: {},
      infos: {},
    };
    const stats = c.ended[0] ? c.lastEpisode(0) : null;
    for (let p = 0; p < g.players; p++) {
      if (!c.active[p]) continue;
      const a = this.possibleAgents[p];
      res.observations[a] = this.observe(a);
      res.rewards[a] = c.rewards[p];
      res.terminations[a] = c.terminations[p] === 1;
      res.truncations[a] = c.truncations[p] === 1;
      const h = c.hunted[p];
      const info: StagHuntInfo = { hunted: h === 0 ? 'stag' : h === 1 ? 'hare' : null };
      if (stats) info.episode = stats;
      res.infos[a] = info;
    }
    return res;
  }

  private index(agent: AgentId): number {
    const p = this.possibleAgents.indexOf(agent);
    if (p < 0) throw new HopError('E_AGENT', `unknown agent "${agent}"; agents are ${this.possibleAgents.join(', ')}`);
    return p;
  }

  actionMask(agent: AgentId): Uint8Array {
    const p = this.index(agent);
    return this.core.masks.slice(p * NUM_ACTIONS, (p + 1) * NUM_ACTIONS);
  }

  /** The agent's current view: grid with its own channel first, its mask, the time step. */
  observe(agent: AgentId): GridObservation {
    const p = this.index(agent);
    const g = this.geometry;
    return {
      grid: this.core.observations.slice(p * g.gridSize, (p + 1) * g.gridSize),
      shape: [g.height, g.width, g.channels],
      actionMask: this.actionMask(agent),
      time: this.time,
    };
  }

  /** The notes' flat form `[mask(7), grid...]`. */
  flatObservation(agent: AgentId): Float32Array {
    const o = this.observe(agent);
    const flat = new Float32Array(NUM_ACTIONS + o.grid.length);
    flat.set(o.actionMask, 0);
    flat.set(o.grid, NUM_ACTIONS);
    return flat;
  }

  /** Statistics of the episode so far (complete once it is over). */
  episodeStats(): EpisodeStats {
    return this.core.currentEpisode(0);
  }

  /** A copy of the state record (simulator format). */
  state(): Int32Array {
    return this.core.states.slice();
  }

  /** Writes the current state into simulator arena slot `slot`. */
  snapshot(arena: Int32Array, slot: number): void {
    this.core.snapshot(0, arena, slot);
  }

  /**
   * Continues from the state in arena slot `slot`; the episode statistics start afresh from it.
   * `validate` (default: the config's `strict`) rejects an invalid record with a HopError `E_STATE`.
   */
  restore(arena: Int32Array, slot: number, options: { validate?: boolean } = {}): void {
    this.core.restore(0, arena, slot, options);
    this.started = true;
  }

  /** Continues from the position given field by field (validated; statistics start afresh). */
  setState(state: StagHuntState): void {
    this.core.setState(0, state);
    this.started = true;
  }

  /** Continues from the position drawn in ASCII (validated; statistics start afresh). */
  setAscii(picture: string, opts?: ParseStateOptions): void {
    this.core.setAscii(0, picture, opts);
    this.started = true;
  }

  /** The current position written out field by field (what `fromState` takes). */
  readState(): Required<StagHuntState> {
    return this.core.readState(0);
  }

  /**
   * An env in the position given field by field, e.g.
   * `StagHuntEnv.fromState('small-2p', { players: [[0, 0], [3, 3]], stags: [[0, 1]], hares: [[2, 2]] })`.
   * Every cell is checked (on the grid, not on an obstacle, prey on distinct cells): a HopError `E_STATE`
   * says what is wrong.
   */
  static fromState(
    config: StagHuntConfigInput | PresetName | StagHuntConfig,
    state: StagHuntState,
    options: StagHuntEnvOptions = {},
  ): StagHuntEnv {
    const env = new StagHuntEnv(config, options);
    env.setState(state);
    return env;
  }

  /** An env in the position drawn in ASCII (see `parseAsciiState`: `.` empty, `#` obstacle, `S`, `H`, players 0-f). */
  static fromAscii(
    config: StagHuntConfigInput | PresetName | StagHuntConfig,
    picture: string,
    opts?: ParseStateOptions,
    options: StagHuntEnvOptions = {},
  ): StagHuntEnv {
    const env = new StagHuntEnv(config, options);
    env.setAscii(picture, opts);
    return env;
  }

  /** An independent env in the same state (same config, seed and stream; statistics start afresh). */
  clone(): StagHuntEnv {
    const c = new StagHuntEnv(this.config, { seed: this.seed, stream: this.core.streamOffset });
    c.core.restore(0, this.core.states, 0);
    c.core.episodeIndex[0] = this.core.episodeIndex[0];
    c.started = this.started;
    return c;
  }

  render(): string {
    return renderAscii(this.geometry, this.core.states, 0);
  }
}
