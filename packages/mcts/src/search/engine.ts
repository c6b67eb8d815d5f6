import { HopError, Rng, deriveSeed } from '@hop/core/base';
import type { BatchedSimulator, SimStepBatch, SimViewBatch } from '@hop/core/base';
import type { MctsConfig } from '../config';
import { nodesPerTree } from '../config';
import { TreeArena } from '../tree/arena';
import type { SearchCoPlayerModel, SearchCounts, SearchEvaluator, SearchInput, SearchTiming } from '../types';
import { OutputCache } from './cache';
import type { ActionSelector, SelectionContext } from './context';

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

/**
 * The one search loop every policy shares. Holds B trees in lock-step: each simulation step selects a leaf
 * in every active tree, then makes ONE simulator step, ONE evaluator call and ONE co-player model call for
 * all of them, then expands and backs up. Buffers are allocated once per batch size.
 */
export class SearchEngine {
  readonly sim: BatchedSimulator;
  readonly config: MctsConfig;
  private readonly evaluator: SearchEvaluator;
  private readonly coPlayerModel: SearchCoPlayerModel;
  private readonly goalVectors: Float32Array;
  private readonly goalDim: number;
  private readonly maxNodes: number;

  arena!: TreeArena;
  ctx!: SelectionContext;
  /** `[B * numAgents * numGoals]` goal orderings of the current call. */
  private goalOrders: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Layout and goal orderings of the previous call, for subtree reuse. */
  private prevFocal: Int32Array | null = null;
  private prevTreeNum = 0;
  private prevGoalOrders: Int32Array = new Int32Array(0);
  /** `[B]` descents each tree still gets in this call (fresh roots: numSimulations - 1, reused: numSimulations). */
  private budget!: Int32Array;

