import type { SearchEngine, SearchVariant } from '../search/engine';
import type { SearchRun } from '../search/types';
import { puctSelect } from '../search/selection';
import type { SearchInput, SearchOutput } from '../types';
import {
  chooseAction,
  decisionActive,
  noopDecision,
  softmaxValid,
  summariseRoots,
  visitPolicy,
} from './decision';

/** Root priors: softmax of the stored logits, mixed with Dirichlet noise when configured. */
function prepareDirichletRoots(engine: SearchEngine, run: SearchRun): void {
  const { arena, config } = engine;
  const A = arena.numActions;
  const f = config.dirichletFraction;
  for (let b = 0; b < arena.numTrees; b++) {
    if (!arena.active[b]) continue;
    const off = b * arena.maxNodes * A;
    // reset to the network prior (a reused root may carry the previous decision's noise)
    let z = 0;
    for (let a = 0; a < A; a++) {
      const p = arena.legal[off + a] ? Math.exp(arena.logits[off + a]) : 0;
      arena.prior[off + a] = p;
      z += p;
    }
    for (let a = 0; a < A; a++) arena.prior[off + a] /= z;
    if (f === 0) continue;
    const rng = run.treeRngs[b];
    let total = 0;
    const noise = engine.ctx.scratchA;
    for (let a = 0; a < A; a++) {
      noise[a] = arena.legal[off + a] ? rng.gamma(config.dirichletAlpha) : 0;
      total += noise[a];
    }
    if (!(total > 0)) continue;
    for (let a = 0; a < A; a++)
      if (arena.legal[off + a]) arena.prior[off + a] = (1 - f) * arena.prior[off + a] + (f * noise[a]) / total;
  }
}

const puctVariant: SearchVariant = { root: puctSelect, interior: puctSelect, prepareRoots: prepareDirichletRoots };

/**
 * HOP's planner: PUCT in every tree, then per decision either `softmax(beta * Q_avg)` over valid actions
 * (Q averaged over the decision's trees) or the visit-count policy with temperature; sampled, or argmax
 * when `greedy`. The decision distribution is the policy target.
 */
export async function puctPolicy(engine: SearchEngine, input: SearchInput): Promise<SearchOutput> {
  const run = await engine.run(input, puctVariant);
  const t = performance.now();
  const { config } = engine;
  const out = summariseRoots(engine, run, config.qEstimate === 'mean');
  for (let d = 0; d < out.numDecisions; d++) {
    if (!decisionActive(engine, run, d)) {
      noopDecision(out, d, engine.sim.noopAction);
      continue;
    }
    if (config.decision === 'softmaxQ') softmaxValid(out, d, out.rootQ, d * out.numActions, config.beta);
    else visitPolicy(out, d, config.temperature);
    chooseAction(out, d, input.greedy ?? config.greedy, run);
  }
  const dt = performance.now() - t;
  out.timing.bookkeeping += dt;
  out.timing.total += dt;
  return out;
}
