import type { AgentId, PerAgent } from './common';

/**
 * The observation of one agent in a grid world: channels-last grid with the observer's own channel first,
 * its action mask next to it, and the time step.
 */
export interface GridObservation {
  /** `[H, W, C]` channels-last, float32, C-order. */
  readonly grid: Float32Array;
  readonly shape: readonly [number, number, number];
  /** One entry per action: 1 = valid. */
  readonly actionMask: Uint8Array;
  readonly time: number;
}

/** PettingZoo parallel `reset` result: the first observation of every agent. */
export interface ResetResult<Obs, Info> {
  observations: PerAgent<Obs>;
  infos: PerAgent<Info>;
}

/** PettingZoo parallel `step` result: everything keyed by the agents that acted. */
export interface StepResult<Obs, Info> {
  observations: PerAgent<Obs>;
  rewards: PerAgent<number>;
  /** The agent finished for a reason of the game (it hunted, or everybody did). */
  terminations: PerAgent<boolean>;
  /** The agent was cut off by the time limit. */
  truncations: PerAgent<boolean>;
  infos: PerAgent<Info>;
}

/**
 * A multi-agent environment in the PettingZoo Parallel convention: all live agents act at once.
 * `agents` lists the live agents; an agent that terminated or was truncated leaves it.
 */
export interface ParallelEnv<Obs = GridObservation, Action = number, Info = Record<string, unknown>> {
  /** Every agent that can ever play, in a fixed order (index = agent number in records). */
  readonly possibleAgents: readonly AgentId[];
  /** Agents still acting; empty when the episode is over. */
  readonly agents: readonly AgentId[];
  readonly numActions: number;
  /** Starts an episode; the same seed gives the same episode (all randomness comes from it). */
  reset(seed?: number): ResetResult<Obs, Info>;
  /**
   * Advances all live agents at once. `actions` holds one action per agent in `agents`; the result is
   * keyed by those agents, and agents that terminated or were truncated leave `agents` afterwards.
   */
  step(actions: PerAgent<Action>): StepResult<Obs, Info>;
  /** One entry per action, 1 = valid now (the same mask as in the agent's observation). */
  actionMask(agent: AgentId): Uint8Array;
}
