// An outside project's first program with @hop/core, @hop/moa and @hop/mcts (a game that is not the stag hunt).
import { createGameSimulator, initBackend, Rng } from '@hop/core';
import { GoalBeliefTracker, MOAModel, MOATrainer, evaluate, oneHotGoals, toCoPlayerModel } from '@hop/moa';
import { HopPlanner } from '@hop/mcts';

// Meet: two walkers on a line of 5 cells; both earn 1 when they stand together on an end (goal 0 left, 1 right).
const L = 5, T = 6, A = 3; // actions 0 left, 1 stay, 2 right
const view = (out: Float32Array, r: number, me: number, other: number) => { out.fill(0, r * 2 * L, (r + 1) * 2 * L); out[r * 2 * L + me] = 1; out[r * 2 * L + L + other] = 1; };
const met = (pos: Int32Array) => pos[0] === pos[1] && (pos[0] === 0 || pos[0] === L - 1);
const game = createGameSimulator({
  numAgents: 2, numActions: A, noopAction: 1, state: { pos: 2 }, observationShape: [2 * L], maxSteps: T,
  reset: (s, rng) => s.pos.set([rng.int(L), rng.int(L)]),
  step(s, actions, rewards) {
    for (let i = 0; i < 2; i++) s.pos[i] = Math.min(L - 1, Math.max(0, s.pos[i] + actions[i] - 1));
    if (met(s.pos)) rewards.fill(1);
  },
  legalActions: (s, i, mask) => mask.set([+(s.pos[i] > 0), 1, +(s.pos[i] < L - 1)]),
  observe: (s, i, out) => view(out, 0, s.pos[i], s.pos[1 - i]),
  terminal: (s) => met(s.pos),
  goals: { count: 2, available: (_s, out) => out.fill(1) },
});
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
  const goalOrders = beliefs.sampleGoalOrders(rng, { focal: 0, numTrees: planner.config.numTrees });
  const states = game.allocate(1);
  game.write(states, 0, { pos: [2, 4] }, 2);
  const out = await planner.plan({ states, slots: Int32Array.of(0), focal: Int32Array.of(0), goalOrders, seeds: [7] });
  console.log(JSON.stringify({ backend: backend.name, top1, beliefRight: beliefs.belief()[1], action: out.action[0] }));
}
main().catch((e) => { console.error(e); process.exit(1); });