  // --- per-step buffers, sized for the current number of trees ---
  private leafTree!: Int32Array;
  private leafNode!: Int32Array;
  private edgeTree!: Int32Array;
  private edgeAction!: Int32Array;
  private coTree!: Int32Array;
  private coNode!: Int32Array;
  private expTree!: Int32Array;
  private expNode!: Int32Array;
  private viewSlots!: Int32Array;
  private stepFrom!: Int32Array;
  private stepTo!: Int32Array;
  private stepActions!: Int32Array;
  private stepRewards!: Float32Array;
  private stepTerminal!: Uint8Array;
  private legalBuf!: Uint8Array;
  private doneBuf!: Uint8Array;
  private goalBuf!: Uint8Array;
  private timeBuf!: Float32Array;
  private hashBuf!: Uint32Array;
  private termBuf!: Uint8Array;
  private obsBuf!: Float32Array;
  private obsIndex!: Int32Array;
  private obsSlots!: Int32Array;
  private leafEval!: Int32Array;
  /** `[k, numAgents]` co-player cache entry per node; -1 uniform ("none"), -2 done (no-op). */
  private leafCo!: Int32Array;
  private evalRowEntry!: Int32Array;
  private evalRowLeaf!: Int32Array;
  private coRowEntry!: Int32Array;
  private coRowLeaf!: Int32Array;
  private coRowAgent!: Int32Array;
  private coRowGoal!: Int32Array;
  private evalObs!: Float32Array;
  private evalMask!: Uint8Array;
  private evalTime!: Float32Array;
  private evalFocal!: Int32Array;
  private coObs!: Float32Array;
  private coMask!: Uint8Array;
  private coTime!: Float32Array;
  private coGoals!: Float32Array;
  private coFocal!: Int32Array;
  private coAgent!: Int32Array;
  private sampleW!: Float64Array;
  // views and the step batch over the arena, reused by every simulation step (only `count` changes)
  private nodeView!: SimViewBatch;
  private childView!: SimViewBatch;
  private obsView!: SimViewBatch;
  private stepBatch!: SimStepBatch;
  private evalCache!: OutputCache;
  private coCache!: OutputCache;

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
  }

  private ensureCapacity(B: number): void {
    if (this.arena?.numTrees === B) return;
    const { sim } = this;
    const A = sim.numActions;
    const P = sim.numAgents;
    const G = sim.numGoals;
    const O = sim.observationSize;
    const C = Math.max(1, P - 1);
    this.arena = new TreeArena(B, this.maxNodes, A, P, sim.stateWords);
    this.prevFocal = null;
    this.budget = new Int32Array(B);
    this.leafTree = new Int32Array(B);
    this.leafNode = new Int32Array(B);
    this.edgeTree = new Int32Array(B);
    this.edgeAction = new Int32Array(B);
    this.coTree = new Int32Array(B);
    this.coNode = new Int32Array(B);
    this.expTree = new Int32Array(B);
    this.expNode = new Int32Array(B);
    this.viewSlots = new Int32Array(B);
    this.stepFrom = new Int32Array(B);
    this.stepTo = new Int32Array(B);
    this.stepActions = new Int32Array(B * P);
    this.stepRewards = new Float32Array(B * P);
    this.stepTerminal = new Uint8Array(B);
    this.legalBuf = new Uint8Array(B * P * A);
    this.doneBuf = new Uint8Array(B * P);
    this.goalBuf = new Uint8Array(Math.max(1, B * G));
    this.timeBuf = new Float32Array(B);
    this.hashBuf = new Uint32Array(B);
    this.termBuf = new Uint8Array(B);
    this.obsBuf = new Float32Array(B * P * O);
    this.obsIndex = new Int32Array(B);
    this.obsSlots = new Int32Array(B);
    this.leafEval = new Int32Array(B);
    this.leafCo = new Int32Array(B * P);
    this.evalRowEntry = new Int32Array(B);
    this.evalRowLeaf = new Int32Array(B);
    this.coRowEntry = new Int32Array(B * C);
    this.coRowLeaf = new Int32Array(B * C);
    this.coRowAgent = new Int32Array(B * C);
    this.coRowGoal = new Int32Array(B * C);
    this.evalObs = new Float32Array(B * O);
    this.evalMask = new Uint8Array(B * A);
    this.evalTime = new Float32Array(B);
    this.evalFocal = new Int32Array(B);
    this.coObs = new Float32Array(B * C * O);
    this.coMask = new Uint8Array(B * C * A);
    this.coTime = new Float32Array(B * C);
    this.coGoals = new Float32Array(Math.max(1, B * C * this.goalDim));
    this.coFocal = new Int32Array(B * C);
    this.coAgent = new Int32Array(B * C);
    this.sampleW = new Float64Array(A);
    const states = this.arena.states;
    this.nodeView = { states, slots: this.viewSlots, count: 0 };
    this.childView = { states, slots: this.stepTo, count: 0 };
    this.obsView = { states, slots: this.obsSlots, count: 0 };
    this.stepBatch = {
      states,
      from: this.stepFrom,
      to: this.stepTo,
      actions: this.stepActions,
      count: 0,
      rewards: this.stepRewards,
      terminal: this.stepTerminal,
    };
    const nodes = B * this.maxNodes;
    this.evalCache = new OutputCache(nodes, A + 1, this.config.cache);
    this.coCache = new OutputCache(nodes * C, A, this.config.cache);
    this.ctx = {
      arena: this.arena,
      config: this.config,
      simIndex: 0,
      gumbel: new Float32Array(B * A),
      numConsidered: new Int32Array(B),
      considerTable: [],
      scratchA: new Float64Array(A),
      scratchB: new Float64Array(A),
    };
  }

  private validate(input: SearchInput): void {
    const { sim, config } = this;
    const D = input.slots.length;
    const P = sim.numAgents;
    const G = sim.numGoals;
    const W = sim.stateWords;
    const fail = (msg: string): never => {
      throw new HopError('E_SEARCH_INPUT', msg);
    };
    if (D === 0) fail('search input has no decisions (slots is empty)');
    if (input.focal.length !== D) fail(`focal has ${input.focal.length} entries, expected one per decision (${D})`);
    if (input.seeds.length !== D) fail(`seeds has ${input.seeds.length} entries, expected one per decision (${D})`);
    if (input.greedy !== undefined && typeof input.greedy !== 'boolean')
      fail(`greedy must be true (evaluation: argmax) or false (training: sample), got ${String(input.greedy)}`);
    const expected = D * config.numTrees * P * G;
    if (input.goalOrders.length !== expected)
      fail(
        `goalOrders has ${input.goalOrders.length} entries, expected [D=${D}, numTrees=${config.numTrees}, ` +
          `numAgents=${P}, numGoals=${G}] = ${expected}; sample them with sampleGoalOrders`,
      );
    for (let i = 0; i < input.goalOrders.length; i++) {
      const g = input.goalOrders[i];
      if (g < -1 || g >= G || !Number.isInteger(g)) fail(`goalOrders[${i}] = ${g} is not a goal index in [-1, ${G})`);
    }
    for (let d = 0; d < D; d++) {
      const f = input.focal[d];
      if (f < 0 || f >= P) fail(`focal[${d}] = ${f} is not an agent index in [0, ${P})`);
      const s = input.slots[d];
      if (s < 0 || (s + 1) * W > input.states.length)
        fail(`slots[${d}] = ${s} is outside the state arena (${input.states.length / W} slots)`);
    }
  }

  /**
   * Runs one search call: roots from `input` (one batched evaluation of the fresh roots, their first
   * simulation), then lock-step simulations with the variant's selectors until every root has
   * `numSimulations` new visits. The trees stay in `this.arena` for the policy to read.
   */
  async run(input: SearchInput, variant: SearchVariant): Promise<SearchRun> {
    const t0 = now();
    this.validate(input);
    const { sim, config } = this;
    const D = input.slots.length;
    const T = config.numTrees;
    const B = D * T;
    const P = sim.numAgents;
    const W = sim.stateWords;
    const reuseOk =
      config.reuseSubtree &&
      this.prevFocal !== null &&
      this.prevTreeNum === T &&
      this.prevFocal.length === D &&
      this.prevFocal.every((f, d) => f === input.focal[d]);
    // a call that fails half-way leaves half-built trees: nothing may be reused from it
    this.prevFocal = null;
    this.ensureCapacity(B);
    const arena = this.arena;
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
      counts: {
        simulationSteps: 0,
        evaluatorCalls: 0,
        coPlayerCalls: 0,
        simulatorSteps: 0,
        evaluatorRows: 0,
        coPlayerRows: 0,
        evaluatorCacheHits: 0,
        coPlayerCacheHits: 0,
        reusedTrees: 0,
      },
    };
    for (let d = 0; d < D; d++) {
      const seed = input.seeds[d];
      run.decisionRngs.push(new Rng(deriveSeed(seed, 'mcts-decision')));
      for (let t = 0; t < T; t++) run.treeRngs.push(new Rng(deriveSeed(seed, 'mcts-tree', t)));
    }

    // --- roots: reuse a matching subtree or start fresh ---
    let fresh = 0;
    for (let b = 0; b < B; b++) {
      const d = Math.floor(b / T);
      arena.focal[b] = input.focal[d];
      let reused = false;
      // a tree's nodes hold co-player actions sampled for its goal orderings: keep them only for the same ones
      if (reuseOk && arena.active[b] && this.sameCoPlayerGoals(b, arena.focal[b])) {
        const c = arena.findRootChild(b, input.states, input.slots[d] * W);
        if (c >= 0 && arena.subtreeSize(b, c) + config.numSimulations <= this.maxNodes) {
          arena.reroot(b, c);
          arena.recomputeQBounds(b, config.qEstimate === 'mean');
          reused = true;
          run.counts.reusedTrees++;
        }
      }
      // the root's evaluation is the first of a fresh tree's numSimulations (the reference's loop); a reused
      // root is already evaluated, so every simulation descends
      this.budget[b] = reused ? config.numSimulations : config.numSimulations - 1;
      if (!reused) {
        arena.resetTree(b);
        const g = b * this.maxNodes;
        arena.states.set(input.states.subarray(input.slots[d] * W, (input.slots[d] + 1) * W), g * W);
        this.expTree[fresh] = b;
        this.expNode[fresh++] = g;
      }
      const g = b * this.maxNodes;
      this.viewSlots[b] = g;
    }
    this.evalCache.clear();
    this.coCache.clear();
    for (let b = 0; b < B; b++) run.maxDepth[b] = maxDepthOf(arena, b);

    // terminal roots (episode over, or the focal agent done) have nothing to search
    const view = this.nodeView;
    view.count = B;
    let ts = now();
    sim.terminal(view, this.termBuf);
    sim.agentDone(view, this.doneBuf);
    run.timing.simulator += now() - ts;
    for (let b = 0; b < B; b++) {
      const g = b * this.maxNodes;
      const over = this.termBuf[b] === 1 || (config.focalDoneIsTerminal && this.doneBuf[b * P + arena.focal[b]] === 1);
      arena.active[b] = over ? 0 : 1;
      arena.terminal[g] = over ? 1 : 0;
      if (over) {
        // terminal root (fresh or reused): no children, only the no-op
        arena.legal.fill(0, g * sim.numActions, (g + 1) * sim.numActions);
        arena.legal[g * sim.numActions + sim.noopAction] = 1;
      }
    }
    // evaluate fresh active roots; their evaluation is their first visit (and first simulation)
    let k = 0;
    for (let i = 0; i < fresh; i++) {
      if (!arena.active[this.expTree[i]]) continue;
      this.expTree[k] = this.expTree[i];
      this.expNode[k++] = this.expNode[i];
    }
    run.timing.bookkeeping += now() - t0;
    await this.evaluateLeaves(k, run);
    for (let i = 0; i < k; i++) {
      const g = this.expNode[i];
      arena.visits[g] = 1;
      arena.valueSum[g] = arena.rawValue[g];
    }
    ts = now();
    variant.prepareRoots(this, run);
    run.timing.bookkeeping += now() - ts;

    let steps = 0;
    for (let b = 0; b < B; b++) if (arena.active[b] && this.budget[b] > steps) steps = this.budget[b];
    for (let s = 0; s < steps; s++) {
      this.ctx.simIndex = s;
      await this.simulate(variant, run);
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

  /**
   * One lock-step simulation in every active tree: selection, then (for the nodes being expanded that
   * have no co-player actions yet) ONE co-player model call, ONE simulator step, ONE evaluator call for
   * the new non-terminal leaves, and the backups.
   */
  private async simulate(variant: SearchVariant, run: SearchRun): Promise<void> {
    const { arena, sim, config, ctx } = this;
    const B = arena.numTrees;
    const M = this.maxNodes;
    const A = sim.numActions;
    const P = sim.numAgents;
    let t = now();
    // 1. selection: descend to a terminal node or an unexpanded edge
    let leaves = 0;
    let edges = 0;
    let needCo = 0;
    const step = ctx.simIndex;
    for (let b = 0; b < B; b++) {
      if (!arena.active[b] || step >= this.budget[b]) continue;
      const base = b * M;
      let g = base;
      for (;;) {
        if (arena.terminal[g]) break;
        const depth = arena.depth[g];
        const a = depth === 0 ? variant.root(ctx, b, g, 0) : variant.interior(ctx, b, g, depth);
        const c = arena.children[g * A + a];
        if (c >= 0) {
          g = base + c;
          continue;
        }
        // new edge: allocate the child; it is stepped below
        const child = arena.addChild(b, g - base, a);
        const k = edges++;
        this.edgeTree[k] = b;
        this.edgeAction[k] = a;
        this.stepFrom[k] = g;
        this.stepTo[k] = child;
        if (!arena.coReady[g]) {
          this.coTree[needCo] = b;
          this.coNode[needCo++] = g;
        }
        g = child;
        break;
      }
      this.leafTree[leaves] = b;
      this.leafNode[leaves++] = g;
      const depth = arena.depth[g];
      run.leafDepthSum[b] += depth;
      run.leafCount[b]++;
      if (depth > run.maxDepth[b]) run.maxDepth[b] = depth;
    }
    run.counts.simulationSteps++;
    run.timing.select += now() - t;

    // 2. co-player actions of the nodes expanded for the first time (one model call)
    await this.sampleCoPlayers(needCo, run);

    // 3. one simulator step for every new edge
    let k = 0;
    if (edges > 0) {
      t = now();
      for (let e = 0; e < edges; e++) {
        const tpl = this.stepFrom[e] * P;
        for (let j = 0; j < P; j++) this.stepActions[e * P + j] = arena.coActions[tpl + j];
        this.stepActions[e * P + arena.focal[this.edgeTree[e]]] = this.edgeAction[e];
      }
      const t2 = now();
      run.timing.bookkeeping += t2 - t;
      this.stepBatch.count = edges;
      await sim.step(this.stepBatch);
      run.counts.simulatorSteps++;
      this.childView.count = edges;
      sim.agentDone(this.childView, this.doneBuf);
      t = now();
      run.timing.simulator += t - t2;
      for (let e = 0; e < edges; e++) {
        const g = this.stepTo[e];
        const b = this.edgeTree[e];
        const f = arena.focal[b];
        arena.reward[g] = this.stepRewards[e * P + f];
        const over = this.stepTerminal[e] === 1 || (config.focalDoneIsTerminal && this.doneBuf[e * P + f] === 1);
        if (over) {
          arena.terminal[g] = 1;
          arena.legal.fill(0, g * A, (g + 1) * A);
        } else {
          this.expTree[k] = b;
          this.expNode[k++] = g;
        }
      }
      run.timing.bookkeeping += now() - t;
    }

    // 4. one evaluator call for the new non-terminal leaves
    await this.evaluateLeaves(k, run);

    // 5. backup
    t = now();
    const gamma = config.gamma;
    const compat = config.compat.doubleCountTerminalReward;
    // min-max bounds follow the Q estimate PUCT scores (MuZero updates its MinMaxStats with each node's value)
    const qOffset = config.qEstimate === 'mean' ? 0 : 1;
    for (let i = 0; i < leaves; i++) {
      const b = this.leafTree[i];
      const base = b * M;
      let g = this.leafNode[i];
      // a terminal leaf is worth nothing beyond the reward collected on entering it; the reference valued it
      // at that reward, which the backup then adds again (r + gamma * r)
      let v = arena.terminal[g] ? (compat ? arena.reward[g] : 0) : arena.rawValue[g];
      let lo = arena.minQ[b];
      let hi = arena.maxQ[b];
      for (;;) {
        const p = arena.parent[g];
        if (p < 0) {
          arena.visits[g]++;
          arena.valueSum[g] += v;
          break;
        }
        v = arena.reward[g] + gamma * v;
        const n = ++arena.visits[g];
        const w = (arena.valueSum[g] += v);
        const q = w / (n + qOffset);
        if (q < lo) lo = q;
        if (q > hi) hi = q;
        g = base + p;
      }
      arena.minQ[b] = lo;
      arena.maxQ[b] = hi;
    }
    run.timing.backup += now() - t;
  }

  /**
   * Evaluates the `count` nodes listed in `expTree` / `expNode` (non-terminal, states in the arena):
   * cache look-ups, ONE evaluator call for the misses, then the focal agent's priors and the value.
   */
  private async evaluateLeaves(count: number, run: SearchRun): Promise<void> {
    if (count === 0) return;
    const { arena, sim } = this;
    const A = sim.numActions;
    const P = sim.numAgents;
    const O = sim.observationSize;
    const W = sim.stateWords;
    let t = now();
    for (let i = 0; i < count; i++) this.viewSlots[i] = this.expNode[i];
    const view = this.nodeView;
    view.count = count;
    sim.legalActions(view, this.legalBuf);
    sim.time(view, this.timeBuf);
    if (this.config.cache) sim.hash(view, this.hashBuf);
    let t2 = now();
    run.timing.simulator += t2 - t;

    let rows = 0;
    for (let i = 0; i < count; i++) {
      const b = this.expTree[i];
      const g = this.expNode[i];
      const f = arena.focal[b];
      for (let a = 0; a < A; a++) arena.legal[g * A + a] = this.legalBuf[(i * P + f) * A + a];
      let e = this.evalCache.lookup(this.hashBuf[i], f, -1, f, arena.states, g, W);
      if (e < 0) {
        e = -e - 1;
        this.evalRowEntry[rows] = e;
        this.evalRowLeaf[rows] = i;
        this.obsSlots[rows++] = g;
      } else run.counts.evaluatorCacheHits++;
      this.leafEval[i] = e;
    }
    let t3 = now();
    run.timing.bookkeeping += t3 - t2;
    if (rows > 0) {
      this.obsView.count = rows;
      sim.observe(this.obsView, this.obsBuf);
    }
    t = now();
    run.timing.simulator += t - t3;
    for (let r = 0; r < rows; r++) {
      const i = this.evalRowLeaf[r];
      const f = arena.focal[this.expTree[i]];
      copyRow(this.obsBuf, (r * P + f) * O, this.evalObs, r * O, O);
      const lo = (i * P + f) * A;
      for (let a = 0; a < A; a++) this.evalMask[r * A + a] = this.legalBuf[lo + a];
      this.evalTime[r] = this.timeBuf[i];
      this.evalFocal[r] = f;
    }
    t2 = now();
    run.timing.bookkeeping += t2 - t;
    if (rows > 0) {
      const out = await callModel('evaluator', `observations [${rows}, ${O}], masks [${rows}, ${A}]`, () =>
        this.evaluator(
          {
            batch: rows,
            observations: this.evalObs.subarray(0, rows * O),
            masks: this.evalMask.subarray(0, rows * A),
            times: this.evalTime.subarray(0, rows),
          },
          { focal: this.evalFocal.subarray(0, rows), agent: this.evalFocal.subarray(0, rows) },
        ),
      );
      t = now();
      run.timing.models += t - t2;
      t2 = t;
      run.counts.evaluatorCalls++;
      run.counts.evaluatorRows += rows;
      if (out.logits.length < rows * A || out.values.length < rows)
        throw new HopError(
          'E_SHAPE',
          `evaluator returned ${out.logits.length} logits and ${out.values.length} values for a batch of ` +
            `${rows}; expected [${rows}, ${A}] and [${rows}]`,
        );
      checkEvaluatorRows(out.logits, out.values, this.evalMask, this.evalFocal, this.evalTime, rows, A);
      const data = this.evalCache.data;
      for (let r = 0; r < rows; r++) {
        const o = this.evalRowEntry[r] * (A + 1);
        for (let a = 0; a < A; a++) data[o + a] = out.logits[r * A + a];
        data[o + A] = out.values[r];
      }
    }

    // priors (softmax over the valid actions) and value
    const data = this.evalCache.data;
    for (let i = 0; i < count; i++) {
      const g = this.expNode[i];
      const off = g * A;
      const eo = this.leafEval[i] * (A + 1);
      let hi = -Infinity;
      for (let a = 0; a < A; a++) if (arena.legal[off + a] && data[eo + a] > hi) hi = data[eo + a];
      let z = 0;
      for (let a = 0; a < A; a++) {
        if (arena.legal[off + a]) {
          const l = data[eo + a] - hi;
          arena.logits[off + a] = l;
          const p = Math.exp(l);
          arena.prior[off + a] = p;
          z += p;
        } else {
          arena.logits[off + a] = -Infinity;
          arena.prior[off + a] = 0;
        }
      }
      for (let a = 0; a < A; a++) arena.prior[off + a] /= z;
      arena.rawValue[g] = data[eo + A];
    }
    run.timing.backup += now() - t2;
  }

  /**
   * Samples the co-player actions of the `count` nodes in `coTree` / `coNode`, once per node, when the node
   * is first expanded: a node that stays a leaf never needs them, so the model is not asked about it
   * (same distribution as sampling at creation, fewer rows). Each live co-player pursues the first
   * available goal of its ordering (ONE co-player model call for all rows); without a goal it plays
   * uniformly over its valid actions; done agents and the focal slot take the no-op.
   */
  private async sampleCoPlayers(count: number, run: SearchRun): Promise<void> {
    if (count === 0) return;
    const { arena, sim, config } = this;
    const A = sim.numActions;
    const P = sim.numAgents;
    const G = sim.numGoals;
    const O = sim.observationSize;
    const W = sim.stateWords;
    const GD = this.goalDim;
    let t = now();
    for (let i = 0; i < count; i++) this.viewSlots[i] = this.coNode[i];
    const view = this.nodeView;
    view.count = count;
    sim.legalActions(view, this.legalBuf);
    sim.agentDone(view, this.doneBuf);
    if (G > 0) sim.goalsAvailable(view, this.goalBuf);
    sim.time(view, this.timeBuf);
    if (config.cache) sim.hash(view, this.hashBuf);
    let t2 = now();
    run.timing.simulator += t2 - t;

    let rows = 0;
    let needObs = 0;
    for (let i = 0; i < count; i++) {
      const b = this.coTree[i];
      const g = this.coNode[i];
      const f = arena.focal[b];
      const h = this.hashBuf[i];
      const orders = b * P * G;
      let miss = false;
      for (let j = 0; j < P; j++) {
        if (j === f) continue;
        if (this.doneBuf[i * P + j]) {
          this.leafCo[i * P + j] = -2;
          continue;
        }
        let goal = -1;
        for (let r = 0; r < G; r++) {
          const cand = this.goalOrders[orders + j * G + r];
          if (cand < 0) break;
          if (this.goalBuf[i * G + cand]) {
            goal = cand;
            break;
          }
        }
        if (goal < 0) {
          this.leafCo[i * P + j] = -1;
          continue;
        }
        let e = this.coCache.lookup(h, j, goal, config.coPlayerModelPerFocal ? f : -1, arena.states, g, W);
        if (e < 0) {
          e = -e - 1;
          this.coRowEntry[rows] = e;
          this.coRowLeaf[rows] = i;
          this.coRowAgent[rows] = j;
          this.coRowGoal[rows++] = goal;
          miss = true;
        } else run.counts.coPlayerCacheHits++;
        this.leafCo[i * P + j] = e;
      }
      if (miss) {
        this.obsIndex[i] = needObs;
        this.obsSlots[needObs++] = g;
      } else this.obsIndex[i] = -1;
    }
    let t3 = now();
    run.timing.bookkeeping += t3 - t2;
    if (needObs > 0) {
      this.obsView.count = needObs;
      sim.observe(this.obsView, this.obsBuf);
    }
    t = now();
    run.timing.simulator += t - t3;
    for (let r = 0; r < rows; r++) {
      const i = this.coRowLeaf[r];
      const j = this.coRowAgent[r];
      copyRow(this.obsBuf, (this.obsIndex[i] * P + j) * O, this.coObs, r * O, O);
      const lo = (i * P + j) * A;
      for (let a = 0; a < A; a++) this.coMask[r * A + a] = this.legalBuf[lo + a];
      this.coTime[r] = this.timeBuf[i];
      copyRow(this.goalVectors, this.coRowGoal[r] * GD, this.coGoals, r * GD, GD);
      this.coFocal[r] = arena.focal[this.coTree[i]];
      this.coAgent[r] = j;
    }
    t2 = now();
    run.timing.bookkeeping += t2 - t;
    if (rows > 0) {
      const out = await callModel('co-player model', `observations [${rows}, ${O}], masks [${rows}, ${A}], goals [${rows}, ${GD}]`, () =>
        this.coPlayerModel(
          {
            batch: rows,
            observations: this.coObs.subarray(0, rows * O),
            masks: this.coMask.subarray(0, rows * A),
            times: this.coTime.subarray(0, rows),
            goals: this.coGoals.subarray(0, rows * GD),
            goalDim: GD,
          },
          { focal: this.coFocal.subarray(0, rows), agent: this.coAgent.subarray(0, rows) },
        ),
      );
      t = now();
      run.timing.models += t - t2;
      t2 = t;
      run.counts.coPlayerCalls++;
      run.counts.coPlayerRows += rows;
      if (out.probs.length < rows * A)
        throw new HopError(
          'E_SHAPE',
          `co-player model returned ${out.probs.length} probabilities for a batch of ${rows}; expected [${rows}, ${A}]`,
        );
      for (let r = 0; r < rows * A; r++)
        if (Number.isNaN(out.probs[r]))
          throw new HopError(
            'E_NAN',
            `co-player model returned probability NaN for row ${Math.floor(r / A)} action ${r % A} ` +
              `(agent ${this.coAgent[Math.floor(r / A)]} modelled by ${this.coFocal[Math.floor(r / A)]}, goal ${this.coRowGoal[Math.floor(r / A)]}); ` +
              'check its inputs and weights (a NaN there would silently turn into a uniform co-player)',
          );
      const data = this.coCache.data;
      for (let r = 0; r < rows; r++) {
        const o = this.coRowEntry[r] * A;
        for (let a = 0; a < A; a++) data[o + a] = out.probs[r * A + a];
      }
    }

    const coData = this.coCache.data;
    const w = this.sampleW;
    for (let i = 0; i < count; i++) {
      const b = this.coTree[i];
      const g = this.coNode[i];
      const f = arena.focal[b];
      const rng = run.treeRngs[b];
      const tpl = g * P;
      for (let j = 0; j < P; j++) {
        const ce = this.leafCo[i * P + j];
        if (j === f || ce === -2) {
          arena.coActions[tpl + j] = sim.noopAction;
          continue;
        }
        const lo = (i * P + j) * A;
        let total = 0;
        for (let a = 0; a < A; a++) {
          const legal = this.legalBuf[lo + a];
          w[a] = ce === -1 ? legal : legal ? Math.max(0, coData[ce * A + a]) : 0;
          total += w[a];
        }
        // a model that puts no mass on valid actions falls back to uniform over them
        if (!(total > 0)) for (let a = 0; a < A; a++) w[a] = this.legalBuf[lo + a];
        const a = rng.categorical(w);
        arena.coActions[tpl + j] = a < 0 ? sim.noopAction : a;
      }
      arena.coReady[g] = 1;
    }
    run.timing.backup += now() - t2;
  }
}

