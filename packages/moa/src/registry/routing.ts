import { HopError, type CoPlayerModel, type CoPlayerModelOutput, type GoalBatch } from '@hop/core';
import { toCoPlayerModel } from '../model/adapters';
import type { MOAModel } from '../model/moa-model';
import type { PairRegistry } from './pair-registry';

/** Who is modelling whom for each row of a batch (the shape @hop/mcts passes as `RowOwners`). */
export interface PairOwners {
  /** `[batch]` the observer (focal agent). */
  focal: Int32Array;
  /** `[batch]` the agent being predicted. */
  agent: Int32Array;
}

/**
 * Rows of a batch grouped by the model that serves them: `registry.model(focal, agent)`. Pairs still
 * sharing the generic model fall into one group, so a fresh registry costs one network call per batch.
 */
export function groupRowsByModel(registry: PairRegistry, owners: PairOwners, batch: number): Map<MOAModel, number[]> {
  if (owners.focal.length < batch || owners.agent.length < batch)
    throw new HopError('E_SHAPE', `owners cover ${Math.min(owners.focal.length, owners.agent.length)} rows, the batch has ${batch}`);
  const groups = new Map<MOAModel, number[]>();
  for (let r = 0; r < batch; r++) {
    const m = registry.model(owners.focal[r], owners.agent[r]);
    let rows = groups.get(m);
    if (!rows) groups.set(m, (rows = []));
    rows.push(r);
  }
  return groups;
}

/** Copies rows `rows` of a `[batch, width]` array into a fresh `[rows.length, width]` one. */
export function gatherWidth<T extends Float32Array | Uint8Array>(src: T, rows: readonly number[], width: number, make: (n: number) => T): T {
  const out = make(rows.length * width);
  rows.forEach((r, k) => out.set(src.subarray(r * width, (r + 1) * width), k * width));
  return out;
}

/**
 * The per-pair models of a registry as one co-player model for planners: row r is answered by
 * `player_{focal[r]}_to_{agent[r]}` (the generic model while the pair is shared). One network call per
 * distinct model in the batch. `runner(model)` says how a model is run (default: tfjs through
 * `toCoPlayerModel`; e.g. an ONNX Runtime engine's `coPlayerModel`).
 */
export function pairCoPlayerModel(
  registry: PairRegistry,
  runner: (model: MOAModel) => CoPlayerModel = toCoPlayerModel,
): (input: GoalBatch, owners: PairOwners) => Promise<CoPlayerModelOutput> {
  return async (input, owners) => {
    const { batch, goalDim } = input;
    const generic = registry.generic;
    if (goalDim !== generic.goalDim)
      throw new HopError('E_GOAL', `co-player model: GoalBatch.goalDim is ${goalDim} but the pair models expect ${generic.goalDim}`);
    const A = generic.numActions;
    const O = generic.observationSize;
    const groups = groupRowsByModel(registry, owners, batch);
    const probs = new Float32Array(batch * A);
    for (const [model, rows] of groups) {
      const whole = rows.length === batch;
      const sub: GoalBatch = whole
        ? input
        : {
            batch: rows.length,
            observations: gatherWidth(input.observations, rows, O, (n) => new Float32Array(n)),
            masks: gatherWidth(input.masks, rows, A, (n) => new Uint8Array(n)),
            times: Float32Array.from(rows, (r) => input.times[r]),
            goals: goalDim === 0 ? new Float32Array(0) : gatherWidth(input.goals, rows, goalDim, (n) => new Float32Array(n)),
            goalDim,
          };
      const v = (await runner(model)(sub)).probs;
      if (whole) probs.set(v);
      else rows.forEach((r, k) => probs.set(v.subarray(k * A, (k + 1) * A), r * A));
    }
    return { probs };
  };
}
