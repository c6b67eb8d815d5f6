import type { SearchEngine, SearchVariant } from '../search/engine';
import type { SearchRun } from '../search/types';
import { completedQ } from '../search/qvalues';
import { consideredVisitTable } from '../search/seqHalving';
import { gumbelInteriorSelect, gumbelRootSelect } from '../search/selection';
import type { SearchInput, SearchOutput } from '../types';
import { decisionActive, noopDecision, softmaxValid, summariseRoots } from './decision';

/**
 * One Gumbel draw per decision, shared by the decision's trees (they differ only in the co-players' goal
 * orderings), so that all trees consider the same top-k actions.
 */
function prepareGumbelRoots(engine: SearchEngine, run: SearchRun): void {
  const { arena, config, ctx } = engine;
  const A = arena.numActions;
  const T = run.numTrees;
  const k = config.gumbelMaxConsideredActions;
  // the root's evaluation is the first of the numSimulations: Sequential Halving spreads the other ones
  const descents = config.numSimulations - 1;
  if (ctx.considerTable.length !== k + 1 || ctx.considerTable[0].length !== descents)
    ctx.considerTable = consideredVisitTable(k, descents);
  for (let d = 0; d < run.numDecisions; d++) {
    const rng = run.decisionRngs[d];
    for (let a = 0; a < A; a++) {
      const u = Math.max(rng.next(), Number.MIN_VALUE);
      const g = config.gumbelScale * -Math.log(-Math.log(u));
      for (let t = 0; t < T; t++) ctx.gumbel[(d * T + t) * A + a] = g;
    }
  }
  for (let b = 0; b < arena.numTrees; b++) {
    const off = b * arena.maxNodes * A;
    let valid = 0;
    for (let a = 0; a < A; a++) valid += arena.legal[off + a];
    ctx.numConsidered[b] = Math.min(k, valid);
  }
}

const gumbelVariant: SearchVariant = {
  root: gumbelRootSelect,
  interior: gumbelInteriorSelect,
  prepareRoots: prepareGumbelRoots,
};

/**
 * Gumbel-MuZero (Danihelka et al. 2022) with HOP's trees: Sequential Halving at the root, deterministic
 * interior selection. Policy target: `softmax(logits + mean_trees sigma(completed Q))`. Action: among the
 * actions with the most visits (summed over trees), the highest `gumbel + logits + mean sigma(completed Q)`
 * (without the Gumbel term when `greedy`).
 */
export async function gumbelPolicy(engine: SearchEngine, input: SearchInput): Promise<SearchOutput> {
  const run = await engine.run(input, gumbelVariant);
  const t0 = performance.now();
  const { arena, config, ctx } = engine;
  const greedy = input.greedy ?? config.greedy;
  const out = summariseRoots(engine, run, true);
  const A = arena.numActions;
  const T = run.numTrees;
  const sigma = new Float64Array(A);
  const score = new Float64Array(A);
  for (let d = 0; d < out.numDecisions; d++) {
    if (!decisionActive(engine, run, d)) {
      noopDecision(out, d, engine.sim.noopAction);
      continue;
    }
    sigma.fill(0);
    for (let t = 0; t < T; t++) {
      const b = d * T + t;
      completedQ(arena, b, b * arena.maxNodes, config.gumbelValueScale, config.gumbelMaxVisitInit, ctx.scratchA);
      for (let a = 0; a < A; a++) if (out.validActions[d * A + a]) sigma[a] += ctx.scratchA[a] / T;
    }
    const rootOff = d * T * arena.maxNodes * A;
    for (let a = 0; a < A; a++) score[a] = out.validActions[d * A + a] ? arena.logits[rootOff + a] + sigma[a] : 0;
    softmaxValid(out, d, score, 0, 1);
    let top = -1;
    for (let a = 0; a < A; a++) if (out.validActions[d * A + a] && out.visits[d * A + a] > top) top = out.visits[d * A + a];
    let best = -1;
    let bestScore = -Infinity;
    for (let a = 0; a < A; a++) {
      if (!out.validActions[d * A + a] || out.visits[d * A + a] !== top) continue;
      const s = score[a] + (greedy ? 0 : ctx.gumbel[d * T * A + a]);
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    out.action[d] = best;
  }
  const dt = performance.now() - t0;
  out.timing.bookkeeping += dt;
  out.timing.total += dt;
  return out;
}
