// An outside project's first program with @hop/core, @hop/moa and @hop/mcts (a game that is not the stag hunt).
import { initBackend, Rng, type BatchedSimulator, type SimViewBatch } from '@hop/core';
import { GoalBeliefTracker, MOAModel, MOATrainer, evaluate, oneHotGoals, toCoPlayerModel } from '@hop/moa';
import { HopPlanner } from '@hop/mcts';

// Meet: two walkers on a line of 5 cells; both earn 1 when they stand together on an end (goal 0 left, 1 right).
const L = 5, T = 6, A = 3; // actions 0 left, 1 stay (the no-op), 2 right; state words [pos0, pos1, t]
const met = (s: Int32Array, o: number) => s[o] === s[o + 1] && (s[o] === 0 || s[o] === L - 1);
const over = (s: Int32Array, o: number) => met(s, o) || s[o + 2] >= T;
const each = (v: SimViewBatch, f: (o: number, k: number) => void) => { for (let k = 0; k < v.count; k++) f(v.slots[k] * 3, k); };
const view = (out: Float32Array, r: number, me: number, other: number) => { out.fill(0, r * 2 * L, (r + 1) * 2 * L); out[r * 2 * L + me] = 1; out[r * 2 * L + L + other] = 1; };
const game: BatchedSimulator = {
  numAgents: 2, numActions: A, stateWords: 3, observationShape: [2 * L], observationSize: 2 * L, noopAction: 1, numGoals: 2,
  step(b) {
    for (let k = 0; k < b.count; k++) {
      const f = b.from[k] * 3, o = b.to[k] * 3;
      for (let i = 0; i < 2; i++) b.states[o + i] = Math.min(L - 1, Math.max(0, b.states[f + i] + b.actions[k * 2 + i] - 1));
      b.states[o + 2] = b.states[f + 2] + 1;
      b.rewards.fill(+met(b.states, o), k * 2, k * 2 + 2); b.terminal[k] = +over(b.states, o);
    }
  },
  legalActions: (v, out) => each(v, (o, k) => { for (let i = 0; i < 2; i++) out.set([+(v.states[o + i] > 0), 1, +(v.states[o + i] < L - 1)], (k * 2 + i) * A); }),
  agentDone: (v, out) => each(v, (o, k) => out.fill(+over(v.states, o), k * 2, k * 2 + 2)),
  observe: (v, out) => each(v, (o, k) => { for (let i = 0; i < 2; i++) view(out, k * 2 + i, v.states[o + i], v.states[o + 1 - i]); }),
  time: (v, out) => each(v, (o, k) => (out[k] = v.states[o + 2])),
  terminal: (v, out) => each(v, (o, k) => (out[k] = +over(v.states, o))),
  hash: (v, out) => each(v, (o, k) => (out[k] = v.states[o] + L * v.states[o + 1] + L * L * v.states[o + 2])),
  goalsAvailable: (v, out) => out.fill(1, 0, v.count * 2),
};
// The co-player walks to its goal's end 80% of the time, else stays.
const coPlayer = (pos: number, goal: number, rng: Rng) => (rng.next() < 0.8 && pos !== goal * (L - 1) ? 2 * goal : 1);

async function main() {
  const backend = await initBackend();
  const rng = new Rng(1), N = 2000;
  const data = { size: N, obs: new Float32Array(N * 2 * L), mask: new Uint8Array(N * A), time: new Float32Array(N), action: new Int32Array(N), goal: new Float32Array(N * 2) };
  for (let n = 0; n < N; n++) {
    const pos = rng.int(L), goal = rng.int(2);
    view(data.obs, n, pos, rng.int(L)); data.mask.set([+(pos > 0), 1, +(pos < L - 1)], n * A);
    data.time[n] = rng.int(T); data.action[n] = coPlayer(pos, goal, rng); data.goal[n * 2 + goal] = 1;
  }
  const moa = new MOAModel({ observationShape: [2 * L], numActions: A, goalDim: 2, maxTime: T, mlpUnits: [32], hiddenUnits: 32 });
  new MOATrainer(moa, { learningRate: 0.01 }).fit(data, { epochs: 5, minibatch: 100, rng });
  const top1 = evaluate(moa, data).top1;
  // Beliefs about the co-player's goal: it stepped right twice from the middle.
  const beliefs = new GoalBeliefTracker(1, 2);
  for (const pos of [2, 3]) {
    const obs = new Float32Array(2 * L); view(obs, 0, pos, 2);
    const p = moa.probsForGoals({ obs, mask: Uint8Array.of(1, 1, 1), time: Float32Array.of(pos - 2) }, oneHotGoals(2));
    beliefs.observeActions(p.dataSync(), A, [2]); p.dispose();
  }
  // Plan for player 0 (the co-player now on the right end) with goals sampled from the belief; greedy = evaluation.
  const evaluator = ({ batch }: { batch: number }) => ({ logits: new Float32Array(batch * A), values: new Float32Array(batch) });
  const planner = new HopPlanner({ simulator: game, evaluator, coPlayerModel: toCoPlayerModel(moa), config: { numSimulations: 50, greedy: true } });
  const goalOrders = beliefs.sampleOrderings(rng, planner.config.treeNum, undefined, { focal: 0 });
  const out = await planner.plan({ states: Int32Array.of(2, 4, 2), slots: Int32Array.of(0), focal: Int32Array.of(0), goalOrders, seeds: [7] });
  console.log(JSON.stringify({ backend: backend.name, top1, beliefRight: beliefs.belief()[1], action: out.action[0] }));
}
main().catch((e) => { console.error(e); process.exit(1); });
