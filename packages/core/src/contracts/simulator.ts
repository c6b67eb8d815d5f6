import type { MaybePromise } from './common';

/**
 * What a planner needs to know about a simulator without knowing the game.
 * States are fixed-size records of `stateWords` int32 words, stored side by side in one arena
 * (`Int32Array` of `capacity * stateWords`) and addressed by slot, so snapshot / restore is a copy of
 * `stateWords` words and a tree holds no objects per node.
 */
export interface SimulatorSpec {
  readonly numAgents: number;
  readonly numActions: number;
  readonly stateWords: number;
  /** Shape of one agent's observation, e.g. `[H, W, C]`. */
  readonly observationShape: readonly number[];
  /** Product of `observationShape`. */
  readonly observationSize: number;
}

/** Arguments of one batched step: `count` transitions, each from slot `from[k]` into slot `to[k]`. */
export interface SimStepBatch {
  /** The arena; `to[k]` may equal `from[k]` (step in place). */
  states: Int32Array;
  from: Int32Array;
  to: Int32Array;
  /** `[count, numAgents]` joint actions. Agents already done are ignored. */
  actions: Int32Array;
  count: number;
  /** Out: `[count, numAgents]` rewards of the step. */
  rewards: Float32Array;
  /** Out: `[count]` 1 when the episode is over after the step. */
  terminal: Uint8Array;
}

/** Views of `count` states, written into caller-owned buffers (no allocation per call). */
export interface SimViewBatch {
  states: Int32Array;
  slots: Int32Array;
  count: number;
}

/**
 * A batched simulator that planners snapshot, restore and step: the true environment, or a learned
 * world model behind the same contract.
 */
export interface BatchedSimulator extends SimulatorSpec {
  step(batch: SimStepBatch): MaybePromise<void>;
  /** Out `[count, numAgents, numActions]`: 1 = valid. A done agent has only its no-op valid. */
  legalActions(view: SimViewBatch, out: Uint8Array): void;
  /** Out `[count, numAgents]`: 1 when that agent no longer acts. */
  agentDone(view: SimViewBatch, out: Uint8Array): void;
  /** Out `[count, numAgents, observationSize]`: each agent's own view (its channel first). */
  observe(view: SimViewBatch, out: Float32Array): void;
  /** Out `[count]`: time step of each state. */
  time(view: SimViewBatch, out: Float32Array): void;
  /** Out `[count]`: 1 when the episode is over. */
  terminal(view: SimViewBatch, out: Uint8Array): void;
  /** Out `[count]`: a 32-bit hash of the whole state (Zobrist or similar), equal for equal states. */
  hash(view: SimViewBatch, out: Uint32Array): void;
  /** The action that means "do nothing" (used for done agents). */
  readonly noopAction: number;
  /**
   * Number of discrete goals a co-player can pursue (for the stag hunt: stag, hare). Planners that sample
   * goal orderings use the first goal of an ordering that is still available.
   */
  readonly numGoals: number;
  /** Out `[count, numGoals]`: 1 when goal g can still be achieved in that state. */
  goalsAvailable(view: SimViewBatch, out: Uint8Array): void;
}

/**
 * The reward rule of a hunting game: the rewards of one step from who caught what. The environment that
 * owns the rule implements it (`@hop/env-staghunt`'s `stagHuntRewards`, the same code its step runs), and a
 * simulator that only predicts the catch (`@hop/world-model`'s planning adapter) is handed it, so the rule
 * is written once. Inputs are per player `p` in `[0, players)`:
 * - `acting[p]`: 1 when the player was in play before the step (its action counted), else 0;
 * - `caught[p]`: the goal (prey kind, the simulator's goal index) the player caught this step, or -1;
 * - `group[p]`: which prey it caught: players with the same `caught` and `group` caught one prey together
 *   (a prey index, or the cell).
 */
export interface CatchRewards {
  readonly players: number;
  /** Writes every player's reward at `rewards[off + p]` (0 for players not acting). */
  write(
    acting: ArrayLike<number>,
    caught: ArrayLike<number>,
    group: ArrayLike<number>,
    rewards: Float32Array,
    off: number,
  ): void;
}
