import type { BatchedSimulator } from '@hop/core';
import { edgeQ } from '../../src/index';
import type { MctsConfig, TreeArena } from '../../src/index';

/**
 * Checks every structural invariant of the trees in `arena` and returns the list of violations
 * (empty when all hold). `freshRoots`: no subtree was reused, so the root was visited exactly numSimulations
 * times (its own evaluation is the first simulation, as in the reference) and its children numSimulations - 1.
 */
export function treeViolations(
  arena: TreeArena,
  sim: BatchedSimulator,
  config: MctsConfig,
  freshRoots: boolean,
): string[] {
  const bad: string[] = [];
  const A = arena.numActions;
  const P = arena.numAgents;
  const W = arena.stateWords;
  const gamma = config.gamma;
  const legal = new Uint8Array(P * A);
  const done = new Uint8Array(P);
  const slots = new Int32Array(1);
  const scratch = new Int32Array(2 * W);
  const rewards = new Float32Array(P);
  const term = new Uint8Array(1);
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  for (let b = 0; b < arena.numTrees; b++) {
    if (!arena.active[b]) continue;
    const base = b * arena.maxNodes;
    const f = arena.focal[b];
    if (freshRoots && arena.visits[base] !== config.numSimulations)
      bad.push(`tree ${b}: root visited ${arena.visits[base]} times, expected numSimulations = ${config.numSimulations}`);
    for (let n = 0; n < arena.size[b]; n++) {
      const g = base + n;
      const where = `tree ${b} node ${n}`;
      let sumN = 0;
      let sumW = 0;
      for (let a = 0; a < A; a++) {
        const c = arena.children[g * A + a];
        if (c < 0) continue;
        const cg = base + c;
        if (!arena.legal[g * A + a]) bad.push(`${where}: invalid action ${a} was expanded`);
        if (c <= n) bad.push(`${where}: child ${c} does not come after its parent`);
        if (arena.parent[cg] !== n || arena.actionFromParent[cg] !== a) bad.push(`${where}: child ${c} links back wrong`);
        if (arena.depth[cg] !== arena.depth[g] + 1) bad.push(`${where}: child ${c} depth`);
        sumN += arena.visits[cg];
        sumW += arena.valueSum[cg];
        // min-max normalisation maps every scored Q into [0, 1]: the bounds must contain every edge's Q
        if (config.minMaxNormalize && arena.visits[cg] > 0) {
          const q = edgeQ(arena, b, g, a, config.qEstimate === 'mean' || config.search === 'gumbel');
          if (config.search === 'puct' && (q < arena.minQ[b] - 1e-9 || q > arena.maxQ[b] + 1e-9))
            bad.push(`${where}: Q ${q} of action ${a} outside the min-max bounds [${arena.minQ[b]}, ${arena.maxQ[b]}]`);
        }
        // co-player actions are shared by all focal actions: stepping this node again reproduces the child
        scratch.set(arena.states.subarray(g * W, (g + 1) * W), 0);
        const actions = Int32Array.from(arena.coActions.subarray(g * P, (g + 1) * P));
        actions[f] = a;
        void sim.step({
          states: scratch,
          from: Int32Array.of(0),
          to: Int32Array.of(1),
          actions,
          count: 1,
          rewards,
          terminal: term,
        });
        for (let w = 0; w < W; w++)
          if (scratch[W + w] !== arena.states[cg * W + w]) {
            bad.push(`${where}: child ${c} state is not the step with the node's co-player actions`);
            break;
          }
        if (!close(rewards[f], arena.reward[cg])) bad.push(`${where}: child ${c} reward ${arena.reward[cg]} != ${rewards[f]}`);
      }
      const N = arena.visits[g];
      const Wsum = arena.valueSum[g];
      if (arena.terminal[g]) {
        if (sumN > 0) bad.push(`${where}: terminal node has children`);
        if (N < 1) bad.push(`${where}: terminal node never visited`);
        const leaf = config.compat.doubleCountTerminalReward ? arena.reward[g] : 0;
        if (!close(Wsum, N * (arena.reward[g] + gamma * leaf))) bad.push(`${where}: terminal value sum ${Wsum}`);
        continue;
      }
      if (N !== 1 + sumN) bad.push(`${where}: visits ${N} != 1 + children's ${sumN}`);
      if (sumN > 0 && !arena.coReady[g]) bad.push(`${where}: expanded without co-player actions`);
      const below = arena.rawValue[g] + sumW;
      const expected = n === 0 ? below : N * arena.reward[g] + gamma * below;
      if (!close(Wsum, expected)) bad.push(`${where}: value sum ${Wsum} != backups ${expected}`);
      // co-player actions (sampled when the node is first expanded): legal for live co-players, the no-op
      // for done ones and the focal slot
      if (!arena.coReady[g]) continue;
      slots[0] = g;
      const view = { states: arena.states, slots, count: 1 };
      sim.legalActions(view, legal);
      sim.agentDone(view, done);
      for (let j = 0; j < P; j++) {
        const a = arena.coActions[g * P + j];
        if (j === f || done[j]) {
          if (a !== sim.noopAction) bad.push(`${where}: agent ${j} (focal or done) does not take the no-op`);
        } else if (!legal[j * A + a]) bad.push(`${where}: co-player ${j} action ${a} is invalid`);
      }
    }
  }
  return bad;
}