/**
 * Runs one model call; an error thrown inside it says which of the planner's two models failed and with
 * what batch (a tensor shape error deep in a network otherwise names neither).
 */
async function callModel<T>(name: string, shapes: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const code = e instanceof HopError ? e.code : 'E_MODEL';
    throw new HopError(code, `the planner's ${name} failed on a batch of ${shapes}: ${msg}`, { cause: e });
  }
}

/** A NaN / infinite value or a NaN logit of a valid action would spread through Q silently: name the row. */
function checkEvaluatorRows(
  logits: Float32Array,
  values: Float32Array,
  masks: Uint8Array,
  focal: Int32Array,
  times: Float32Array,
  rows: number,
  A: number,
): void {
  for (let r = 0; r < rows; r++) {
    const where = `row ${r} (agent ${focal[r]}, time ${times[r]})`;
    if (!Number.isFinite(values[r]))
      throw new HopError('E_NAN', `evaluator returned value ${values[r]} for ${where}; values must be finite numbers`);
    let finite = false;
    for (let a = 0; a < A; a++) {
      if (!masks[r * A + a]) continue;
      const l = logits[r * A + a];
      if (Number.isNaN(l) || l === Infinity)
        throw new HopError('E_NAN', `evaluator returned logit ${l} for valid action ${a} of ${where}; logits must be finite (or -Infinity)`);
      if (l > -Infinity) finite = true;
    }
    if (!finite)
      throw new HopError('E_NAN', `evaluator gave every valid action of ${where} logit -Infinity; at least one must be finite`);
  }
}

function copyRow(src: Float32Array, so: number, dst: Float32Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[so + i];
}

function maxDepthOf(arena: TreeArena, b: number): number {
  let m = 0;
  const base = b * arena.maxNodes;
  for (let n = 0; n < arena.size[b]; n++) if (arena.depth[base + n] > m) m = arena.depth[base + n];
  return m;
}
