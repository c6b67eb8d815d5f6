import type { SearchEngine } from '../search/engine';
import type { SearchRun } from '../search/types';
import { edgeQ } from '../search/qvalues';
import type { SearchOutput } from '../types';

/**
 * Reads the roots of every decision's trees into the output record (Q, visits, depths, sizes); the policy
 * then fills `policy` and `action`.
 */
export function summariseRoots(engine: SearchEngine, run: SearchRun, meanQ: boolean): SearchOutput {
  const { arena } = engine;
  const D = run.numDecisions;
  const T = run.numTrees;
  const A = arena.numActions;
  const out: SearchOutput = {
    numDecisions: D,
    numTrees: T,
    treeNum: T,
    numActions: A,
    action: new Int32Array(D),
    policy: new Float32Array(D * A),
    rootQ: new Float32Array(D * A),
    rootQPerTree: new Float32Array(D * T * A),
    visitsPerTree: new Int32Array(D * T * A),
    visits: new Int32Array(D * A),
    validActions: new Uint8Array(D * A),
    maxDepth: new Int32Array(D),
    meanLeafDepth: new Float32Array(D),
    treeSizes: new Int32Array(D * T),
    timing: run.timing,
    counts: run.counts,
  };
  for (let d = 0; d < D; d++) {
    const g0 = d * T * arena.maxNodes;
    for (let a = 0; a < A; a++) out.validActions[d * A + a] = arena.legal[g0 * A + a];
    let depthSum = 0;
    let leafCount = 0;
    for (let t = 0; t < T; t++) {
      const b = d * T + t;
      const g = b * arena.maxNodes;
      for (let a = 0; a < A; a++) {
        const n = arena.childVisits(b, g, a);
        const q = edgeQ(arena, b, g, a, meanQ);
        out.visitsPerTree[(d * T + t) * A + a] = n;
        out.rootQPerTree[(d * T + t) * A + a] = q;
        out.visits[d * A + a] += n;
        out.rootQ[d * A + a] += q / T;
      }
      out.maxDepth[d] = Math.max(out.maxDepth[d], run.maxDepth[b]);
      out.treeSizes[d * T + t] = arena.size[b];
      depthSum += run.leafDepthSum[b];
      leafCount += run.leafCount[b];
    }
    out.meanLeafDepth[d] = leafCount > 0 ? depthSum / leafCount : 0;
  }
  return out;
}

/** True when decision `d` has at least one searched tree (its root is not terminal). */
export function decisionActive(engine: SearchEngine, run: SearchRun, d: number): boolean {
  for (let t = 0; t < run.numTrees; t++) if (engine.arena.active[d * run.numTrees + t]) return true;
  return false;
}

/** A terminal root: the only sensible output is the no-op. */
export function noopDecision(out: SearchOutput, d: number, noop: number): void {
  const A = out.numActions;
  out.policy.fill(0, d * A, (d + 1) * A);
  out.policy[d * A + noop] = 1;
  out.action[d] = noop;
}

/** `softmax(beta * x)` over the valid actions of row `d`, written into `out.policy`. */
export function softmaxValid(out: SearchOutput, d: number, x: ArrayLike<number>, xOff: number, beta: number): void {
  const A = out.numActions;
  let hi = -Infinity;
  for (let a = 0; a < A; a++) if (out.validActions[d * A + a] && x[xOff + a] > hi) hi = x[xOff + a];
  let z = 0;
  for (let a = 0; a < A; a++) {
    const p = out.validActions[d * A + a] ? Math.exp(beta * (x[xOff + a] - hi)) : 0;
    out.policy[d * A + a] = p;
    z += p;
  }
  for (let a = 0; a < A; a++) out.policy[d * A + a] /= z;
}

/** Visit counts to `N^(1/temperature)` normalised; temperature 0 is one-hot on the most visited action. */
export function visitPolicy(out: SearchOutput, d: number, temperature: number): void {
  const A = out.numActions;
  const row = d * A;
  let best = -1;
  let total = 0;
  for (let a = 0; a < A; a++) {
    if (!out.validActions[row + a]) continue;
    if (best < 0 || out.visits[row + a] > out.visits[row + best]) best = a;
    total += out.visits[row + a];
  }
  out.policy.fill(0, row, row + A);
  if (temperature === 0 || total === 0) {
    out.policy[row + best] = 1;
    return;
  }
  // normalise by the largest count first so that N^(1/T) cannot overflow for small temperatures
  const top = out.visits[row + best];
  let z = 0;
  for (let a = 0; a < A; a++) {
    if (!out.validActions[row + a]) continue;
    const p = Math.pow(out.visits[row + a] / top, 1 / temperature);
    out.policy[row + a] = p;
    z += p;
  }
  for (let a = 0; a < A; a++) out.policy[row + a] /= z;
}

/**
 * Argmax of the policy row or a draw from it. Greedy ties are broken uniformly at random from the decision's
 * own stream: with a flat value most root Q are equal, and "lowest index" would turn every such decision into
 * "up" (agents oscillate between up and down instead of exploring the board).
 */
export function chooseAction(out: SearchOutput, d: number, greedy: boolean, run: SearchRun): void {
  const A = out.numActions;
  const row = d * A;
  if (greedy) {
    let best = -1;
    let ties = 0;
    for (let a = 0; a < A; a++) {
      if (!out.validActions[row + a]) continue;
      if (best < 0 || out.policy[row + a] > out.policy[row + best]) {
        best = a;
        ties = 1;
      } else if (out.policy[row + a] === out.policy[row + best]) ties++;
    }
    if (ties > 1) {
      let pick = run.decisionRngs[d].int(ties);
      const top = out.policy[row + best];
      for (let a = best; a < A; a++) if (out.validActions[row + a] && out.policy[row + a] === top && pick-- === 0) best = a;
    }
    out.action[d] = best;
    return;
  }
  out.action[d] = run.decisionRngs[d].categorical(out.policy, row, A);
}
