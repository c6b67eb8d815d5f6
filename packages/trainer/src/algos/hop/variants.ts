import { HopError, type GoalBatch } from '@hop/core';
import { ObservationDecoder, ruleActionProbs } from '@hop/env-staghunt';
import type { PairOwners } from '@hop/moa';
import { DIAGNOSIS_VARIANTS, type DiagnosisVariant, type RuleCoPlayers } from '../types';
import type { SearchCoPlayerModel } from '../../team/team';
import type { AgentVariant } from './agent';


export interface VariantContext {
  /** The env (of the evaluation's vector) the agent plays in. */
  env: number;
  /** `[H, W, C]` of the grid observations. */
  observationShape: readonly [number, number, number];
  /** The rule co-players of the running pairing (null in self-play: the oracles then change nothing). */
  rules: () => RuleCoPlayers | null;
}

/** What a diagnosis variant changes in a `HopAgent`. */
export function variantOf(variant: DiagnosisVariant, ctx: VariantContext): AgentVariant {
  switch (variant) {
    case 'oracle-goals':
      return { beliefs: 'oracle' };
    case 'uniform-beliefs':
      return { beliefs: 'uniform' };
    case 'no-search':
      return { noSearch: true };
    case 'oracle-model':
      return { coPlayerModel: (model) => ruleCoPlayerModel(model, ctx) };
    default:
      throw new HopError('E_CONFIG', `unknown diagnosis variant "${String(variant)}"; choose from ${DIAGNOSIS_VARIANTS.join(', ')}`);
  }
}

/**
 * The tree's co-player model with the rows of rule co-players answered by their rule (one-hot, uniform for
 * random agents; the switching agent's latch as it is at the root), the other rows by `model`.
 */
export function ruleCoPlayerModel(model: SearchCoPlayerModel, ctx: VariantContext): SearchCoPlayerModel {
  const decoder = new ObservationDecoder();
  const [H, W, C] = ctx.observationShape;
  const O = H * W * C;
  return async (input: GoalBatch, owners: PairOwners) => {
    const co = ctx.rules();
    if (!co) return model(input, owners);
    const B = input.batch;
    const A = input.masks.length / B;
    const rule: number[] = [];
    const rest: number[] = [];
    for (let r = 0; r < B; r++) (co.controls(ctx.env, owners.agent[r]) ? rule : rest).push(r);
    if (rule.length === 0) return model(input, owners);
    const probs = new Float32Array(B * A);
    if (rest.length > 0) {
      const GD = input.goalDim;
      const sub: GoalBatch = {
        batch: rest.length,
        observations: Float32Array.from({ length: rest.length * O }, (_, x) => input.observations[rest[Math.floor(x / O)] * O + (x % O)]),
        masks: Uint8Array.from({ length: rest.length * A }, (_, x) => input.masks[rest[Math.floor(x / A)] * A + (x % A)]),
        times: Float32Array.from(rest, (r) => input.times[r]),
        goals: Float32Array.from({ length: rest.length * GD }, (_, x) => input.goals[rest[Math.floor(x / GD)] * GD + (x % GD)]),
        goalDim: GD,
      };
      const got = await model(sub, { focal: Int32Array.from(rest, (r) => owners.focal[r]), agent: Int32Array.from(rest, (r) => owners.agent[r]) });
      rest.forEach((r, n) => probs.set(got.probs.subarray(n * A, (n + 1) * A), r * A));
    }
    for (const r of rule) {
      const j = owners.agent[r];
      const dc = decoder.decode({ grid: input.observations.subarray(r * O, (r + 1) * O), shape: [H, W, C], actionMask: input.masks.subarray(r * A, (r + 1) * A), time: input.times[r] });
      ruleActionProbs(co.kindOf(ctx.env, j), dc, co.params, co.latched(ctx.env, j), probs, r * A);
    }
    return { probs };
  };
}
