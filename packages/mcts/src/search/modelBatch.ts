import { HopError } from '@hop/core/base';
import type { ObservationBatch, SimViewBatch } from '@hop/core/base';
import type { RowOwners } from '../types';
import { OutputCache } from './cache';
import type { GuardedSimulator } from './simulator';

/** Sizes and shared buffers of a `ModelBatch`. */
export interface ModelBatchOptions {
  /** 'evaluator' or 'co-player model', for messages. */
  name: string;
  /** The arena's states (the nodes' simulator states). */
  states: Int32Array;
  /** Longest node list and most rows per call. */
  maxNodes: number;
  maxRows: number;
  numAgents: number;
  numActions: number;
  obsSize: number;
  /** Goal vector width of a goal-conditioned model; undefined for a model without goal input. */
  goalDim?: number;
  /** Rows carry every agent's current goal in the row's tree (`RowOwners.coGoals`). */
  withCoGoals?: boolean;
  cacheWidth: number;
  cacheEnabled: boolean;
  cacheCapacity: number;
  /**
   * `[maxNodes, numAgents, obsSize]` where `observe` writes; the two batches of a search share one (they run
   * one after the other), which keeps the search's memory footprint small.
   */
  observations: Float32Array;
}

/**
 * One batched model call over a list of nodes, shared by the evaluator and the co-player model: the caller
 * looks each (node, agent, goal) up in `cache` and turns each miss into a row (`addRow`); `observe` observes
 * the nodes that have a row (one simulator call), `assemble` builds the rows' observations, masks, times and
 * goal vectors, and `call` makes ONE call to the model with the rows' owners. The caller stores the output in the
 * cache entries `entry[r]` and reads every request's output from its entry.
 */
export class ModelBatch {
  readonly name: string;
  readonly withGoals: boolean;
  readonly goalDim: number;
  readonly cache: OutputCache;
  private readonly numAgents: number;
  private readonly numActions: number;
  private readonly obsSize: number;
  rows = 0;
  /** Cache hits since `begin` (duplicates inside one batch included). */
  hits = 0;
  /** `[rows]` cache entry, node-list index, agent and goal (-1: none) of each row. */
  readonly entry: Int32Array;
  readonly node: Int32Array;
  readonly agent: Int32Array;
  readonly goal: Int32Array;
  /** `[rows]` focal agent of the row's tree. */
  readonly focal: Int32Array;
  readonly obs: Float32Array;
  readonly masks: Uint8Array;
  readonly times: Float32Array;
  readonly goals: Float32Array;
  /** `[rows, numAgents]` every agent's goal in the row's tree (filled by the caller), or undefined. */
  readonly coGoals: Int32Array | undefined;
  /** `[nodes]` position of each node-list entry in the observe batch (valid for nodes with a row). */
  private readonly obsIndex: Int32Array;
  private readonly obsSlots: Int32Array;
  private readonly obsView: SimViewBatch;
  private readonly obsOut: Float32Array;
  private observed = 0;
  private lastNode = -1;

  constructor(opts: ModelBatchOptions) {
    this.name = opts.name;
    this.withGoals = opts.goalDim !== undefined;
    this.goalDim = opts.goalDim ?? 0;
    this.numAgents = opts.numAgents;
    this.numActions = opts.numActions;
    this.obsSize = opts.obsSize;
    const { maxNodes, maxRows } = opts;
    this.cache = new OutputCache(opts.cacheCapacity, opts.cacheWidth, opts.cacheEnabled);
    this.entry = new Int32Array(maxRows);
    this.node = new Int32Array(maxRows);
    this.agent = new Int32Array(maxRows);
    this.goal = new Int32Array(maxRows);
    this.focal = new Int32Array(maxRows);
    this.obs = new Float32Array(maxRows * this.obsSize);
    this.masks = new Uint8Array(maxRows * this.numActions);
    this.times = new Float32Array(maxRows);
    this.goals = new Float32Array(Math.max(1, maxRows * this.goalDim));
    this.coGoals = opts.withCoGoals === true ? new Int32Array(maxRows * this.numAgents) : undefined;
    this.obsIndex = new Int32Array(maxNodes);
    this.obsSlots = new Int32Array(maxNodes);
    this.obsView = { states: opts.states, slots: this.obsSlots, count: 0 };
    this.obsOut = opts.observations;
  }

