import { HopError } from '@hop/core/base';
import type { BatchedSimulator } from '@hop/core/base';
import type { MctsConfig } from '../config';
import type { SearchCoPlayerModel, SearchEvaluator } from '../types';
import type { NodeList } from './frontier';
import { pushNode } from './frontier';
import type { GuardedSimulator } from './simulator';
import type { SearchRun } from './types';
import type { Workspace } from './workspace';

/** What expansion reads besides the workspace: the simulator, the models and this call's goal orderings. */
export interface Expansion {
  readonly ws: Workspace;
  /** The simulator behind error context; `spec` is the same simulator for its numbers. */
  readonly sim: GuardedSimulator;
  readonly spec: BatchedSimulator;
  readonly config: MctsConfig;
  readonly evaluator: SearchEvaluator;
  readonly coPlayerModel: SearchCoPlayerModel;
  /** `[B, numAgents, numGoals]` goal orderings of the current call. */
  readonly goalOrders: Int32Array;
  /** `[numGoals, goalDim]` goal vectors the co-player model receives. */
  readonly goalVectors: Float32Array;
  /**
   * Reports a co-player row with no probability on its valid actions (not in strict mode); null once
   * reported (the message is built only while someone will read it: a bad model hits every row).
   */
  readonly fallbackWarning: () => ((message: string) => void) | null;
}

const now = (): number => performance.now();

/** The goal an agent pursues: the first goal of its ordering (at `orders`) still available (at `avail`); -1 if none. */
function currentGoal(goalOrders: Int32Array, orders: number, available: Uint8Array, avail: number, G: number): number {
  for (let r = 0; r < G; r++) {
    const cand = goalOrders[orders + r];
    if (cand < 0) return -1;
    if (available[avail + cand]) return cand;
  }
  return -1;
}

/**
 * Fills `out[o .. o + P)` with each agent's goal in tree `b` at node-list entry `i` (-1: focal, done, none)
 * and returns them as one cache key (mixed radix G + 1; the workspace checks it fits an int32).
 */
function coGoalsOf(x: Expansion, i: number, b: number, f: number, out: Int32Array, o: number): number {
  const { ws, spec } = x;
  const P = spec.numAgents;
  const G = spec.numGoals;
  let key = 0;
  for (let j = P - 1; j >= 0; j--) {
    const goal = j === f || ws.done[i * P + j] ? -1 : currentGoal(x.goalOrders, (b * P + j) * G, ws.goalsAvailable, i * G, G);
    out[o + j] = goal;
    key = key * (G + 1) + goal + 1;
  }
  return key;
}

/**
 * Co-player actions of the nodes in `ws.needCoPlayers`, drawn once per node when it is first expanded (a node
 * that stays a leaf never needs them, so the model is not asked about it). Each live co-player pursues the
 * first available goal of its ordering (ONE co-player model call for all rows); without a goal it plays
 * uniformly over its valid actions; done agents and the focal slot take the no-op.
 */
