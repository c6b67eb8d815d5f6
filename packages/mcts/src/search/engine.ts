import { HopError, Rng, deriveSeed } from '@hop/core/base';
import type { BatchedSimulator } from '@hop/core/base';
import type { MctsConfig } from '../config';
import { nodesPerTree } from '../config';
import type { TreeArena } from '../tree/arena';
import type { SearchCoPlayerModel, SearchCounts, SearchEvaluator, SearchInput, SearchTiming } from '../types';
import { backup } from './backup';
import type { ActionSelector, SelectionContext } from './context';
import { evaluateNodes, sampleCoPlayers, stepEdges, type Expansion } from './expand';
import { pushNode } from './frontier';
import { validateInput } from './input';
import { selectLeaves } from './select';
import { GuardedSimulator } from './simulator';
import { Workspace } from './workspace';

/** What a policy plugs into the shared search loop (mctx's root / interior action selection functions). */
export interface SearchVariant {
  root: ActionSelector;
  interior: ActionSelector;
  /** Called once the roots are evaluated, before the first simulation (noise, Gumbel draws). */
  prepareRoots(engine: SearchEngine, run: SearchRun): void;
}

/** The state of one search call that policies read to build their decision. */
export interface SearchRun {
  numDecisions: number;
  numTrees: number;
  /** `[D]` decision streams (root Gumbel noise, the final draw). */
  decisionRngs: Rng[];
  /** `[B]` tree streams (co-player actions, Dirichlet noise). */
  treeRngs: Rng[];
  /** `[B]` sum / count of simulation leaf depths. */
  leafDepthSum: Float64Array;
  leafCount: Int32Array;
  /** `[B]` deepest node. */
  maxDepth: Int32Array;
  timing: SearchTiming;
  counts: SearchCounts;
}

export interface SearchEngineOptions {
  simulator: BatchedSimulator;
  evaluator: SearchEvaluator;
  coPlayerModel: SearchCoPlayerModel;
  /** `[numGoals, goalDim]` vector the co-player model receives for each discrete goal; one-hot by default. */
  goalVectors?: Float32Array;
  goalDim?: number;
}

const now = (): number => performance.now();

function emptyCounts(): SearchCounts {
  return {
    simulationSteps: 0,
    evaluatorCalls: 0,
    coPlayerCalls: 0,
    simulatorSteps: 0,
    evaluatorRows: 0,
    coPlayerRows: 0,
    evaluatorCacheHits: 0,
    coPlayerCacheHits: 0,
    reusedTrees: 0,
    coPlayerFallbackRows: 0,
  };
}

/**
 * The one search loop every policy shares (mctx's `search`): B trees in lock-step, each simulation step
 * three phases over the tree arrays of `TreeArena`:
 *
 * 1. selection (`select.ts`): every active tree descends to a terminal node or a new edge;
 * 2. expansion (`expand.ts`): ONE co-player model call for the nodes expanded for the first time, ONE
 *    simulator step for all new edges, ONE evaluator call for the new non-terminal leaves (both model
 *    calls go through one batched helper, `ModelBatch`, with its cache);
 * 3. backup (`backup.ts`): each leaf's value up its path.
 *
 * Buffers are allocated once per batch size (`Workspace`).
 */
export class SearchEngine {
  readonly sim: BatchedSimulator;
  readonly config: MctsConfig;
  private readonly guarded: GuardedSimulator;
  private readonly evaluator: SearchEvaluator;
  private readonly coPlayerModel: SearchCoPlayerModel;
  private readonly goalVectors: Float32Array;
  private readonly goalDim: number;
  private readonly maxNodes: number;
  private ws!: Workspace;
  ctx!: SelectionContext;
  /** `[B * numAgents * numGoals]` goal orderings of the current call. */
  private goalOrders: Int32Array = new Int32Array(0);
  /** Layout and goal orderings of the previous call, for subtree reuse. */
  private prevFocal: Int32Array | null = null;
  private prevTreeNum = 0;
  private prevGoalOrders: Int32Array = new Int32Array(0);
  private warnedFallback = false;

  constructor(opts: SearchEngineOptions, config: MctsConfig) {
    this.sim = opts.simulator;
    this.config = config;
    this.evaluator = opts.evaluator;
    this.coPlayerModel = opts.coPlayerModel;
    const G = this.sim.numGoals;
    if (opts.goalVectors) {
      const dim = opts.goalDim ?? (G > 0 ? opts.goalVectors.length / G : 0);
      if (!Number.isInteger(dim) || opts.goalVectors.length !== G * dim)
        throw new HopError(
          'E_SHAPE',
          `goalVectors has ${opts.goalVectors.length} entries, expected numGoals (${G}) x goalDim (${dim})`,
        );
      this.goalVectors = opts.goalVectors;
      this.goalDim = dim;
    } else {
      this.goalDim = G;
      this.goalVectors = new Float32Array(G * G);
      for (let g = 0; g < G; g++) this.goalVectors[g * G + g] = 1;
    }
    this.maxNodes = nodesPerTree(config);
    this.guarded = new GuardedSimulator(this.sim, (g) => this.describeNode(g));
  }