  begin(): void {
    this.rows = 0;
    this.hits = 0;
    this.observed = 0;
    this.lastNode = -1;
  }

  /** Counts a cache hit (the caller looked the request up in `cache`); returns the entry. */
  hit(e: number): number {
    this.hits++;
    return e;
  }

  /**
   * Makes a missed request a row of the next call: cache entry `e` (to fill), node-list entry `i` (arena node
   * `g`), the agent whose output it is, its goal (-1: none) and the focal agent of its tree. Rows of one
   * node must come one after the other (its state is observed once). Returns `e`.
   */
  addRow(e: number, i: number, g: number, agent: number, goal: number, focal: number): number {
    const r = this.rows++;
    this.entry[r] = e;
    this.node[r] = i;
    this.agent[r] = agent;
    this.goal[r] = goal;
    this.focal[r] = focal;
    if (this.lastNode !== i) {
      this.lastNode = i;
      this.obsIndex[i] = this.observed;
      this.obsSlots[this.observed++] = g;
    }
    return e;
  }

  /** Observes the nodes with a row (one simulator call). */
  observe(sim: GuardedSimulator): void {
    if (this.observed === 0) return;
    this.obsView.count = this.observed;
    sim.observe(this.obsView, this.obsOut);
  }

  /**
   * Assembles the rows from the observations, the node list's masks `[nodes, numAgents, numActions]` and
   * times, and the goal vectors `[numGoals, goalDim]`.
   */
  assemble(legal: Uint8Array, times: Float32Array, goalVectors: Float32Array): void {
    const P = this.numAgents;
    const A = this.numActions;
    const O = this.obsSize;
    const GD = this.goalDim;
    const { node, agent, goal, obsIndex, obsOut, obs, masks } = this;
    for (let r = 0; r < this.rows; r++) {
      const i = node[r];
      const j = agent[r];
      copyRow(obsOut, (obsIndex[i] * P + j) * O, obs, r * O, O);
      copyMask(legal, (i * P + j) * A, masks, r * A, A);
      this.times[r] = times[i];
      if (GD > 0) copyRow(goalVectors, goal[r] * GD, this.goals, r * GD, GD);
    }
  }

  /**
   * ONE call of `model` on the assembled rows; an error thrown inside it says which of the planner's two
   * models failed and with what batch (a tensor shape error deep in a network otherwise names neither).
   */
  async call<I extends ObservationBatch, O>(model: (input: I, owners: RowOwners) => O | Promise<O>): Promise<O> {
    const n = this.rows;
    const O = this.obsSize;
    const A = this.numActions;
    const GD = this.goalDim;
    const observations = this.obs.subarray(0, n * O);
    const masks = this.masks.subarray(0, n * A);
    const times = this.times.subarray(0, n);
    const input = (
      this.withGoals
        ? { batch: n, observations, masks, times, goals: this.goals.subarray(0, n * GD), goalDim: GD }
        : { batch: n, observations, masks, times }
    ) as I;
    const owners: RowOwners = { focal: this.focal.subarray(0, n), agent: this.agent.subarray(0, n) };
    if (this.coGoals !== undefined) owners.coGoals = this.coGoals.subarray(0, n * this.numAgents);
    try {
      return await model(input, owners);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const code = e instanceof HopError ? e.code : 'E_MODEL';
      const shapes = `observations [${n}, ${O}], masks [${n}, ${A}]` + (this.withGoals ? `, goals [${n}, ${GD}]` : '');
      throw new HopError(code, `the planner's ${this.name} failed on a batch of ${shapes}: ${msg}`, { cause: e });
    }
  }
}

function copyRow(src: Float32Array, so: number, dst: Float32Array, d: number, n: number): void {
  for (let k = 0; k < n; k++) dst[d + k] = src[so + k];
}

function copyMask(src: Uint8Array, so: number, dst: Uint8Array, d: number, n: number): void {
  for (let k = 0; k < n; k++) dst[d + k] = src[so + k];
}