export async function sampleCoPlayers(x: Expansion, run: SearchRun): Promise<void> {
  const { ws, sim, spec, config } = x;
  const nodes = ws.needCoPlayers;
  if (nodes.count === 0) return;
  const { arena } = ws;
  const A = spec.numActions;
  const P = spec.numAgents;
  const G = spec.numGoals;
  const W = spec.stateWords;
  let t = now();
  const view = ws.viewOf(nodes);
  sim.legalActions(view, ws.legal);
  sim.agentDone(view, ws.done);
  if (G > 0) sim.goalsAvailable(view, ws.goalsAvailable);
  sim.time(view, ws.time);
  if (config.cache) sim.hash(view, ws.hash);
  let t2 = now();
  run.timing.simulator += t2 - t;

  const batch = ws.coPlayer;
  batch.begin();
  for (let i = 0; i < nodes.count; i++) {
    const b = nodes.tree[i];
    const g = nodes.node[i];
    const f = arena.focal[b];
    const orders = b * P * G;
    for (let j = 0; j < P; j++) {
      if (j === f) continue;
      if (ws.done[i * P + j]) {
        ws.coEntry[i * P + j] = -2;
        continue;
      }
      const goal = currentGoal(x.goalOrders, orders + j * G, ws.goalsAvailable, i * G, G);
      if (goal < 0) {
        ws.coEntry[i * P + j] = -1;
        continue;
      }
      const e = batch.cache.lookup(ws.hash[i], j, goal, config.coPlayerModelPerFocal ? f : -1, arena.states, g, W);
      ws.coEntry[i * P + j] = e >= 0 ? batch.hit(e) : batch.addRow(-e - 1, i, g, j, goal, f);
    }
  }
  run.counts.coPlayerCacheHits += batch.hits;
  await modelRows(x, run, t2, 'coPlayer');

  t2 = now();
  const data = batch.cache.data;
  const w = ws.weights;
  for (let i = 0; i < nodes.count; i++) {
    const b = nodes.tree[i];
    const g = nodes.node[i];
    const f = arena.focal[b];
    const rng = run.treeRngs[b];
    const tpl = g * P;
    for (let j = 0; j < P; j++) {
      const ce = ws.coEntry[i * P + j];
      if (j === f || ce === -2) {
        arena.coActions[tpl + j] = spec.noopAction;
        continue;
      }
      const lo = (i * P + j) * A;
      let total = 0;
      for (let a = 0; a < A; a++) {
        const legal = ws.legal[lo + a];
        w[a] = ce === -1 ? legal : legal ? Math.max(0, data[ce * A + a]) : 0;
        total += w[a];
      }
      // a row with no mass on valid actions was reported when it arrived: uniform over them
      if (!(total > 0)) for (let a = 0; a < A; a++) w[a] = ws.legal[lo + a];
      const a = rng.categorical(w);
      arena.coActions[tpl + j] = a < 0 ? spec.noopAction : a;
    }
    arena.coReady[g] = 1;
  }
  run.timing.backup += now() - t2;
}

/**
 * One simulator step for every new edge of `ws.edges` (joint action: the node's co-player actions with the
 * edge's focal action), then each child's focal reward and terminal flag; the non-terminal children go
 * to `ws.toEvaluate`.
 */
export async function stepEdges(x: Expansion, run: SearchRun): Promise<void> {
  const { ws, sim, spec, config } = x;
  const { arena, edges, stepBatch } = ws;
  const toEvaluate = ws.toEvaluate;
  toEvaluate.count = 0;
  if (edges.count === 0) return;
  const A = spec.numActions;
  const P = spec.numAgents;
  let t = now();
  for (let e = 0; e < edges.count; e++) {
    const tpl = edges.from[e] * P;
    for (let j = 0; j < P; j++) stepBatch.actions[e * P + j] = arena.coActions[tpl + j];
    stepBatch.actions[e * P + arena.focal[edges.tree[e]]] = edges.action[e];
  }
  const t2 = now();
  run.timing.bookkeeping += t2 - t;
  stepBatch.count = edges.count;
  await sim.step(stepBatch);
  run.counts.simulatorSteps++;
  ws.childView.count = edges.count;
  sim.agentDone(ws.childView, ws.done);
  t = now();
  run.timing.simulator += t - t2;
  for (let e = 0; e < edges.count; e++) {
    const g = edges.to[e];
    const b = edges.tree[e];
    const f = arena.focal[b];
    arena.reward[g] = stepBatch.rewards[e * P + f];
    const over = stepBatch.terminal[e] === 1 || (config.focalDoneIsTerminal && ws.done[e * P + f] === 1);
    if (over) {
      arena.terminal[g] = 1;
      arena.legal.fill(0, g * A, (g + 1) * A);
    } else pushNode(toEvaluate, b, g);
  }
  run.timing.bookkeeping += now() - t;
}

/**
 * Evaluates the nodes of `nodes` (non-terminal, states in the arena): the focal agent's valid actions,
 * cache look-ups, ONE evaluator call for the misses, then the priors (softmax of the logits over the valid
 * actions), the logits minus their max and the value.
 */
