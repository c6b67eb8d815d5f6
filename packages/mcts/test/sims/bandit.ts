import type { BatchedSimulator, EvaluatorOutput, ObservationBatch, SimStepBatch, SimViewBatch } from '@hop/core';

/**
 * A one-step bandit: K arms with fixed rewards, the episode ends after one pull. State words: [pulled].
 * The evaluator returns fixed prior logits (possibly misleading) and value 0.
 */
export class Bandit implements BatchedSimulator {
  readonly numAgents = 1;
  readonly numActions: number;
  readonly stateWords = 1;
  readonly observationShape = [1];
  readonly observationSize = 1;
  readonly noopAction = 0;
  readonly numGoals = 0;

  constructor(
    readonly rewards: number[],
    readonly priorLogits: number[],
  ) {
    this.numActions = rewards.length;
  }

  step(batch: SimStepBatch): void {
    for (let k = 0; k < batch.count; k++) {
      batch.states[batch.to[k]] = 1;
      batch.rewards[k] = this.rewards[batch.actions[k]];
      batch.terminal[k] = 1;
    }
  }
  legalActions(view: SimViewBatch, out: Uint8Array): void {
    out.fill(1, 0, view.count * this.numActions);
  }
  agentDone(view: SimViewBatch, out: Uint8Array): void {
    out.fill(0, 0, view.count);
  }
  observe(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k]];
  }
  time(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k]];
  }
  terminal(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k]];
  }
  hash(view: SimViewBatch, out: Uint32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k]];
  }
  goalsAvailable(): void {}

  evaluator = (input: ObservationBatch): EvaluatorOutput => {
    const K = this.numActions;
    const logits = new Float32Array(input.batch * K);
    for (let r = 0; r < input.batch; r++) for (let a = 0; a < K; a++) logits[r * K + a] = this.priorLogits[a];
    return { logits, values: new Float32Array(input.batch) };
  };
}