  /** The trees of the last search call (mctx's `Tree`): what the policies and tests read. */
  get arena(): TreeArena {
    return this.ws.arena;
  }

  private ensureCapacity(B: number): void {
    if (this.ws?.arena.numTrees === B) return;
    this.ws = new Workspace(B, this.maxNodes, this.sim, this.config, this.goalDim);
    this.prevFocal = null;
    const A = this.sim.numActions;
    this.ctx = {
      arena: this.ws.arena,
      config: this.config,
      simIndex: 0,
      gumbel: new Float32Array(B * A),
      numConsidered: new Int32Array(B),
      considerTable: [],
      scratchA: new Float64Array(A),
      scratchB: new Float64Array(A),
    };
  }

  /**
   * Runs one search call: roots from `input` (one batched evaluation of the fresh roots, their first
   * simulation), then lock-step simulations with the variant's selectors until every root has
   * `numSimulations` new visits. The trees stay in `this.arena` for the policy to read.
   */
  async run(input: SearchInput, variant: SearchVariant): Promise<SearchRun> {
    const t0 = now();
    validateInput(input, this.sim, this.config);
    const { config } = this;
    const D = input.slots.length;
    const T = config.numTrees;
    const B = D * T;
    const reuseOk =
      config.reuseSubtree &&
      this.prevFocal !== null &&
      this.prevTreeNum === T &&
      this.prevFocal.length === D &&
      this.prevFocal.every((f, d) => f === input.focal[d]);
    // a call that fails half-way leaves half-built trees: nothing may be reused from it
    this.prevFocal = null;
    this.ensureCapacity(B);
    this.goalOrders = input.goalOrders instanceof Int32Array ? input.goalOrders : Int32Array.from(input.goalOrders);

    const run: SearchRun = {
      numDecisions: D,
      numTrees: T,
      decisionRngs: [],
      treeRngs: [],
      leafDepthSum: new Float64Array(B),
      leafCount: new Int32Array(B),
      maxDepth: new Int32Array(B),
      timing: { select: 0, models: 0, simulator: 0, backup: 0, bookkeeping: 0, total: 0 },
      counts: emptyCounts(),
    };
    for (let d = 0; d < D; d++) {
      const seed = input.seeds[d];
      run.decisionRngs.push(new Rng(deriveSeed(seed, 'mcts-decision')));
      for (let t = 0; t < T; t++) run.treeRngs.push(new Rng(deriveSeed(seed, 'mcts-tree', t)));
    }

    const x = this.expansion();
    await this.initRoots(input, reuseOk, run, x);
    const ts = now();
    variant.prepareRoots(this, run);
    run.timing.bookkeeping += now() - ts;

    const { ws } = this;
    let steps = 0;
    for (let b = 0; b < B; b++) if (ws.arena.active[b] && ws.budget[b] > steps) steps = ws.budget[b];
    for (let s = 0; s < steps; s++) {
      this.ctx.simIndex = s;
      let t = now();
      selectLeaves(ws.arena, this.ctx, variant, ws.budget, run, ws.leaves, ws.edges, ws.needCoPlayers);
      run.counts.simulationSteps++;
      run.timing.select += now() - t;
      await sampleCoPlayers(x, run);
      await stepEdges(x, run);
      await evaluateNodes(x, ws.toEvaluate, run);
      t = now();
      backup(ws.arena, ws.leaves, config);
      run.timing.backup += now() - t;
    }
    if (config.reuseSubtree) {
      this.prevFocal = Int32Array.from(input.focal);
      this.prevTreeNum = T;
      if (this.prevGoalOrders.length !== this.goalOrders.length) this.prevGoalOrders = new Int32Array(this.goalOrders.length);
      this.prevGoalOrders.set(this.goalOrders);
    }
    run.timing.total = now() - t0;
    return run;
  }

  private expansion(): Expansion {
    return {
      ws: this.ws,
      sim: this.guarded,
      spec: this.sim,
      config: this.config,
      evaluator: this.evaluator,
      coPlayerModel: this.coPlayerModel,
      goalOrders: this.goalOrders,
      goalVectors: this.goalVectors,
      fallbackWarning: () => (this.warnedFallback ? null : this.warnFallback),
    };
  }

  private readonly warnFallback = (message: string): void => {
    this.warnedFallback = true;
    console.warn(
      `@hop/mcts: ${message}. Counted in out.counts.coPlayerFallbackRows; config strict: true makes it an error (this warning is shown once per planner).`,
    );
  };