export async function evaluateNodes(x: Expansion, nodes: NodeList, run: SearchRun): Promise<void> {
  if (nodes.count === 0) return;
  const { ws, sim, spec, config } = x;
  const { arena } = ws;
  const A = spec.numActions;
  const P = spec.numAgents;
  const W = spec.stateWords;
  const t = now();
  const view = ws.viewOf(nodes);
  sim.legalActions(view, ws.legal);
  sim.time(view, ws.time);
  if (config.cache) sim.hash(view, ws.hash);
  const batch = ws.evaluator;
  const coGoals = batch.coGoals;
  if (coGoals !== undefined) {
    sim.agentDone(view, ws.done);
    if (spec.numGoals > 0) sim.goalsAvailable(view, ws.goalsAvailable);
  }
  const t2 = now();
  run.timing.simulator += t2 - t;

  batch.begin();
  for (let i = 0; i < nodes.count; i++) {
    const b = nodes.tree[i];
    const g = nodes.node[i];
    const f = arena.focal[b];
    for (let a = 0; a < A; a++) arena.legal[g * A + a] = ws.legal[(i * P + f) * A + a];
    if (coGoals === undefined) {
      const e = batch.cache.lookup(ws.hash[i], f, -1, f, arena.states, g, W);
      ws.evalEntry[i] = e >= 0 ? batch.hit(e) : batch.addRow(-e - 1, i, g, f, -1, f);
      continue;
    }
    // the row's goals are written at the next row's slot; a cache hit leaves them there unused
    const key = coGoalsOf(x, i, b, f, coGoals, batch.rows * P);
    const e = batch.cache.lookup(ws.hash[i], f, key, f, arena.states, g, W);
    ws.evalEntry[i] = e >= 0 ? batch.hit(e) : batch.addRow(-e - 1, i, g, f, -1, f);
  }
  run.counts.evaluatorCacheHits += batch.hits;
  await modelRows(x, run, t2, 'evaluator');

  const t3 = now();
  const data = batch.cache.data;
  for (let i = 0; i < nodes.count; i++) {
    const g = nodes.node[i];
    const off = g * A;
    const eo = ws.evalEntry[i] * (A + 1);
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
  run.timing.backup += now() - t3;
}

/**
 * The model call of one expansion pass: observe the nodes with rows, assemble the rows, call the model,
 * check its output and store it in the rows' cache entries. `since` is when the bookkeeping began.
 */
async function modelRows(x: Expansion, run: SearchRun, since: number, which: 'evaluator' | 'coPlayer'): Promise<void> {
  const { ws } = x;
  const batch = which === 'evaluator' ? ws.evaluator : ws.coPlayer;
  const rows = batch.rows;
  let t = now();
  run.timing.bookkeeping += t - since;
  if (rows === 0) return;
  batch.observe(x.sim);
  let t2 = now();
  run.timing.simulator += t2 - t;
  batch.assemble(ws.legal, ws.time, x.goalVectors);
  t = now();
  run.timing.bookkeeping += t - t2;
  const A = x.spec.numActions;
  const strict = x.config.strict;
  const data = batch.cache.data;
  if (which === 'evaluator') {
    const out = await batch.call(x.evaluator);
    t2 = now();
    run.timing.models += t2 - t;
    run.counts.evaluatorCalls++;
    run.counts.evaluatorRows += rows;
    if (out.logits.length < rows * A || out.values.length < rows)
      throw new HopError(
        'E_SHAPE',
        `evaluator returned ${out.logits.length} logits and ${out.values.length} values for a batch of ${rows}; ` +
          `expected [${rows}, ${A}] and [${rows}]`,
      );
    if (strict) {
      strictLength('evaluator', 'logits', out.logits.length, rows * A, rows, A);
      strictLength('evaluator', 'values', out.values.length, rows, rows, A);
    }
    checkEvaluatorRows(out.logits, out.values, batch.masks, batch.focal, batch.times, rows, A);
    for (let r = 0; r < rows; r++) {
      const o = batch.entry[r] * (A + 1);
      for (let a = 0; a < A; a++) data[o + a] = out.logits[r * A + a];
      data[o + A] = out.values[r];
    }
  } else {
    const out = await batch.call(x.coPlayerModel);
    t2 = now();
    run.timing.models += t2 - t;
    run.counts.coPlayerCalls++;
    run.counts.coPlayerRows += rows;
    if (out.probs.length < rows * A)
      throw new HopError(
        'E_SHAPE',
        `co-player model returned ${out.probs.length} probabilities for a batch of ${rows}; expected [${rows}, ${A}]`,
      );
    if (strict) strictLength('co-player model', 'probabilities', out.probs.length, rows * A, rows, A);
    run.counts.coPlayerFallbackRows += checkCoPlayerRows(out.probs, batch.masks, batch, rows, A, strict, x.fallbackWarning());
    for (let r = 0; r < rows; r++) {
      const o = batch.entry[r] * A;
      for (let a = 0; a < A; a++) data[o + a] = out.probs[r * A + a];
    }
  }
  run.timing.backup += now() - t2;
}

/** In strict mode an output longer than its batch is an error too (a model with another number of actions?). */
function strictLength(model: string, name: string, got: number, want: number, rows: number, A: number): void {
  if (got !== want)
    throw new HopError(
      'E_MODEL_OUTPUT',
      `${model} returned ${got} ${name} for a batch of ${rows} rows and ${A} actions; strict mode expects exactly ${want} ` +
        '(does the model use another number of actions?)',
    );
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
    if (!Number.isFinite(values[r]))
      throw new HopError('E_NAN', `evaluator returned value ${values[r]} for ${evaluatorRow(focal, times, r)}; values must be finite numbers`);
    let finite = false;
    for (let a = 0; a < A; a++) {
      if (!masks[r * A + a]) continue;
      const l = logits[r * A + a];
      if (Number.isNaN(l) || l === Infinity)
        throw new HopError('E_NAN', `evaluator returned logit ${l} for valid action ${a} of ${evaluatorRow(focal, times, r)}; logits must be finite (or -Infinity)`);
      if (l > -Infinity) finite = true;
    }
    if (!finite)
      throw new HopError('E_NAN', `evaluator gave every valid action of ${evaluatorRow(focal, times, r)} logit -Infinity; at least one must be finite`);
  }
}

