import * as tf from '@tensorflow/tfjs';
import { HopError } from '@hop/core';
import type { EvaluatorOutput, ObservationBatch } from '@hop/core';
import type { RowOwners } from '@hop/mcts';
import type { MOAModel } from '@hop/moa';

/**
 * Goal-conditioned focal policy / value (`--focal-goals co-player`): besides its observation the focal network
 * reads, per agent, a one-hot of the goal that agent is going for (`numGoals` goals + "none"; the focal agent's
 * own slot is always "none"). Inside tree k of a search the goals are the ones tree k sampled (mcts'
 * `evaluatorCoPlayerGoals`), so a leaf's value knows whether a partner for the stag is coming; in training the
 * input is each co-player's hindsight goal (the goal it achieved at or after that step).
 */
export type FocalGoalsMode = 'off' | 'co-player';

/** Width of the focal network's goal input: `numAgents * (numGoals + 1)`. */
export function focalGoalDim(numAgents: number, numGoals: number): number {
  return numAgents * (numGoals + 1);
}

/**
 * One-hot goal inputs `[batch, numAgents * (numGoals + 1)]` of per-agent goal indices `[batch, numAgents]`
 * (-1 or out of range: "none", the last slot of each agent's block).
 */
export function encodeCoGoals(goals: Int32Array, batch: number, numAgents: number, numGoals: number): Float32Array {
  const W = numGoals + 1;
  const out = new Float32Array(batch * numAgents * W);
  for (let r = 0; r < batch; r++)
    for (let j = 0; j < numAgents; j++) {
      const g = goals[r * numAgents + j];
      out[(r * numAgents + j) * W + (g >= 0 && g < numGoals ? g : numGoals)] = 1;
    }
  return out;
}

/**
 * Which label stands for a co-player's goal in the focal network's training input (`--focal-goal-labels`):
 * `hindsight` = the goal it achieved at or after that step; `committed` = for a rule co-player
 * (`--co-player-mix`) the goal it was committed to, achieved or not, while a prey of that kind is left ("none"
 * after, as in a tree), and the hindsight label for planners. Hindsight labels only name goals that were reached, so a partner labelled "stag" is one that
 * caught a stag and the value learns to trust that label more than a search's sampled goal deserves.
 */
export type FocalGoalLabels = 'hindsight' | 'committed';

/**
 * The co-player goals of every sample row `[n, numAgents]`: for the row of player i at (env, episode, time),
 * each other player's goal label at the same step (its hindsight `goal` there, or with `committed` a rule
 * co-player's `intent`; -1 when it has no row there, i.e. it was already done, or achieved nothing); player
 * i's own slot is -1.
 */
export function coPlayerGoalLabels(
  s: {
    count: number;
    player: ArrayLike<number>;
    env: ArrayLike<number>;
    episode: ArrayLike<number>;
    time: ArrayLike<number>;
    goal: ArrayLike<number>;
    intent?: ArrayLike<number>;
  },
  numAgents: number,
  labels: FocalGoalLabels = 'hindsight',
): Int32Array {
  const n = s.count;
  const P = numAgents;
  const intent = labels === 'committed' ? s.intent : undefined;
  if (labels === 'committed' && intent === undefined)
    throw new HopError('E_CONFIG', '--focal-goal-labels committed needs the rows\' intents (rollout samples carry them)');
  const key = (k: number) => `${s.env[k]}|${s.episode[k]}|${s.time[k]}`;
  const byStep = new Map<string, Int32Array>();
  for (let k = 0; k < n; k++) {
    let row = byStep.get(key(k));
    if (!row) byStep.set(key(k), (row = new Int32Array(P).fill(-1)));
    row[s.player[k]] = intent !== undefined && intent[k] >= 0 ? intent[k] : s.goal[k];
  }
  const out = new Int32Array(n * P);
  for (let k = 0; k < n; k++) {
    const row = byStep.get(key(k))!;
    for (let j = 0; j < P; j++) out[k * P + j] = j === s.player[k] ? -1 : row[j];
  }
  return out;
}

