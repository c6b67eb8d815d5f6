import { HopError } from '@hop/core';
import { OnlineMOA, coPlayerAgent, type GoalVectorOf, type OnlineTrainReport, type PairRegistry } from '@hop/moa';
import type { GoalSetup } from '../team/goals';
import { writeTargetGoal } from '../team/target-goals';

/**
 * The online co-player models (docs/models.md) of every caller: the hop loop after each rollout, hop-onestep's
 * extension, and a HOP agent during `hop eval`. Each focal player has one `OnlineMOA` over its per-pair
 * models; its buffers take its co-players' steps, an episode's end labels them with what each co-player
 * achieved, and full buffers train. The three callers hand their steps over in different shapes (packed
 * rollout samples, whole episodes, one step at a time); the feeding itself is written here once.
 */

/** One step of a co-player: the view it acted on, and its action. */
export interface CoPlayerStep {
  obs: Float32Array;
  mask: Uint8Array;
  time: number;
  action: number;
}

/** A training round of one per-pair model: `focal`'s model of player `agent`. */
type FeedReport = OnlineTrainReport & { focal: number; agent: number };

/** Buffer size and training of the online models (a run's `--moa-capacity`, `--moa-epochs`, `--moa-minibatch`). */
interface OnlineSettings {
  capacity: number;
  epochs: number;
  minibatch: number;
  seed: number;
}

/** How a hindsight label becomes the co-player model's goal row (target-named goals read the step's own grid). */
export function goalVectorOf(goals: GoalSetup): GoalVectorOf {
  const { goalDim, goalVectors, gridShape } = goals;
  if (goals.mode === 'target') {
    if (!gridShape) throw new HopError('E_INTERNAL', 'a target goal set-up without its grid shape');
    return (g, out, obs) => writeTargetGoal(gridShape, obs, 0, g, out, 0);
  }
  return (g, out) => out.set(goalVectors.subarray(g * goalDim, (g + 1) * goalDim));
}

/** Focal player `focal`'s online models over the registry's per-pair models; hindsight labels are goals of `goals`. */
export function onlineMoaFor(registry: PairRegistry, focal: number, settings: OnlineSettings, goals: GoalSetup): OnlineMOA {
  return OnlineMOA.forFocal(registry, focal, settings, goals.goalDim === 0 ? {} : { numGoals: goals.numGoals, goalVector: goalVectorOf(goals) });
}

/** Focal player `focal`'s buffers take player `agent`'s step (agent != focal). */
export function feedStep(online: OnlineMOA, focal: number, agent: number, step: CoPlayerStep): void {
  online.addStep(agent < focal ? agent : agent - 1, { ...step, inPlay: true });
}

/**
 * End of an episode for focal player `focal`: `achieved[p]` the goal player p achieved (-1 none) at time step
 * `achievedStep[p]`. Labels the episode's steps, trains the full buffers and reports each round.
 */
export function endFeedEpisode(online: OnlineMOA, focal: number, achieved: ArrayLike<number>, achievedStep: ArrayLike<number>): FeedReport[] {
  const achievements = [];
  for (let m = 0; m < online.buffers.length; m++) {
    const j = coPlayerAgent(focal, m);
    if (achieved[j] >= 0) achievements.push({ coPlayer: m, goal: achieved[j], step: achievedStep[j] });
  }
  return online.endEpisode(achievements).map((r) => ({ ...r, focal, agent: coPlayerAgent(focal, r.coPlayer) }));
}

/** A finished episode: what each player achieved and when; `steps(visit)` hands over every player's steps in time order. */
interface FedEpisode {
  achieved: ArrayLike<number>;
  achievedStep: ArrayLike<number>;
  steps(visit: (agent: number, step: CoPlayerStep) => void): void;
  /** Per player, >= 0 for a rule co-player (`--co-player-mix`): it models nobody; absent or null: every player does. */
  coPlayers?: ArrayLike<number> | null;
}

/**
 * Every focal player's buffers take its co-players' steps of one finished episode; full buffers train. A rule
 * co-player of the episode is no focal player (its buffers take nothing), but its steps reach the learners'.
 */
export function feedEpisode(online: OnlineMOA[], episode: FedEpisode): FeedReport[] {
  const reports: FeedReport[] = [];
  for (let i = 0; i < online.length; i++) {
    if (episode.coPlayers && episode.coPlayers[i] >= 0) continue;
    episode.steps((j, step) => {
      if (j !== i) feedStep(online[i], i, j, step);
    });
    reports.push(...endFeedEpisode(online[i], i, episode.achieved, episode.achievedStep));
  }
  return reports;
}

/** The co-players' steps of a rollout, in episode order (a hop rollout's samples). */
interface FeedSamples {
  count: number;
  obs: Float32Array;
  mask: Uint8Array;
  time: Float32Array;
  action: Int32Array;
  player: Int32Array;
  env: Int32Array;
  episode: Int32Array;
}

/** A finished episode of a rollout: who went for which goal, and when; which players were rule co-players. */
interface FeedRolloutEpisode {
  env: number;
  episode: number;
  achieved: number[];
  achievedStep: number[];
  coPlayers?: number[] | null;
  /**
   * `--lone-starts`: the player the episode started alone (-1 or absent: a normal episode). Nobody observes a lone
   * start: the absent players model nobody (as rule co-players), and the lone player sees no one act.
   */
  loneStart?: number;
}

/**
 * Feeds every focal player's online MOA with its co-players' steps of a rollout, episode by episode in the
 * canonical order, and trains the buffers that filled up.
 */
export function feedOnline(online: OnlineMOA[], samples: FeedSamples, episodes: FeedRolloutEpisode[]): FeedReport[] {
  const O = samples.count > 0 ? samples.obs.length / samples.count : 0;
  const A = samples.count > 0 ? samples.mask.length / samples.count : 0;
  const reports: FeedReport[] = [];
  let k = 0;
  for (const ep of episodes) {
    const start = k;
    while (k < samples.count && samples.env[k] === ep.env && samples.episode[k] === ep.episode) k++;
    const end = k;
    const steps = (visit: (agent: number, step: CoPlayerStep) => void) => {
      for (let r = start; r < end; r++)
        visit(samples.player[r], {
          obs: samples.obs.subarray(r * O, (r + 1) * O),
          mask: samples.mask.subarray(r * A, (r + 1) * A),
          time: samples.time[r],
          action: samples.action[r],
        });
    };
    const coPlayers = ep.loneStart !== undefined && ep.loneStart >= 0 ? ep.achieved.map((_, p) => (p === ep.loneStart ? -1 : 0)) : ep.coPlayers;
    reports.push(...feedEpisode(online, { achieved: ep.achieved, achievedStep: ep.achievedStep, steps, coPlayers }));
  }
  if (k !== samples.count) throw new HopError('E_INTERNAL', `online MOA feed: ${samples.count - k} samples belong to no finished episode`);
  return reports;
}
