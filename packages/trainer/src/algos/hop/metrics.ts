import type { LearnerReport } from './learner';
import type { RolloutResult, RolloutTiming } from './rollout';

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
