import { HopError, Rng, deriveSeed } from '@hop/core';
import { OnlineBufferConfigSchema, parseConfig, type OnlineBufferConfig, type OnlineBufferConfigInput } from '../config';
import type { MOADataset } from '../train/dataset';
import type { EpochResult, MOATrainer } from '../train/supervised';
import { SampleStore } from './sample-store';

/** One step of one co-player as the game loop sees it; nothing game-specific. */
export interface StepRecord {
  /** `[observationSize]` the co-player's observation (copied). */
  obs: ArrayLike<number>;
  /** `[numActions]`, 1 = valid. */
  mask: ArrayLike<number>;
  /** Time step within the episode; achievements are matched against it. */
  time: number;
  /** The action it took. */
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
 * Online data of ONE co-player. Steps of the running episode wait in a pending store; at the end of the
 * episode each is labelled in hindsight with the goal the co-player achieved next (the first achievement
 * at or after its time step). Steps after the last achievement, and episodes with no achievement, are
 * dropped by default (they have no goal to learn); with the drop options off they get `noneGoal`.
 */
export class CoPlayerBuffer {
  readonly config: OnlineBufferConfig;
  readonly samples: SampleStore;
  private readonly pending: SampleStore;

  constructor(observationSize: number, numActions: number, config: OnlineBufferConfigInput = {}) {
    this.config = parseConfig(OnlineBufferConfigSchema, config, 'online MOA buffer');
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

  /** Records one step of the running episode; returns false (and stores nothing) when not in play. */
  addStep(r: StepRecord): boolean {
    if (!r.inPlay) return false;
    this.pending.push(r.obs, r.mask, r.time, r.action, -1);
    return true;
  }

  /** Labels the running episode's steps from its achievements and moves the kept ones into the buffer. */
  endEpisode(achievements: readonly Achievement[]): EpisodeCommit {
    const ach = [...achievements].sort((a, b) => a.step - b.step);
    for (const a of ach)
      if (!(Number.isInteger(a.goal) && a.goal >= 0))
        throw new HopError('E_BUFFER', `achievement goal ${a.goal} at step ${a.step} is not a goal index (>= 0)`);
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

  /** Forgets the running episode's steps (e.g. an aborted episode). */
  abortEpisode(): void {
    this.pending.clear();
  }

  /** The stored steps as a dataset, goals from their labels (`goalVector(label, out)` fills one row). */
  dataset(goalDim: number, goalVector: (goal: number, out: Float32Array) => void = oneHotInto): MOADataset {
    const s = this.samples;
    const n = s.size;
    const goal = new Float32Array(n * goalDim);
    for (let i = 0; i < n; i++) goalVector(s.label[i], goal.subarray(i * goalDim, (i + 1) * goalDim));
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
  /** The trainer of co-player m's model, asked for only when m's buffer is full (e.g. a per-pair registry's). */
  trainerFor: (coPlayer: number) => MOATrainer;
  /** Goal vector of a hindsight label (default: one-hot of width goalDim). */
  goalVector?: (goal: number, out: Float32Array) => void;
  config?: OnlineBufferConfigInput;
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
 * The online MOA of spec section 4: one buffer per co-player; when a buffer holds `capacity` steps its
 * model is trained `epochs` x `minibatch` (the trainer's Adam) and the buffer is cleared.
 */
export class OnlineMOA {
  readonly buffers: CoPlayerBuffer[];
  private readonly rounds: number[];

  constructor(private readonly options: OnlineMOAOptions) {
    this.buffers = Array.from(
      { length: options.numCoPlayers },
      () => new CoPlayerBuffer(options.spec.observationSize, options.spec.numActions, options.config),
    );
    this.rounds = new Array<number>(options.numCoPlayers).fill(0);
  }

  get config(): OnlineBufferConfig {
    return this.buffers[0].config;
  }

  /** Records one step of co-player m (ignored when it is not in play). */
  addStep(coPlayer: number, record: StepRecord): boolean {
    return this.buffer(coPlayer).addStep(record);
  }

  /**
   * Ends the episode for every co-player with its achievements, then trains (and clears) every buffer
   * that is full. Returns one report per model trained.
   */
  endEpisode(achievements: readonly (Achievement & { coPlayer: number })[]): OnlineTrainReport[] {
    this.buffers.forEach((b, m) => b.endEpisode(achievements.filter((a) => a.coPlayer === m)));
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
    const round = this.rounds[coPlayer]++;
    const labelCounts: Record<number, number> = {};
    for (const l of b.labels()) labelCounts[l] = (labelCounts[l] ?? 0) + 1;
    const data = b.dataset(this.options.spec.goalDim, this.options.goalVector);
    const rng = new Rng(deriveSeed(seed, 'online-moa', coPlayer, round));
    const trained = data.size ? this.options.trainerFor(coPlayer).fit(data, { epochs, minibatch, rng }) : [];
    b.clear();
    return { coPlayer, round, samples: data.size, labelCounts, epochs: trained };
  }

  private buffer(m: number): CoPlayerBuffer {
    const b = this.buffers[m];
    if (!b) throw new HopError('E_BUFFER', `co-player ${m} does not exist (there are ${this.buffers.length})`);
    return b;
  }
}
