import { Rng, initBackend, legalActionsOf, observeState, stepState, viewState } from '@hop/core';
import { GoalBeliefTracker, MOAModel, MOATrainer, evaluate, oneHotGoals, toCoPlayerModel, type MOADataset } from '@hop/moa';
import { HopPlanner } from '@hop/mcts';
import { N, moved, sim } from './coin-rules';

// Your game with HOP, end to end on the coin game of ./coin-rules.ts (a createGameSimulator game): collect
// data of a co-player, train its MOA, infer its goal coin from what it does, plan against it.
await initBackend(); // the fastest tfjs backend installed (wasm with @tensorflow/tfjs-backend-wasm)
const rng = new Rng(3);
const G = 3, A = 4, O = sim.observationSize, T = 20;

// The co-player (player 1) walks towards its goal coin (the first move, in action order, that gets closer) 90% of
// the time, else any legal move; player 0 moves at random. Its goal is the coin it is after.
const dist = (a: number, b: number) => Math.abs(Math.floor(a / N) - Math.floor(b / N)) + Math.abs((a % N) - (b % N));
function coPlayerMove(pos: number, coin: number, legal: Uint8Array): number {
  const legalMoves = [0, 1, 2, 3].filter((a) => legal[a]);
  if (rng.next() < 0.9) for (const a of legalMoves) if (dist(moved(pos, a), coin) < dist(pos, coin)) return a;
  return legalMoves[rng.int(legalMoves.length)];
}

// 1. Data: one row per co-player move, read with the single-state helpers (no batch views by hand).
function collect(episodes: number): MOADataset {
  const rows: { obs: Float32Array; mask: Uint8Array; time: number; action: number; goal: number }[] = [];
  const states = sim.allocate(1);
  for (let e = 0; e < episodes; e++) {
    sim.reset(states, 0, rng.int(2 ** 31));
    let goal = rng.int(G);
    for (let done = false; !done; ) {
      const { values, time } = sim.read(states, 0);
      if (values.coin[goal] < 0) goal = values.coin.findIndex((c) => c >= 0); // its coin is gone: the next one
      const mask = legalActionsOf(sim, states, 0, 1);
      const action = coPlayerMove(values.pos[1], values.coin[goal], mask);
      rows.push({ obs: observeState(sim, states, 0, 1), mask, time, action, goal });
      const own = legalActionsOf(sim, states, 0, 0).reduce<number[]>((l, v, a) => (v ? [...l, a] : l), []);
      done = stepState(sim, states, 0, [own[rng.int(own.length)], action]).terminal;
    }
  }
  const n = rows.length;
  const data = { size: n, obs: new Float32Array(n * O), mask: new Uint8Array(n * A), time: new Float32Array(n), action: new Int32Array(n), goal: new Float32Array(n * G) };
  rows.forEach((r, i) => {
    data.obs.set(r.obs, i * O);
    data.mask.set(r.mask, i * A);
    data.time[i] = r.time;
    data.action[i] = r.action;
    data.goal[i * G + r.goal] = 1;
  });
  return data;
}

// 2. MOA: the goal-conditioned co-player policy pi(a | o, t, goal), trained and measured on held-out episodes.
const moa = new MOAModel({ observationShape: [...sim.observationShape], numActions: A, goalDim: G, maxTime: T, mlpUnits: [64], hiddenUnits: 64 });
const epochs = new MOATrainer(moa, { learningRate: 0.01 }).fit(collect(300), { epochs: 8, minibatch: 128, rng });
const heldOut = evaluate(moa, collect(50));
console.log(`MOA: loss ${epochs[0].loss.toFixed(2)} -> ${epochs.at(-1)!.loss.toFixed(2)}, held-out top-1 ${heldOut.top1.toFixed(2)}`);

// 3. Beliefs: a new episode where the co-player walks to coin 2; player 0 updates its belief about that goal
// from the MOA's probability of each observed move under each goal.
const states = sim.allocate(1);
// player 0 at (0, 0); player 1 at (2, 1) with coin 0 above it at (0, 1), coin 1 below at (4, 1), coin 2 right at (2, 4)
sim.write(states, 0, { pos: [0, 2 * N + 1], coin: [1, 4 * N + 1, 2 * N + 4] });
const tracker = new GoalBeliefTracker(1, G);
for (let t = 0; t < 2; t++) {
  const view = viewState(sim, states, 0);
  const mask = view.legalActions.subarray(A, 2 * A);
  const probs = moa.probsForGoals({ obs: observeState(sim, states, 0, 1), mask, time: Float32Array.of(view.time) }, oneHotGoals(G));
  const action = 3; // right, towards coin 2
  tracker.observeActions(probs.dataSync(), A, [action], view.goalsAvailable);
  probs.dispose();
  stepState(sim, states, 0, [1, action]);
}
console.log(`belief about player 1's coin after 2 moves right: [${Array.from(tracker.belief(), (p) => p.toFixed(2))}]`);

// 4. Planning for player 0 with the MOA as the co-player model, its goals sampled from the belief.
const evaluator = ({ batch }: { batch: number }) => ({ logits: new Float32Array(batch * A), values: new Float32Array(batch) });
const planner = new HopPlanner({ simulator: sim, evaluator, coPlayerModel: toCoPlayerModel(moa), config: { numSimulations: 60, numTrees: 4 } });
const goalOrders = tracker.sampleGoalOrders(rng, { focal: 0, numTrees: planner.config.numTrees });
const out = await planner.plan({ states, slots: Int32Array.of(0), focal: Int32Array.of(0), goalOrders, seeds: [1], greedy: true });
console.log(`player 0 at (0, 0) plans move ${out.action[0]} (${['up', 'down', 'left', 'right'][out.action[0]]}, coin 0 is to its right)`);