/**
 * Goal indices `[numAgents]` for a decision outside a tree (root without search, the `no-search` variant): each
 * co-player's most believed goal from focal's beliefs `[numAgents, numGoals]`; -1 for the focal agent.
 */
export function beliefArgmaxGoals(belief: Float32Array, focal: number, numAgents: number, numGoals: number): Int32Array {
  const out = new Int32Array(numAgents).fill(-1);
  for (let j = 0; j < numAgents; j++) {
    if (j === focal || numGoals === 0) continue;
    let best = 0;
    for (let g = 1; g < numGoals; g++) if (belief[j * numGoals + g] > belief[j * numGoals + best]) best = g;
    out[j] = best;
  }
  return out;
}

/**
 * The planner's evaluator over a goal-conditioned focal network: reads each row's co-player goals from
 * `owners.coGoals` (the planner must run with `evaluatorCoPlayerGoals`). Runs on tfjs over the live weights
 * (the ONNX engines take one goal per call, not per row).
 */
export function goalConditionedEvaluator(model: MOAModel, numAgents: number, numGoals: number) {
  const d = focalGoalDim(numAgents, numGoals);
  if (model.goalDim !== d)
    throw new HopError('E_CONFIG', `the focal network takes goals of width ${model.goalDim}; --focal-goals co-player needs ${numAgents} x (${numGoals} + 1) = ${d}`);
  return (input: ObservationBatch, owners: Pick<RowOwners, 'coGoals'>): EvaluatorOutput => {
    if (owners.coGoals === undefined)
      throw new HopError('E_CONFIG', 'a goal-conditioned focal network needs the planner option evaluatorCoPlayerGoals (rows without co-player goals)');
    return evaluateWithGoals(model, input, encodeCoGoals(owners.coGoals, input.batch, numAgents, numGoals));
  };
}

/** Raw logits and values of a goal-conditioned focal network for rows with their own goal inputs. */
export function evaluateWithGoals(model: MOAModel, input: ObservationBatch, goals: Float32Array): EvaluatorOutput {
  const out = tf.tidy(() => {
    const x = model.inputTensors({ obs: input.observations, mask: input.masks, time: input.times }, false);
    const { logits, value } = model.rawForward(x, tf.tensor2d(goals, [x.batch, model.goalDim]));
    return [logits, value];
  });
  const logits = out[0].dataSync() as Float32Array;
  const values = out[1].dataSync() as Float32Array;
  tf.dispose(out);
  return { logits, values };
}

/** One-hot co-player goal inputs `[n, focalGoalDim]` of sample rows, from their goal labels. */
export function focalGoalInputs(
  s: Parameters<typeof coPlayerGoalLabels>[0],
  numAgents: number,
  numGoals: number,
  labels: FocalGoalLabels = 'hindsight',
): Float32Array {
  return encodeCoGoals(coPlayerGoalLabels(s, numAgents, labels), s.count, numAgents, numGoals);
}

/**
 * The learner batch of a rollout: unchanged for a goal-free focal network; with the co-players' goal labels
 * (`labels`) as goal inputs for a goal-conditioned one.
 */
export function withFocalGoals<S extends Parameters<typeof coPlayerGoalLabels>[0]>(
  samples: S,
  policy: MOAModel,
  game: { numAgents: number; numGoals: number },
  labels: FocalGoalLabels = 'hindsight',
): S & { goals?: Float32Array } {
  if (policy.goalDim === 0) return samples;
  return { ...samples, goals: focalGoalInputs(samples, game.numAgents, game.numGoals, labels) };
}

/** `--focal-goals co-player` needs goals to condition on: refuses it for an algorithm without them (direct-om). */
export function checkFocalGoals(mode: FocalGoalsMode, algo: { name: string; coPlayerGoals: 'goals' | 'none' }): void {
  if (mode === 'co-player' && algo.coPlayerGoals === 'none')
    throw new HopError(
      'E_CONFIG',
      `--focal-goals co-player conditions the focal value on the co-players' goals; --algo ${algo.name} models co-players without goals (no beliefs, no sampled goals), so there is nothing to condition on. Leave --focal-goals off`,
    );
}
