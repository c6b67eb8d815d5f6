import { HopError, Rng, coPlayerAgent, deriveSeed } from '@hop/core';
import { OnlineBufferConfigSchema, parseConfig, type OnlineBufferConfig, type OnlineBufferConfigInput } from '../config';
import type { MOADataset } from '../train/dataset';
import type { PairRegistry } from '../registry/pair-registry';
import type { EpochResult, MOATrainer } from '../train/supervised';
import { SampleStore } from './sample-store';

/** One step of one co-player as the game loop sees it; nothing game-specific. */
export interface StepRecord {
  /**
   * `[observationSize]` the observation the co-player chose `action` at (not the one after it), from the
   * point of view the MOA is trained on (e.g. the co-player's own view). Copied.
   */
  obs: ArrayLike<number>;
  /** `[numActions]` the action mask at that observation, 1 = valid; `action` must be valid under it. */
  mask: ArrayLike<number>;
  /** Time step of that observation within the episode (increasing); achievements are matched against it. */
  time: number;
  /** The action it took (the one the environment executed). */
  action: number;
  /** False once the co-player is out of play (done): such steps are not data and are ignored. */
  inPlay: boolean;
}

/** "The co-player achieved `goal` with its action at time step `step`." */
export interface Achievement {
  goal: number;
  step: number;
}

/** What one episode contributed to a buffer. */
export interface EpisodeCommit {
  /** Steps stored with a hindsight label. */
  stored: number;
  /** In-play steps dropped (after the last achievement, or of an episode without one). */
  dropped: number;
}

/**
 * Writes the goal vector of hindsight label `goal` into `out`; `obs` is the labelled step's observation (for goal
 * vectors that name something in it, e.g. where the goal's target lies; one-hot goals ignore it).
 */
export type GoalVectorOf = (goal: number, out: Float32Array, obs: Float32Array) => void;

/**
 * Online data of ONE co-player. Steps of the running episode wait in a pending store; at the end of the
 * episode each is labelled in hindsight with the goal the co-player achieved next (the first achievement
 * at or after its time step). Steps after the last achievement, and episodes with no achievement, are
 * dropped by default (they have no goal to learn); with the drop options off they get `noneGoal`.
 */
export class CoPlayerBuffer {
  readonly config: OnlineBufferConfig;
  readonly samples: SampleStore;
  /** Goal labels must lie in `[0, numGoals)` when given (e.g. one-hot goals of this width). */
  readonly numGoals: number | undefined;
  private readonly pending: SampleStore;

  constructor(observationSize: number, numActions: number, config: OnlineBufferConfigInput = {}, numGoals?: number) {
    this.config = parseConfig(OnlineBufferConfigSchema, config, 'online MOA buffer');
    if (numGoals !== undefined && !(Number.isInteger(numGoals) && numGoals >= 1))
      throw new HopError('E_CONFIG', `numGoals must be a positive integer, got ${numGoals}`);
    this.numGoals = numGoals;
    const none = this.config.noneGoal;
    if (numGoals !== undefined && none !== undefined && none >= numGoals)
      throw new HopError('E_CONFIG', `online MOA buffer: noneGoal ${none} is not a goal in [0, ${numGoals})`);
    this.samples = new SampleStore(observationSize, numActions, this.config.capacity);
    this.pending = new SampleStore(observationSize, numActions);
  }

  /** Stored, labelled steps. */
  get size(): number {
    return this.samples.size;
  }

  /** True once the buffer holds at least `capacity` steps. */
  get full(): boolean {
    return this.samples.size >= this.config.capacity;
  }

  /** Steps of the running episode not yet labelled. */
  get pendingSize(): number {
    return this.pending.size;
  }

