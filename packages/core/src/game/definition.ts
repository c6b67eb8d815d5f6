import { HopError } from '../errors';
import type { Rng } from '../rng/rng';

/** Named int32 fields of a game state and how many words each holds, e.g. `{ pos: 2, coin: 3 }`. */
export type StateLayout = Readonly<Record<string, number>>;

/**
 * One state as a game's rules see it: an `Int32Array` per field of the layout, plus the time step that the
 * simulator keeps (0 after `reset`, +1 after every step). Writes to the fields are the state change.
 */
export type GameState<L extends StateLayout> = { readonly [K in keyof L]: Int32Array } & { readonly time: number };

/** The goals co-players may pursue (what a planner samples goal orderings over). */
export interface GameGoals<L extends StateLayout> {
  /** Number of discrete goals. */
  count: number;
  /** Write 1 into `out[g]` when goal g can still be achieved in `state` (`out` arrives all 1). Default: always. */
  available?(state: GameState<L>, out: Uint8Array): void;
}

/**
 * A game written as plain rules over ONE state; `createGameSimulator` turns it into the batched,
 * slot-addressed `BatchedSimulator` planners search. Every function receives a state whose fields are
 * scratch copies: reading and writing them is safe, keeping them after the call is not.
 */
export interface GameDefinition<L extends StateLayout> {
  numAgents: number;
  numActions: number;
  /** The state's int32 fields and their lengths (the simulator lays them out after the time step). */
  state: L;
  /** Shape of one agent's observation (`[D]` for flat vectors, `[H, W, C]` for grids). */
  observationShape: readonly number[];
  /** The episode ends when the time step reaches this (after `maxSteps` steps), if not earlier. */
  maxSteps: number;
  /** Fill a fresh state (all fields arrive zeroed); draw any randomness from `rng`. */
  reset(state: GameState<L>, rng: Rng): void;
  /**
   * One joint step in place: `actions[i]` is agent i's action (-1 for an agent already done), write each
   * agent's reward into `rewards[i]` (arrives zeroed). The time step advances by itself afterwards.
   */
  step(state: GameState<L>, actions: Int32Array, rewards: Float32Array): void;
  /** Write 1 into `mask[a]` for each action agent `agent` may take (`mask` arrives zeroed). Done agents are not asked. */
  legalActions(state: GameState<L>, agent: number, mask: Uint8Array): void;
  /** Write agent `agent`'s own view of the state into `out` (arrives zeroed, `observationSize` floats). */
  observe(state: GameState<L>, agent: number, out: Float32Array): void;
  /** Agent `agent` no longer acts (default: agents act until the episode ends). */
  agentDone?(state: GameState<L>, agent: number): boolean;
  /** The episode is over before `maxSteps` (default: only when every agent is done). */
  terminal?(state: GameState<L>): boolean;
  /** Goals for goal-conditioned co-player models (default: none, `numGoals = 0`). */
  goals?: GameGoals<L>;
  /**
   * The action a done agent is handed (the contract's no-op) and the one a terminal root returns. It never
   * reaches `step` (done agents' actions arrive as -1), so a game without a "stay" action needs none: the
   * default 0 only has to be an action index.
   */
  noopAction?: number;
  /** Check every action `step` receives against `legalActions` and throw on an illegal one (for tests; default false). */
  strict?: boolean;
}

const RESERVED = new Set(['time']);

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new HopError('E_GAME', `game definition: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Checks the numbers and functions of a definition; every mistake is a HopError naming the field. */
export function checkGameDefinition<L extends StateLayout>(def: GameDefinition<L>): void {
  positiveInt('numAgents', def.numAgents);
  positiveInt('numActions', def.numActions);
  positiveInt('maxSteps', def.maxSteps);
  if (!def.state || typeof def.state !== 'object' || Object.keys(def.state).length === 0)
    throw new HopError('E_GAME', 'game definition: state must name at least one field, e.g. { pos: 2 }');
  for (const [name, words] of Object.entries(def.state)) {
    if (RESERVED.has(name))
      throw new HopError('E_GAME', `game definition: state field "${name}" is reserved (the simulator keeps the time step); rename it`);
    positiveInt(`state.${name}`, words);
  }
  if (!Array.isArray(def.observationShape) || def.observationShape.length === 0)
    throw new HopError('E_GAME', 'game definition: observationShape must be a non-empty array such as [25]');
  def.observationShape.forEach((d, i) => positiveInt(`observationShape[${i}]`, d));
  for (const fn of ['reset', 'step', 'legalActions', 'observe'] as const)
    if (typeof def[fn] !== 'function') throw new HopError('E_GAME', `game definition: ${fn} must be a function`);
  for (const fn of ['agentDone', 'terminal'] as const)
    if (def[fn] !== undefined && typeof def[fn] !== 'function')
      throw new HopError('E_GAME', `game definition: ${fn} must be a function when given`);
  const noop = def.noopAction ?? 0;
  if (!Number.isInteger(noop) || noop < 0 || noop >= def.numActions)
    throw new HopError('E_GAME', `game definition: noopAction ${noop} is not an action in [0, ${def.numActions})`);
  if (def.goals !== undefined) {
    positiveInt('goals.count', def.goals.count);
    if (def.goals.available !== undefined && typeof def.goals.available !== 'function')
      throw new HopError('E_GAME', 'game definition: goals.available must be a function when given');
  }
}
