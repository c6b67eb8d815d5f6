import type { OnlineTrainReport } from '@hop/moa';
import { emptyTally, type InferenceTally } from '../team/team';

/**
 * The scalars every `hop train` loop logs, named as CleanRL names them (`charts/episodic_return`, ...), and
 * the report's time groups. A loop's own scalars (its learner's, its rollout's phases) live in its folder.
 */

/** What one finished episode contributes to the episode scalars. */
interface EpisodeStats {
  returns: number[];
  stags: number;
  hares: number;
  length: number;
  /** Per player, >= 0 for a rule co-player (`--co-player-mix`), -1 for a learner; absent or null: all learn. */
  coPlayers?: number[] | null;
}

/**
 * Episode statistics of a set of episodes: `episodic_return` is the mean over episodes of the mean return of
 * the episode's learners (every player in self-play; player 0 beside rule co-players, whose returns are not
 * the learners'), prey and lengths are the whole episode's.
 */
export function episodeMetrics(episodes: EpisodeStats[], prefix: 'charts' | 'eval'): Record<string, number> {
  const n = episodes.length;
  if (n === 0) return {};
  let reward = 0;
  let sq = 0;
  let stags = 0;
  let hares = 0;
  let length = 0;
  for (const e of episodes) {
    const r = e.coPlayers ? learnersReturn(e.returns, e.coPlayers) : e.returns.reduce((a, b) => a + b, 0) / e.returns.length;
    reward += r;
    sq += r * r;
    stags += e.stags;
    hares += e.hares;
    length += e.length;
  }
  const mean = reward / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  return {
    [`${prefix}/episodic_return`]: mean,
    [`${prefix}/episodic_return_std`]: std,
    [`${prefix}/episodic_length`]: length / n,
    [`${prefix}/stags_per_episode`]: stags / n,
    [`${prefix}/hares_per_episode`]: hares / n,
    [`${prefix}/prey_ratio`]: stags + hares > 0 ? stags / (stags + hares) : 0,
    [`${prefix}/episodes`]: n,
  };
}

/** Mean return of an episode's learners: the players without a rule (`coPlayers[p] < 0`). */
function learnersReturn(returns: number[], coPlayers: number[]): number {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < returns.length; p++)
    if (!(coPlayers[p] >= 0)) {
      sum += returns[p];
      n++;
    }
  return n > 0 ? sum / n : 0;
}

/** Sums the inference tallies of several rollout slices. */
export function mergeTallies(parts: InferenceTally[], numAgents: number): InferenceTally {
  const out = emptyTally(numAgents);
  for (const t of parts)
    for (const key of Object.keys(out) as (keyof InferenceTally)[]) for (let j = 0; j < numAgents; j++) out[key][j] += t[key][j];
  return out;
}

/** Online MOA top-1, belief accuracy and goal sensitivity, per co-player and overall. */
export function inferenceMetrics(t: InferenceTally, usesBeliefs: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  const P = t.top1Rows.length;
  const ratio = (a: Float64Array, b: Float64Array) => {
    let x = 0;
    let y = 0;
    for (let j = 0; j < P; j++) {
      x += a[j];
      y += b[j];
    }
    return y > 0 ? x / y : undefined;
  };
  for (let j = 0; j < P; j++) {
    if (t.top1Rows[j] > 0) out[`moa/online_top1/player_${j}`] = t.top1Hits[j] / t.top1Rows[j];
    if (t.sensitivityRows[j] > 0) out[`moa/goal_sensitivity/player_${j}`] = t.sensitivity[j] / t.sensitivityRows[j];
  }
  const top1 = ratio(t.top1Hits, t.top1Rows);
  if (top1 !== undefined) out['moa/online_top1'] = top1;
  const sens = ratio(t.sensitivity, t.sensitivityRows);
  if (sens !== undefined) out['moa/goal_sensitivity'] = sens;
  const belief = usesBeliefs ? ratio(t.beliefMass, t.beliefRows) : undefined;
  if (belief !== undefined) out['beliefs/accuracy'] = belief;
  return out;
}

export function onlineMoaMetrics(reports: OnlineTrainReport[]): Record<string, number> {
  if (reports.length === 0) return { 'moa/train_rounds': 0 };
  let ce = 0;
  let anchor = 0;
  let anchored = 0;
  let n = 0;
  for (const r of reports) {
    const last = r.epochs[r.epochs.length - 1];
    if (last) {
      ce += last.ce;
      n++;
      if (last.anchor !== undefined) {
        anchor += last.anchor;
        anchored++;
      }
    }
  }
  return {
    'moa/train_rounds': reports.length,
    ...(n ? { 'losses/moa_ce': ce / n } : {}),
    // --moa-anchor: the penalty of the last epoch, anchorWeight x the squared distance to the pretrained weights
    ...(anchored ? { 'losses/moa_anchor': anchor / anchored } : {}),
  };
}

/** The stacked time bar of the report: these groups of phases, in this order (one colour each). */
export const TIME_GROUPS: { name: string; keys: string[] }[] = [
  { name: 'network calls (planning / policy)', keys: ['time/plan_models', 'time/policy_forward'] },
  { name: 'search (select, simulator, backup)', keys: ['time/plan_select', 'time/plan_simulator', 'time/plan_backup', 'time/plan_bookkeeping'] },
  { name: 'belief updates', keys: ['time/beliefs'] },
  { name: 'environment', keys: ['time/env'] },
  { name: 'policy / value update', keys: ['time/policy_update'] },
  { name: 'online MOA update', keys: ['time/moa_update'] },
  { name: 'engine sync', keys: ['time/engine_sync'] },
  { name: 'evaluation', keys: ['time/eval'] },
  { name: 'checkpoint', keys: ['time/checkpoint'] },
];