  /**
   * Records one step of the running episode; returns false (and stores nothing) when not in play.
   * Checked here rather than at training time, when the culprit episode is long gone: the action must be
   * valid under the step's own mask (an action paired with the next step's observation and mask, or a
   * placeholder like -1, usually is not), and time must increase within an episode (a repeated or
   * decreasing time means a missing `endEpisode` or two co-players' steps in one buffer).
   */
  addStep(r: StepRecord): boolean {
    if (!r.inPlay) return false;
    const p = this.pending;
    const a = r.action;
    if (!(Number.isInteger(a) && a >= 0 && a < p.numActions))
      throw new HopError('E_BUFFER', `step at time ${r.time}: action ${a} is not an action in [0, ${p.numActions})`);
    if (r.mask.length === p.numActions && !(r.mask[a] > 0))
      throw new HopError(
        'E_BUFFER',
        `step at time ${r.time}: action ${a} is masked out by the step's own mask; record the observation and ` +
          'mask the action was chosen at (not the next ones) and the action the environment executed',
      );
    if (!Number.isFinite(r.time)) throw new HopError('E_BUFFER', `step time ${r.time} is not a finite number`);
    if (p.size > 0 && !(r.time > p.time[p.size - 1]))
      throw new HopError(
        'E_BUFFER',
        `step time ${r.time} does not follow the previous step's time ${p.time[p.size - 1]} of this episode: ` +
          'call endEpisode between episodes, and give each co-player its own buffer',
      );
    p.push(r.obs, r.mask, r.time, a, -1);
    return true;
  }

  /** Labels the running episode's steps from its achievements and moves the kept ones into the buffer. */
  endEpisode(achievements: readonly Achievement[]): EpisodeCommit {
    this.checkAchievements(achievements);
    const ach = [...achievements].sort((a, b) => a.step - b.step);
    const { dropAfterLastAchievement, dropEpisodesWithoutAchievement, noneGoal } = this.config;
    const p = this.pending;
    let stored = 0;
    for (let i = 0; i < p.size; i++) {
      const next = ach.find((a) => a.step >= p.time[i]);
      let label: number;
      if (next) label = next.goal;
      else if (ach.length === 0 ? dropEpisodesWithoutAchievement : dropAfterLastAchievement) continue;
      else label = noneGoal!;
      this.samples.pushFrom(p, i, label);
      stored++;
    }
    const dropped = p.size - stored;
    p.clear();
    return { stored, dropped };
  }

  /** Throws (changing nothing) unless every achievement has a goal index in range and a finite step. */
  checkAchievements(achievements: readonly Achievement[]): void {
    const n = this.numGoals;
    for (const a of achievements) {
      if (!(Number.isInteger(a.goal) && a.goal >= 0 && (n === undefined || a.goal < n)))
        throw new HopError(
          'E_BUFFER',
          `achievement goal ${a.goal} at step ${a.step} is not a goal index in [0, ${n ?? 'numGoals'})`,
        );
      if (!Number.isFinite(a.step)) throw new HopError('E_BUFFER', `achievement of goal ${a.goal}: step ${a.step} is not a number`);
    }
  }

  /** Forgets the running episode's steps (e.g. an aborted episode). */
  abortEpisode(): void {
    this.pending.clear();
  }

  /**
   * The stored steps as a dataset, goals from their labels (`goalVector(label, out, obs)` fills one row; `obs`
   * is the step's observation, for goal vectors that depend on it). obs / mask / time / action are views into
   * the buffer: use them before the next `clear`.
   */
  dataset(goalDim: number, goalVector: GoalVectorOf = oneHotInto): MOADataset {
    const s = this.samples;
    const n = s.size;
    const O = s.observationSize;
    const goal = new Float32Array(n * goalDim);
    // An unconditioned model (goalDim 0) trains on the labelled steps without goal vectors.
    if (goalDim > 0)
      for (let i = 0; i < n; i++) goalVector(s.label[i], goal.subarray(i * goalDim, (i + 1) * goalDim), s.obs.subarray(i * O, (i + 1) * O));
    return {
      size: n,
      obs: s.obs.subarray(0, n * s.observationSize),
      mask: s.mask.subarray(0, n * s.numActions),
      time: s.time.subarray(0, n),
      action: s.action.subarray(0, n),
      goal: goalDim > 0 ? goal : undefined,
    };
  }

  /** `[n]` hindsight goal labels of the stored steps (a view). */
  labels(): Int32Array {
    return this.samples.label.subarray(0, this.samples.size);
  }

  clear(): void {
    this.samples.clear();
  }
}

/** One-hot goal vector (the default for discrete goals). */
export function oneHotInto(goal: number, out: Float32Array): void {
  if (!(goal >= 0 && goal < out.length))
    throw new HopError('E_GOAL', `goal label ${goal} does not fit a one-hot vector of width ${out.length}`);
  out.fill(0);
  out[goal] = 1;
}

