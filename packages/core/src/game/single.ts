import type { BatchedSimulator } from '../contracts/simulator';
import { HopError } from '../errors';

/**
 * One state at a time, for code outside a planner (collecting data, a game loop, a test): the batched calls
 * of any `BatchedSimulator` on the single state in `slot`, returning fresh arrays, so nobody builds
 * `SimViewBatch` objects or indexes batch buffers by hand. Planners keep the batched calls.
 */

/** Everything a learner reads from one state. Arrays are fresh (the caller may keep them). */
export interface StateView {
  /** `[numAgents, observationSize]`: each agent's own view. */
  observations: Float32Array;
  /** `[numAgents, numActions]`: 1 = valid (a done agent has only the no-op). */
  legalActions: Uint8Array;
  /** `[numAgents]`: 1 when that agent no longer acts. */
  agentDone: Uint8Array;
  /** `[numGoals]`: 1 when goal g can still be achieved. */
  goalsAvailable: Uint8Array;
  time: number;
  terminal: boolean;
}

function one(sim: BatchedSimulator, states: Int32Array, slot: number, call: string) {
  if (!Number.isInteger(slot) || slot < 0 || (slot + 1) * sim.stateWords > states.length)
    throw new HopError(
      'E_GAME',
      `${call}: slot ${slot} is outside the arena (${states.length} words hold ${Math.floor(states.length / sim.stateWords)} states of ${sim.stateWords} words)`,
    );
  return { states, slots: Int32Array.of(slot), count: 1 };
}

/** All agents' rows of `all` (`[numAgents, width]`), or `agent`'s row alone. */
function agentRows<T extends Float32Array | Uint8Array>(sim: BatchedSimulator, all: T, width: number, agent: number | undefined, call: string): T {
  if (agent === undefined) return all;
  if (!Number.isInteger(agent) || agent < 0 || agent >= sim.numAgents)
    throw new HopError('E_AGENT', `${call}: agent ${agent} does not exist (the game has ${sim.numAgents} agents)`);
  return all.slice(agent * width, (agent + 1) * width) as T;
}

/** The observations of the state in `slot`: every agent's `[numAgents, observationSize]`, or `agent`'s alone. */
export function observeState(sim: BatchedSimulator, states: Int32Array, slot: number, agent?: number): Float32Array {
  const out = new Float32Array(sim.numAgents * sim.observationSize);
  sim.observe(one(sim, states, slot, 'observeState'), out);
  return agentRows(sim, out, sim.observationSize, agent, 'observeState');
}

/** The legal-action masks of the state in `slot`: `[numAgents, numActions]`, or `agent`'s `[numActions]`. */
export function legalActionsOf(sim: BatchedSimulator, states: Int32Array, slot: number, agent?: number): Uint8Array {
  const out = new Uint8Array(sim.numAgents * sim.numActions);
  sim.legalActions(one(sim, states, slot, 'legalActionsOf'), out);
  return agentRows(sim, out, sim.numActions, agent, 'legalActionsOf');
}

/** Observations, legal actions, done agents, available goals, time and terminal flag of the state in `slot`. */
export function viewState(sim: BatchedSimulator, states: Int32Array, slot: number): StateView {
  const view = one(sim, states, slot, 'viewState');
  const legalActions = new Uint8Array(sim.numAgents * sim.numActions);
  const agentDone = new Uint8Array(sim.numAgents);
  const goalsAvailable = new Uint8Array(sim.numGoals);
  const time = new Float32Array(1);
  const terminal = new Uint8Array(1);
  sim.legalActions(view, legalActions);
  sim.agentDone(view, agentDone);
  if (sim.numGoals > 0) sim.goalsAvailable(view, goalsAvailable);
  sim.time(view, time);
  sim.terminal(view, terminal);
  return { observations: observeState(sim, states, slot), legalActions, agentDone, goalsAvailable, time: time[0], terminal: terminal[0] === 1 };
}

/** What one step of one state returned. */
export interface StateStep {
  /** `[numAgents]` rewards of the step. */
  rewards: Float32Array;
  /** The episode is over after the step. */
  terminal: boolean;
}

/**
 * Steps the state in `slot` with the joint action `actions` (`[numAgents]`), in place or into slot `to`.
 * Synchronous for a simulator whose `step` is (a `createGameSimulator` game); a promise otherwise.
 */
export function stepState(
  sim: BatchedSimulator & { step(batch: Parameters<BatchedSimulator['step']>[0]): void },
  states: Int32Array,
  slot: number,
  actions: ArrayLike<number>,
  to?: number,
): StateStep;
export function stepState(sim: BatchedSimulator, states: Int32Array, slot: number, actions: ArrayLike<number>, to?: number): StateStep | Promise<StateStep>;
export function stepState(sim: BatchedSimulator, states: Int32Array, slot: number, actions: ArrayLike<number>, to = slot): StateStep | Promise<StateStep> {
  one(sim, states, slot, 'stepState');
  one(sim, states, to, 'stepState');
  if (actions.length !== sim.numAgents)
    throw new HopError('E_SHAPE', `stepState: ${actions.length} actions given, the game has ${sim.numAgents} agents (one action each)`);
  const rewards = new Float32Array(sim.numAgents);
  const terminal = new Uint8Array(1);
  const batch = { states, from: Int32Array.of(slot), to: Int32Array.of(to), actions: Int32Array.from(actions), count: 1, rewards, terminal };
  const done = (): StateStep => ({ rewards, terminal: terminal[0] === 1 });
  const pending = sim.step(batch);
  return pending instanceof Promise ? pending.then(done) : done();
}