  /**
   * Roots: per tree, reuse the matching subtree of the previous call or start fresh from the input state;
   * terminal roots (episode over, or the focal agent done) are inactive; fresh active roots get ONE batched
   * evaluation, which is their first visit (and first simulation).
   */
  private async initRoots(input: SearchInput, reuseOk: boolean, run: SearchRun, x: Expansion): Promise<void> {
    const t0 = now();
    const { sim, config, ws } = this;
    const { arena } = ws;
    const T = run.numTrees;
    const B = arena.numTrees;
    const M = this.maxNodes;
    const W = sim.stateWords;
    const P = sim.numAgents;
    const A = sim.numActions;
    const fresh = ws.toEvaluate;
    fresh.count = 0;
    for (let b = 0; b < B; b++) {
      const d = Math.floor(b / T);
      arena.focal[b] = input.focal[d];
      let reused = false;
      // a tree's nodes hold co-player actions sampled for its goal orderings: keep them only for the same ones
      if (reuseOk && arena.active[b] && this.sameCoPlayerGoals(b, arena.focal[b])) {
        const c = arena.findRootChild(b, input.states, input.slots[d] * W);
        if (c >= 0 && arena.subtreeSize(b, c) + config.numSimulations <= M) {
          arena.reroot(b, c);
          arena.recomputeQBounds(b, config.qEstimate === 'mean');
          reused = true;
          run.counts.reusedTrees++;
        }
      }
      // the root's evaluation is the first of a fresh tree's numSimulations (the reference's loop); a reused
      // root is already evaluated, so every simulation descends
      ws.budget[b] = reused ? config.numSimulations : config.numSimulations - 1;
      if (!reused) {
        arena.resetTree(b);
        arena.states.set(input.states.subarray(input.slots[d] * W, (input.slots[d] + 1) * W), b * M * W);
        pushNode(fresh, b, b * M);
      }
      ws.viewSlots[b] = b * M;
    }
    for (let b = 0; b < B; b++) run.maxDepth[b] = maxDepthOf(arena, b);

    const view = ws.nodeView;
    view.count = B;
    const ts = now();
    this.guarded.terminal(view, ws.terminal);
    this.guarded.agentDone(view, ws.done);
    run.timing.simulator += now() - ts;
    for (let b = 0; b < B; b++) {
      const g = b * M;
      const over = ws.terminal[b] === 1 || (config.focalDoneIsTerminal && ws.done[b * P + arena.focal[b]] === 1);
      arena.active[b] = over ? 0 : 1;
      arena.terminal[g] = over ? 1 : 0;
      if (over) {
        // terminal root (fresh or reused): no children, only the no-op
        arena.legal.fill(0, g * A, (g + 1) * A);
        arena.legal[g * A + sim.noopAction] = 1;
      }
    }
    ws.evaluator.cache.clear();
    ws.coPlayer.cache.clear();
    let k = 0;
    for (let i = 0; i < fresh.count; i++) {
      if (!arena.active[fresh.tree[i]]) continue;
      fresh.tree[k] = fresh.tree[i];
      fresh.node[k++] = fresh.node[i];
    }
    fresh.count = k;
    run.timing.bookkeeping += now() - t0;
    await evaluateNodes(x, fresh, run);
    for (let i = 0; i < fresh.count; i++) {
      const g = fresh.node[i];
      arena.visits[g] = 1;
      arena.valueSum[g] = arena.rawValue[g];
    }
  }

  /** True when tree `b`'s co-players (everyone but `focal`) have the goal orderings of the previous call. */
  private sameCoPlayerGoals(b: number, focal: number): boolean {
    const P = this.sim.numAgents;
    const G = this.sim.numGoals;
    const o = b * P * G;
    if (this.prevGoalOrders.length < o + P * G) return false;
    for (let j = 0; j < P; j++) {
      if (j === focal) continue;
      for (let r = 0; r < G; r++) if (this.goalOrders[o + j * G + r] !== this.prevGoalOrders[o + j * G + r]) return false;
    }
    return true;
  }

  /** "decision d, tree t, depth k" of a global arena node, for error messages. */
  private describeNode(g: number): string {
    const T = this.config.numTrees;
    const b = Math.floor(g / this.maxNodes);
    return `decision ${Math.floor(b / T)}, tree ${b % T}, node at depth ${this.ws.arena.depth[g]}`;
  }
}

function maxDepthOf(arena: TreeArena, b: number): number {
  let m = 0;
  const base = b * arena.maxNodes;
  for (let n = 0; n < arena.size[b]; n++) if (arena.depth[base + n] > m) m = arena.depth[base + n];
  return m;
}