/**
 * A NaN probability is always an error. A row that puts no probability on its valid actions (wrong action
 * order, wrong mask, all zero, negative) is an `E_MODEL_OUTPUT` in strict mode (as is any negative or
 * infinite probability of a valid action); otherwise the co-player plays uniformly over its valid actions
 * there, the first such row reported through `warn` (when given). Returns the number of such rows.
 */
function checkCoPlayerRows(
  probs: Float32Array,
  masks: Uint8Array,
  rows: { agent: Int32Array; focal: Int32Array; goal: Int32Array; times: Float32Array },
  n: number,
  A: number,
  strict: boolean,
  warn: ((message: string) => void) | null,
): number {
  let fallbacks = 0;
  for (let r = 0; r < n; r++) {
    let total = 0;
    let bad = -1;
    for (let a = 0; a < A; a++) {
      const p = probs[r * A + a];
      if (Number.isNaN(p))
        throw new HopError(
          'E_NAN',
          `co-player model returned probability NaN for ${coPlayerRow(rows, r)} action ${a}; ` +
            'check its inputs and weights (a NaN there would silently turn into a uniform co-player)',
        );
      if (!masks[r * A + a]) continue;
      if (bad < 0 && !(p >= 0 && p < Infinity)) bad = a;
      total += Math.max(0, p);
    }
    if (total > 0 && (!strict || bad < 0)) continue;
    if (!strict) {
      fallbacks++;
      if (!warn) continue;
    }
    const values = `probabilities [${Array.from(probs.subarray(r * A, (r + 1) * A)).join(', ')}] for valid actions [${validList(masks, r, A)}]`;
    const what =
      total > 0
        ? `co-player model gave valid action ${bad} of ${coPlayerRow(rows, r)} probability ${probs[r * A + bad]}`
        : `co-player model put no probability on the valid actions of ${coPlayerRow(rows, r)}`;
    const hint = "probabilities must be >= 0, in the simulator's action order, with mass on the actions its mask marks valid";
    if (strict) throw new HopError('E_MODEL_OUTPUT', `${what}: ${values}; ${hint}`);
    if (warn) warn(`${what}: ${values}; that co-player plays uniformly over its valid actions there (${hint})`);
    warn = null;
  }
  return fallbacks;
}

// Row descriptions are built only for a message: a template string per row would allocate on every step.
function evaluatorRow(focal: Int32Array, times: Float32Array, r: number): string {
  return `row ${r} (agent ${focal[r]}, time ${times[r]})`;
}

function coPlayerRow(rows: { agent: Int32Array; focal: Int32Array; goal: Int32Array; times: Float32Array }, r: number): string {
  return `row ${r} (agent ${rows.agent[r]} modelled by agent ${rows.focal[r]}, goal ${rows.goal[r]}, time ${rows.times[r]})`;
}

function validList(masks: Uint8Array, r: number, A: number): string {
  const v: number[] = [];
  for (let a = 0; a < A; a++) if (masks[r * A + a]) v.push(a);
  return v.join(', ');
}
