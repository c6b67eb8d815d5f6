import type { LearnerReport } from './learner';
import type { EpisodeSummary, RolloutResult, RolloutTiming } from './rollout';
import { coPlayerTeam } from './co-players';

export function learnerMetrics(r: LearnerReport): Record<string, number> {
  return {
    'losses/policy_loss': r.policyLoss,
    'losses/value_loss': r.valueLoss,
    'losses/total_loss': r.totalLoss,
    'losses/entropy': r.entropy,
    'losses/grad_norm': r.gradNorm,
  };
}

/** Phase times (seconds) of an iteration; rollout phases are summed over workers. */
export function timingMetrics(results: RolloutResult[], wall: Record<string, number>): Record<string, number> {
  const sum: RolloutTiming = { total: 0, planSelect: 0, planModels: 0, planSimulator: 0, planBackup: 0, planBookkeeping: 0, beliefs: 0, env: 0 };
  for (const r of results) for (const k of Object.keys(sum) as (keyof RolloutTiming)[]) sum[k] += r.timing[k];
  const s = (ms: number) => ms / 1000;
  return {
    'time/plan_select': s(sum.planSelect),
    'time/plan_models': s(sum.planModels),
    'time/plan_simulator': s(sum.planSimulator),
    'time/plan_backup': s(sum.planBackup),
    'time/plan_bookkeeping': s(sum.planBookkeeping),
    'time/beliefs': s(sum.beliefs),
    'time/env': s(sum.env),
    ...Object.fromEntries(Object.entries(wall).map(([k, v]) => [`time/${k}`, s(v)])),
  };
}

/**
 * `--co-player-mix`: how the learner (player 0) does beside rule co-players, by the team they formed, and how
 * the self-play environments do beside it. `mix/fraction`: share of episodes with rule co-players;
 * `mix/return_vs_{hare,stag,mixed}`: player 0's mean return in those episodes (absent when none of that team
 * was drawn); `mix/return_selfplay`: mean return per player in the self-play episodes; `mix/return_rule_players`:
 * mean return of a rule co-player (over every rule player of every such episode; what `charts/episodic_return`
 * leaves out).
 */
export function coPlayerMixMetrics(episodes: Pick<EpisodeSummary, 'returns' | 'coPlayers'>[]): Record<string, number> {
  const sum = { hare: 0, stag: 0, mixed: 0, self: 0, rule: 0 };
  const n = { hare: 0, stag: 0, mixed: 0, self: 0, rule: 0 };
  for (const e of episodes) {
    if (!e.coPlayers) {
      sum.self += e.returns.reduce((a, b) => a + b, 0) / e.returns.length;
      n.self++;
      continue;
    }
    const team = coPlayerTeam(e.coPlayers);
    sum[team] += e.returns[0];
    n[team]++;
    for (let p = 0; p < e.returns.length; p++)
      if (e.coPlayers[p] >= 0) {
        sum.rule += e.returns[p];
        n.rule++;
      }
  }
  const out: Record<string, number> = { 'mix/fraction': episodes.length > 0 ? (n.hare + n.stag + n.mixed) / episodes.length : 0 };
  for (const k of ['hare', 'stag', 'mixed'] as const) if (n[k] > 0) out[`mix/return_vs_${k}`] = sum[k] / n[k];
  for (const k of ['hare', 'stag', 'mixed'] as const) out[`mix/episodes_vs_${k}`] = n[k];
  if (n.self > 0) out['mix/return_selfplay'] = sum.self / n.self;
  if (n.rule > 0) out['mix/return_rule_players'] = sum.rule / n.rule;
  return out;
}

/**
 * `--lone-continuation`: `lone/steps` = rows the hare rule played for a planner left alone (summed over workers),
 * `lone/catches` = hares it caught, `lone/share` = their share of the rollout's learned rows.
 */
export function loneMetrics(results: Pick<RolloutResult, 'loneSteps' | 'loneCatches' | 'samples'>[]): Record<string, number> {
  let steps = 0;
  let catches = 0;
  let learned = 0;
  for (const r of results) {
    steps += r.loneSteps;
    catches += r.loneCatches;
    for (let k = 0; k < r.samples.count; k++) learned += r.samples.learn[k];
  }
  return { 'lone/steps': steps, 'lone/catches': catches, 'lone/share': learned > 0 ? steps / learned : 0 };
}

/**
 * `--lone-starts`: `lone/start_episodes` = episodes that started with one planner alone, `lone/start_return` =
 * its mean return there, `lone/start_zero` = the share of them it ended without a catch. These episodes are left
 * out of `charts/*` and `mix/*`, which describe the games with co-players.
 */
export function loneStartMetrics(episodes: Pick<EpisodeSummary, 'returns' | 'achieved' | 'loneStart'>[]): Record<string, number> {
  let n = 0;
  let ret = 0;
  let zero = 0;
  for (const e of episodes) {
    if (e.loneStart < 0) continue;
    n++;
    ret += e.returns[e.loneStart];
    if (e.achieved[e.loneStart] < 0) zero++;
  }
  return { 'lone/start_episodes': n, ...(n > 0 ? { 'lone/start_return': ret / n, 'lone/start_zero': zero / n } : {}) };
}
