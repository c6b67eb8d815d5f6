import type { BatchedSimulator, CoPlayerModel, Evaluator } from '@hop/core';
import type { Rng } from '@hop/core';

/**
 * The reference's structure, for comparison only: one object per node holding a deep copy of the
 * simulator state; every expansion restores the parent's snapshot, steps once, and calls the evaluator and
 * each co-player model at batch size 1. Same HOP semantics as the package (PUCT with Q = W / (1 + n),
 * co-player actions sampled once per node from the first available goal, gamma backup).
 */
class NaiveNode {
  visits = 0;
  valueSum = 0;
  reward = 0;
  terminal = false;
  value = 0;
  readonly children: (NaiveNode | null)[];
  prior: Float32Array;
  legal: Uint8Array;
  coActions: Int32Array;
  constructor(
    readonly state: Int32Array,
    numActions: number,
    numAgents: number,
  ) {
    this.children = new Array(numActions).fill(null);
    this.prior = new Float32Array(numActions);
    this.legal = new Uint8Array(numActions);
    this.coActions = new Int32Array(numAgents);
  }
}

export interface NaiveSearchOptions {
  sim: BatchedSimulator;
  evaluator: Evaluator;
  coPlayer: CoPlayerModel;
  numSimulations: number;
  numTrees: number;
  gamma: number;
  cPuct: number;
  beta: number;
}

export interface NaiveResult {
  /** softmax(beta * Q_avg) over the valid root actions. */
  policy: Float32Array;
  /** Network calls made (each at batch size 1). */
  calls: number;
}

/** One decision of agent `focal` from `root` (stateWords int32). */
export async function naiveDecision(
  o: NaiveSearchOptions,
  root: Int32Array,
  focal: number,
  goalOrders: Int32Array, // [numTrees, numAgents, numGoals]
  rng: Rng,
): Promise<NaiveResult> {
  let calls = 0;
  const { sim } = o;
  const A = sim.numActions;
  const P = sim.numAgents;
  const G = sim.numGoals;
  const W = sim.stateWords;
  const O = sim.observationSize;
  // a two-slot "environment" the snapshots are restored into
  const env = new Int32Array(2 * W);
  const one = Int32Array.of(0);
  const slot1 = Int32Array.of(1);
  const qAvg = new Float64Array(A);
  const valid = new Uint8Array(A);

  const evaluate = async (node: NaiveNode, orders: Int32Array) => {
    env.set(node.state, 0);
    const view = { states: env, slots: one, count: 1 };
    const legal = new Uint8Array(P * A);
    const done = new Uint8Array(P);
    const goals = new Uint8Array(Math.max(1, G));
    const obs = new Float32Array(P * O);
    const time = new Float32Array(1);
    sim.legalActions(view, legal);
    sim.agentDone(view, done);
    sim.goalsAvailable(view, goals);
    sim.observe(view, obs);
    sim.time(view, time);
    node.legal.set(legal.subarray(focal * A, (focal + 1) * A));
    calls++;
    const ev = await o.evaluator({
      batch: 1,
      observations: obs.slice(focal * O, (focal + 1) * O),
      masks: node.legal,
      times: time,
    });
    let hi = -Infinity;
    for (let a = 0; a < A; a++) if (node.legal[a] && ev.logits[a] > hi) hi = ev.logits[a];
    let z = 0;
    for (let a = 0; a < A; a++) {
      node.prior[a] = node.legal[a] ? Math.exp(ev.logits[a] - hi) : 0;
      z += node.prior[a];
    }
    for (let a = 0; a < A; a++) node.prior[a] /= z;
    node.value = ev.values[0];
    for (let j = 0; j < P; j++) {
      node.coActions[j] = sim.noopAction;
      if (j === focal || done[j]) continue;
      let goal = -1;
      for (let r = 0; r < G; r++) {
        const g = orders[j * G + r];
        if (g >= 0 && goals[g]) {
          goal = g;
          break;
        }
      }
      const mask = legal.slice(j * A, (j + 1) * A);
      let w: ArrayLike<number> = mask;
      if (goal >= 0) {
        const goalVec = new Float32Array(G);
        goalVec[goal] = 1;
        calls++;
        const out = await o.coPlayer({
          batch: 1,
          observations: obs.slice(j * O, (j + 1) * O),
          masks: mask,
          times: time,
          goals: goalVec,
          goalDim: G,
        });
        w = out.probs;
      }
      const a = rng.categorical(w);
      node.coActions[j] = a < 0 ? sim.noopAction : a;
    }
  };

  for (let t = 0; t < o.numTrees; t++) {
    const orders = goalOrders.subarray(t * P * G, (t + 1) * P * G);
    const rootNode = new NaiveNode(root.slice(), A, P);
    await evaluate(rootNode, orders);
    rootNode.visits = 1;
    rootNode.valueSum = rootNode.value;
    for (let s = 0; s < o.numSimulations; s++) {
      const path: NaiveNode[] = [rootNode];
      let node = rootNode;
      let leaf: NaiveNode;
      for (;;) {
        if (node.terminal) {
          leaf = node;
          break;
        }
        let best = -Infinity;
        let bestA = -1;
        const sq = Math.sqrt(node.visits);
        for (let a = 0; a < A; a++) {
          if (!node.legal[a]) continue;
          const c = node.children[a];
          const n = c ? c.visits : 0;
          const q = c ? c.valueSum / (1 + n) : 0;
          const score = q + (o.cPuct * sq * node.prior[a]) / (1 + n);
          if (score > best) {
            best = score;
            bestA = a;
          }
        }
        const c = node.children[bestA];
        if (c) {
          node = c;
          path.push(c);
          continue;
        }
        // expand: restore the snapshot, step, deep-copy the result
        env.set(node.state, 0);
        const actions = node.coActions.slice();
        actions[focal] = bestA;
        const rewards = new Float32Array(P);
        const term = new Uint8Array(1);
        await sim.step({ states: env, from: one, to: slot1, actions, count: 1, rewards, terminal: term });
        const child = new NaiveNode(env.slice(W, 2 * W), A, P);
        child.reward = rewards[focal];
        const done = new Uint8Array(P);
        sim.agentDone({ states: env, slots: slot1, count: 1 }, done);
        child.terminal = term[0] === 1 || done[focal] === 1;
        if (!child.terminal) await evaluate(child, orders);
        node.children[bestA] = child;
        path.push(child);
        leaf = child;
        break;
      }
      let v = leaf.terminal ? 0 : leaf.value;
      for (let i = path.length - 1; i >= 1; i--) {
        v = path[i].reward + o.gamma * v;
        path[i].visits++;
        path[i].valueSum += v;
      }
      rootNode.visits++;
      rootNode.valueSum += v;
    }
    valid.set(rootNode.legal);
    for (let a = 0; a < A; a++) {
      const c = rootNode.children[a];
      qAvg[a] += c ? c.valueSum / (1 + c.visits) / o.numTrees : 0;
    }
  }
  const pi = new Float32Array(A);
  let hi = -Infinity;
  for (let a = 0; a < A; a++) if (valid[a] && qAvg[a] > hi) hi = qAvg[a];
  let z = 0;
  for (let a = 0; a < A; a++) {
    pi[a] = valid[a] ? Math.exp(o.beta * (qAvg[a] - hi)) : 0;
    z += pi[a];
  }
  for (let a = 0; a < A; a++) pi[a] /= z;
  return { policy: pi, calls };
}
