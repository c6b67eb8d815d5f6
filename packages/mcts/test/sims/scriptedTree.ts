import type { BatchedSimulator, EvaluatorOutput, ObservationBatch, SimStepBatch, SimViewBatch } from '@hop/core';

/**
 * A single-agent game whose states are paths: the root has code 0, the child of code c under action a has
 * code 2c + a + 1 (actions 0 and 1). Rewards, terminal codes, priors and values come from tables, so a test
 * can write a tree by hand. State words: [depth, code]. Observation: [depth, code].
 */
export interface ScriptedTreeSpec {
  /** Reward for taking action a in the state with code c, keyed `${c}:${a}`; 0 when absent. */
  rewards?: Record<string, number>;
  /** Codes of terminal states. */
  terminal?: number[];
  /** Evaluator output per code: prior probabilities of actions 0 / 1 and the value. */
  evals: Record<number, { p: [number, number]; v: number }>;
  /** Evaluation of every code not in `evals` (otherwise a missing code is an error). */
  defaultEval?: { p: [number, number]; v: number };
}

export class ScriptedTree implements BatchedSimulator {
  readonly numAgents = 1;
  readonly numActions = 2;
  readonly stateWords = 2;
  readonly observationShape = [2];
  readonly observationSize = 2;
  readonly noopAction = 0;
  readonly numGoals = 0;
  constructor(readonly spec: ScriptedTreeSpec) {}

  step(batch: SimStepBatch): void {
    for (let k = 0; k < batch.count; k++) {
      const c = batch.states[batch.from[k] * 2 + 1];
      const a = batch.actions[k];
      const d = batch.states[batch.from[k] * 2];
      const next = 2 * c + a + 1;
      batch.states[batch.to[k] * 2] = d + 1;
      batch.states[batch.to[k] * 2 + 1] = next;
      batch.rewards[k] = this.spec.rewards?.[`${c}:${a}`] ?? 0;
      batch.terminal[k] = this.spec.terminal?.includes(next) ? 1 : 0;
    }
  }
  legalActions(view: SimViewBatch, out: Uint8Array): void {
    out.fill(1, 0, view.count * 2);
  }
  agentDone(view: SimViewBatch, out: Uint8Array): void {
    out.fill(0, 0, view.count);
  }
  observe(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) {
      out[2 * k] = view.states[view.slots[k] * 2];
      out[2 * k + 1] = view.states[view.slots[k] * 2 + 1];
    }
  }
  time(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * 2];
  }
  terminal(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) out[k] = this.spec.terminal?.includes(view.states[view.slots[k] * 2 + 1]) ? 1 : 0;
  }
  hash(view: SimViewBatch, out: Uint32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * 2 + 1] >>> 0;
  }
  goalsAvailable(): void {}

  /** The evaluator reading the tables (logits = log p). */
  evaluator = (input: ObservationBatch): EvaluatorOutput => {
    const logits = new Float32Array(input.batch * 2);
    const values = new Float32Array(input.batch);
    for (let r = 0; r < input.batch; r++) {
      const e = this.spec.evals[input.observations[2 * r + 1]] ?? this.spec.defaultEval;
      if (!e) throw new Error(`no evaluation scripted for code ${input.observations[2 * r + 1]}`);
      logits[2 * r] = Math.log(e.p[0]);
      logits[2 * r + 1] = Math.log(e.p[1]);
      values[r] = e.v;
    }
    return { logits, values };
  };
}