export interface OnlineMOAOptions {
  numCoPlayers: number;
  /** Sizes of the models being trained (an `MOAModel` fits). */
  spec: { observationSize: number; numActions: number; goalDim: number };
  /**
   * The trainer of co-player m's model, asked for once, when m's buffer is first full, and kept: its Adam
   * state carries over the training rounds. Each co-player needs its own model (e.g. a per-pair
   * registry's `trainer(focal, agent)`; `OnlineMOA.forFocal` wires that up).
   */
  trainerFor: (coPlayer: number) => MOATrainer;
  /** Goal vector of a hindsight label on a step's observation (default: one-hot of width goalDim). */
  goalVector?: GoalVectorOf;
  /**
   * Number of goal labels; achievements and `noneGoal` must lie in `[0, numGoals)`. Default: `goalDim`
   * with the default one-hot goal vectors, unchecked with a custom `goalVector`.
   */
  numGoals?: number;
  config?: OnlineBufferConfigInput;
}

/** The contents of an online MOA between episodes (see `OnlineMOA.snapshot`). */
export interface OnlineMOASnapshot {
  rounds: number[];
  buffers: { size: number; obs: Float32Array; mask: Uint8Array; time: Float32Array; action: Int32Array; label: Int32Array }[];
}

/** What one training round of one co-player's model did. */
export interface OnlineTrainReport {
  coPlayer: number;
  /** Training round of this co-player (0, 1, ...). */
  round: number;
  samples: number;
  /** Samples per hindsight goal label. */
  labelCounts: Record<number, number>;
  epochs: EpochResult[];
}


/**
 * The online MOA of docs/models.md: one buffer per co-player; when a buffer holds `capacity` steps its
 * model is trained `epochs` x `minibatch` (the trainer's Adam, 5e-4 by default) and the buffer is cleared.
 */
export class OnlineMOA {
  readonly buffers: CoPlayerBuffer[];
  private readonly rounds: number[];
  private readonly trainers: (MOATrainer | undefined)[];

  constructor(private readonly options: OnlineMOAOptions) {
    const { numCoPlayers, spec, goalVector } = options;
    if (!(Number.isInteger(numCoPlayers) && numCoPlayers >= 1))
      throw new HopError('E_CONFIG', `numCoPlayers must be a positive integer, got ${numCoPlayers}`);
    const numGoals = options.numGoals ?? (goalVector || spec.goalDim === 0 ? undefined : spec.goalDim);
    this.buffers = Array.from(
      { length: numCoPlayers },
      () => new CoPlayerBuffer(spec.observationSize, spec.numActions, options.config, numGoals),
    );
    this.rounds = new Array<number>(numCoPlayers).fill(0);
    this.trainers = new Array<MOATrainer | undefined>(numCoPlayers);
  }

  /**
   * The online MOA of agent `focal` over the per-pair models of a registry: co-player m is agent
   * `coPlayerAgent(focal, m)` and trains `registry.trainer(focal, that agent)` (its own weights and Adam
   * state; the other pairs stay shared).
   */
  static forFocal(
    registry: PairRegistry,
    focal: number,
    config: OnlineBufferConfigInput = {},
    goals: Pick<OnlineMOAOptions, 'goalVector' | 'numGoals'> = {},
  ): OnlineMOA {
    const n = registry.numAgents;
    if (!(Number.isInteger(focal) && focal >= 0 && focal < n))
      throw new HopError('E_CONFIG', `focal agent ${focal} is not one of the registry's ${n} agents`);
    return new OnlineMOA({
      numCoPlayers: n - 1,
      spec: registry.generic,
      trainerFor: (m) => registry.trainer(focal, coPlayerAgent(focal, m)),
      config,
      ...goals,
    });
  }

  get config(): OnlineBufferConfig {
    return this.buffers[0].config;
  }

  /** Records one step of co-player m (ignored when it is not in play). */
  addStep(coPlayer: number, record: StepRecord): boolean {
    return this.buffer(coPlayer).addStep(record);
  }

  /**
   * Ends the episode for every co-player with its achievements (`coPlayer` indexes the co-players,
   * 0..numCoPlayers-1), then trains (and clears) every buffer that is full. Returns one report per model
   * trained. Bad achievements throw before anything is committed.
   */
  endEpisode(achievements: readonly (Achievement & { coPlayer: number })[]): OnlineTrainReport[] {
    const per = this.buffers.map((): Achievement[] => []);
    for (const a of achievements) {
      this.buffer(a.coPlayer);
      per[a.coPlayer].push(a);
    }
    this.buffers.forEach((b, m) => b.checkAchievements(per[m]));
    this.buffers.forEach((b, m) => b.endEpisode(per[m]));
    const reports: OnlineTrainReport[] = [];
    this.buffers.forEach((b, m) => {
      if (b.full) reports.push(this.train(m));
    });
    return reports;
  }

