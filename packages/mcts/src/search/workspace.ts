import { HopError } from '@hop/core/base';
import type { BatchedSimulator, SimStepBatch, SimViewBatch } from '@hop/core/base';
import type { MctsConfig } from '../config';
import { TreeArena } from '../tree/arena';
import type { EdgeList, NodeList } from './frontier';
import { nodeList } from './frontier';
import { ModelBatch } from './modelBatch';

/**
 * Everything one search call works on, allocated once per number of trees B: the trees (`arena`), the
 * node lists the phases hand each other, the simulator's output buffers (rows follow the node list being
 * viewed) and the two model batches with their caches. Nothing here allocates per simulation.
 */
export class Workspace {
  readonly arena: TreeArena;
  /** `[B]` descents each tree still gets in this call (fresh roots: numSimulations - 1, reused: numSimulations). */
  readonly budget: Int32Array;
  /** Selection's output: one leaf per searched tree, the new edges, and the nodes needing co-player actions. */
  readonly leaves: NodeList;
  readonly edges: EdgeList;
  readonly needCoPlayers: NodeList;
  /** Nodes to evaluate (fresh roots, then each step's new non-terminal leaves). */
  readonly toEvaluate: NodeList;

  /** Simulator views over a node list (`viewSlots`), over the new children, and the step batch. */
  readonly viewSlots: Int32Array;
  readonly nodeView: SimViewBatch;
  readonly childView: SimViewBatch;
  readonly stepBatch: SimStepBatch;
  /** Simulator outputs `[nodes, numAgents, numActions]`, `[nodes, numAgents]`, `[nodes, numGoals]`, `[nodes]`. */
  readonly legal: Uint8Array;
  readonly done: Uint8Array;
  readonly goalsAvailable: Uint8Array;
  readonly time: Float32Array;
  readonly hash: Uint32Array;
  readonly terminal: Uint8Array;

  readonly evaluator: ModelBatch;
  readonly coPlayer: ModelBatch;
  /** `[nodes]` evaluator cache entry of each node of `toEvaluate`. */
  readonly evalEntry: Int32Array;
  /** `[nodes, numAgents]` co-player cache entry of each node of `needCoPlayers`; -1 uniform ("none"), -2 done (no-op). */
  readonly coEntry: Int32Array;
  /** `[numActions]` sampling weights. */
  readonly weights: Float64Array;

  constructor(B: number, maxNodes: number, sim: BatchedSimulator, config: MctsConfig, goalDim: number) {
    const A = sim.numActions;
    const P = sim.numAgents;
    const G = sim.numGoals;
    const C = Math.max(1, P - 1);
    const arena = new TreeArena(B, maxNodes, A, P, sim.stateWords);
    this.arena = arena;
    this.budget = new Int32Array(B);
    this.leaves = nodeList(B);
    this.needCoPlayers = nodeList(B);
    this.toEvaluate = nodeList(B);
    const from = new Int32Array(B);
    const to = new Int32Array(B);
    this.edges = { tree: new Int32Array(B), action: new Int32Array(B), from, to, count: 0 };
    this.viewSlots = new Int32Array(B);
    const states = arena.states;
    this.nodeView = { states, slots: this.viewSlots, count: 0 };
    this.childView = { states, slots: to, count: 0 };
    this.stepBatch = {
      states,
      from,
      to,
      actions: new Int32Array(B * P),
      count: 0,
      rewards: new Float32Array(B * P),
      terminal: new Uint8Array(B),
    };
    this.legal = new Uint8Array(B * P * A);
    this.done = new Uint8Array(B * P);
    this.goalsAvailable = new Uint8Array(Math.max(1, B * G));
    this.time = new Float32Array(B);
    this.hash = new Uint32Array(B);
    this.terminal = new Uint8Array(B);
    const nodes = B * maxNodes;
    if (config.evaluatorCoPlayerGoals && (G + 1) ** P > 0x7fffffff)
      throw new HopError(
        'E_CONFIG',
        `evaluatorCoPlayerGoals keys the evaluator cache by every agent's goal, which needs (numGoals + 1)^numAgents = ${G + 1}^${P} <= 2^31 - 1; use fewer goals or agents, or leave the option off`,
      );
    const common = {
      states,
      maxNodes: B,
      numAgents: P,
      numActions: A,
      obsSize: sim.observationSize,
      cacheEnabled: config.cache,
      observations: new Float32Array(B * P * sim.observationSize),
    };
    this.evaluator = new ModelBatch({
      ...common,
      name: 'evaluator',
      maxRows: B,
      cacheWidth: A + 1,
      cacheCapacity: nodes,
      withCoGoals: config.evaluatorCoPlayerGoals,
    });
    this.coPlayer = new ModelBatch({
      ...common,
      name: 'co-player model',
      maxRows: B * C,
      goalDim,
      cacheWidth: A,
      cacheCapacity: nodes * C,
    });
    this.evalEntry = new Int32Array(B);
    this.coEntry = new Int32Array(B * P);
    this.weights = new Float64Array(A);
  }

  /** Points the simulator view at the nodes of `list`. */
  viewOf(list: NodeList): SimViewBatch {
    for (let i = 0; i < list.count; i++) this.viewSlots[i] = list.node[i];
    this.nodeView.count = list.count;
    return this.nodeView;
  }
}
