import { Rng } from '@hop/core/base';
import { HopPlanner, sampleGoalOrders, type SearchCoPlayerModel, type SearchEvaluator } from '@hop/mcts';
import { MOVES, N, sim } from './coin-rules';

// Stand-ins for your networks. The planner's own policy / value net (here: uniform, value 0, so the search
// is guided by the rewards it finds) and a goal-conditioned co-player model pi(a | o, t, goal): it steps
// towards the coin it is after. With @hop/moa these come from toEvaluator / pairCoPlayerModel.
const evaluator: SearchEvaluator = ({ batch }) => ({ logits: new Float32Array(batch * 4), values: new Float32Array(batch) });
const coPlayerModel: SearchCoPlayerModel = ({ batch, observations: o, masks, goals }) => {
  const probs = new Float32Array(batch * 4);
  for (let r = 0; r < batch; r++) {
    const g = goals.subarray(r * 3, r * 3 + 3).indexOf(1); // one-hot goal: the coin it is after
    const [row, col, coinRow, coinCol] = [o[r * 13], o[r * 13 + 1], o[r * 13 + 4 + 3 * g], o[r * 13 + 5 + 3 * g]];
    const far = (dr: number, dc: number) => Math.abs(row + dr - coinRow) + Math.abs(col + dc - coinCol);
    let z = 0;
    for (let a = 0; a < 4; a++) z += probs[r * 4 + a] = masks[r * 4 + a] * (far(MOVES[a][0], MOVES[a][1]) < far(0, 0) ? 1 : 0.1);
    for (let a = 0; a < 4; a++) probs[r * 4 + a] /= z;
  }
  return { probs };
};

const planner = new HopPlanner({ simulator: sim, evaluator, coPlayerModel, config: { numSimulations: 60, numTrees: 4 } });
const T = planner.config.numTrees;

// Player 0 at (2, 2) with a coin right next to it at (2, 3); player 1 at (4, 4).
const states = sim.allocate(1);
sim.write(states, 0, { pos: [2 * N + 2, 4 * N + 4], coin: [2 * N + 3, 0, 4 * N] });
// Each player's belief about the other one's goal coin, [co-players = 1, goals = 3]: with @hop/moa,
// GoalBeliefTracker.belief(). Decision d is player d's; its trees sample goal orderings from its belief.
const beliefs = [Float32Array.of(0.2, 0.3, 0.5), Float32Array.of(0.6, 0.2, 0.2)];
const goalOrders = new Int32Array(2 * T * 2 * 3);
beliefs.forEach((b, d) => sampleGoalOrders(b, { focal: d, numGoals: 3, numTrees: T, rng: new Rng(d), out: goalOrders, outOffset: d * T * 6 }));
const input = { states, slots: Int32Array.of(0, 0), focal: Int32Array.of(0, 1), goalOrders, seeds: [1, 2] };

// Evaluation: greedy, the best move every time. Training: sampled from out.policy (the policy target).
const evalOut = await planner.plan({ ...input, greedy: true });
console.log(`evaluation move of player 0: ${evalOut.action[0]} (3 = right, onto the coin)`);
const trainOut = await planner.plan({ ...input, greedy: false });
console.log(`training move of player 0: ${trainOut.action[0]}, policy target [${Array.from(trainOut.policy.subarray(0, 4), (p) => p.toFixed(2))}]`);

// A whole episode from a random start, both players planning greedily; out.action is the joint action.
sim.reset(states, 0, 7);
const returns = [0, 0], rewards = new Float32Array(2), terminal = new Uint8Array(1);
for (let t = 0; !terminal[0]; t++) {
  const out = await planner.plan({ ...input, seeds: [2 * t, 2 * t + 1], greedy: true });
  sim.step({ states, from: Int32Array.of(0), to: Int32Array.of(0), actions: out.action, count: 1, rewards, terminal });
  returns[0] += rewards[0];
  returns[1] += rewards[1];
}
console.log(`episode of ${sim.read(states, 0).time} steps: returns ${returns.join(', ')}`);