  /** Trains co-player m's model on its buffer now (whatever its size) and clears the buffer. */
  train(coPlayer: number): OnlineTrainReport {
    const b = this.buffer(coPlayer);
    const { epochs, minibatch, seed } = b.config;
    const labelCounts: Record<number, number> = {};
    for (const l of b.labels()) labelCounts[l] = (labelCounts[l] ?? 0) + 1;
    const data = b.dataset(this.options.spec.goalDim, this.options.goalVector);
    if (data.size === 0) return { coPlayer, round: this.rounds[coPlayer], samples: 0, labelCounts, epochs: [] };
    const trainer = this.trainer(coPlayer);
    const round = this.rounds[coPlayer]++;
    const rng = new Rng(deriveSeed(seed, 'online-moa', coPlayer, round));
    const trained = trainer.fit(data, { epochs, minibatch, rng });
    b.clear();
    return { coPlayer, round, samples: data.size, labelCounts, epochs: trained };
  }

  /** Co-player m's trainer: asked for once, checked to train a model of its own with the right sizes. */
  private trainer(m: number): MOATrainer {
    const known = this.trainers[m];
    if (known) return known;
    const t = this.options.trainerFor(m);
    const { spec } = this.options;
    const model = t.model;
    if (model.observationSize !== spec.observationSize || model.numActions !== spec.numActions || model.goalDim !== spec.goalDim)
      throw new HopError(
        'E_BUFFER',
        `the trainer of co-player ${m} trains a model of sizes obs ${model.observationSize} / actions ${model.numActions} / ` +
          `goalDim ${model.goalDim}, the buffers hold ${spec.observationSize} / ${spec.numActions} / ${spec.goalDim}`,
      );
    this.trainers.forEach((o, k) => {
      if (o && (o === t || o.model === model))
        throw new HopError(
          'E_BUFFER',
          `co-players ${k} and ${m} would train one model: give every co-player its own (e.g. PairRegistry.trainer(focal, agent))`,
        );
    });
    this.trainers[m] = t;
    return t;
  }

  /**
   * The stored samples of every buffer and the training round of every co-player, between episodes: what a
   * checkpoint must keep so that a resumed run trains exactly as an uninterrupted one (the rounds seed the
   * minibatch order). Arrays are copies.
   */
  snapshot(): OnlineMOASnapshot {
    return {
      rounds: [...this.rounds],
      buffers: this.buffers.map((b) => {
        if (b.pendingSize > 0)
          throw new HopError('E_BUFFER', 'snapshot: an episode is still running; snapshot between episodes');
        const s = b.samples;
        const n = s.size;
        return {
          size: n,
          obs: s.obs.slice(0, n * s.observationSize),
          mask: s.mask.slice(0, n * s.numActions),
          time: s.time.slice(0, n),
          action: s.action.slice(0, n),
          label: s.label.slice(0, n),
        };
      }),
    };
  }

  /** Puts back what `snapshot` took (same number of co-players and sizes). */
  restore(snap: OnlineMOASnapshot): void {
    if (snap.buffers.length !== this.buffers.length || snap.rounds.length !== this.rounds.length)
      throw new HopError('E_BUFFER', `snapshot holds ${snap.buffers.length} co-players, this online MOA has ${this.buffers.length}`);
    snap.buffers.forEach((sb, m) => {
      const b = this.buffers[m];
      b.abortEpisode();
      b.clear();
      const o = b.samples.observationSize;
      const a = b.samples.numActions;
      if (sb.obs.length !== sb.size * o || sb.mask.length !== sb.size * a)
        throw new HopError('E_BUFFER', `snapshot of co-player ${m}: sizes do not match observation ${o} / actions ${a}`);
      for (let i = 0; i < sb.size; i++)
        b.samples.push(sb.obs.subarray(i * o, (i + 1) * o), sb.mask.subarray(i * a, (i + 1) * a), sb.time[i], sb.action[i], sb.label[i]);
    });
    snap.rounds.forEach((r, m) => (this.rounds[m] = r));
  }

  private buffer(m: number): CoPlayerBuffer {
    const b = this.buffers[m];
    if (!b)
      throw new HopError(
        'E_BUFFER',
        `co-player ${m} does not exist (co-players are 0..${this.buffers.length - 1}; see coPlayerAgent for agent indices)`,
      );
    return b;
  }
}
