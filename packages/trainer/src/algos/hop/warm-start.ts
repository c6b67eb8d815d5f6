import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, Rng, deriveSeed } from '@hop/core';
import { NUM_ACTIONS } from '@hop/env-staghunt';
import { openCheckedDataset, populationRows } from '../../data/dataset';
import { encodeCoGoals, coPlayerGoalLabels } from '../../team/focal-goals';
import type { LearnerBatch, LearnerReport, PolicyLearner } from './learner';

/**
 * Rows of a collected dataset as policy / value targets: the observed action as a one-hot policy target
 * (behaviour cloning) and the player's discounted return from that step, computed from the dataset's
 * rewards per (env, episode, player). At most `maxSamples` rows, drawn with a seed. With `focalGoals` (a
 * goal-conditioned focal network) each row also gets its co-players' hindsight goals as goal input.
 */
export function warmStartBatch(
  dir: string,
  gamma: number,
  maxSamples: number,
  seed: number,
  focalGoals?: { numAgents: number; numGoals: number },
): LearnerBatch {
  if (!existsSync(join(dir, 'meta.json')))
    throw new HopError('E_DATASET_MISSING', `--warm-start ${dir} is not a dataset written by \`hop collect\` (no meta.json)`);
  const ds = openCheckedDataset(dir);
  try {
    const n = ds.size;
    if (n === 0) throw new HopError('E_DATASET', `--warm-start dataset ${dir} holds no samples`);
    const all = Int32Array.from({ length: n }, (_, k) => k);
    // The discounted return of a row sums the rewards after it, exploratory steps included: a value target
    // the population would not earn. Leaving those rows out would not fix the returns, so refuse the data.
    const explored = n - populationRows(ds, all).length;
    if (explored > 0)
      throw new HopError(
        'E_DATASET',
        `--warm-start dataset ${dir} was collected with --explore (${explored} of ${n} rows are exploratory actions), ` +
          'so its returns mix in random actions; warm-start from a dataset collected without --explore',
      );
    const keys = ds.batch(all, ['env_id', 'episode', 'agent', 'time', 'reward']);
    // Discounted returns: walk each (env, episode, player) trajectory backwards in time.
    const order = Array.from(all).sort(
      (a, b) => keys.env_id[a] - keys.env_id[b] || keys.episode[a] - keys.episode[b] || keys.agent[a] - keys.agent[b] || keys.time[b] - keys.time[a],
    );
    const ret = new Float32Array(n);
    let g = 0;
    for (let r = 0; r < n; r++) {
      const k = order[r];
      const prev = r > 0 ? order[r - 1] : -1;
      const same = prev >= 0 && keys.env_id[prev] === keys.env_id[k] && keys.episode[prev] === keys.episode[k] && keys.agent[prev] === keys.agent[k];
      g = keys.reward[k] + (same ? gamma * g : 0);
      ret[k] = g;
    }
    const pick = new Rng(deriveSeed(seed, 'warm-start')).permutation(n).subarray(0, Math.min(n, maxSamples));
    const rows = ds.batch(pick, ['obs', 'action', 'time']);
    const A = NUM_ACTIONS;
    const F = rows.obs.length / pick.length;
    const O = F - A;
    const m = pick.length;
    const out: LearnerBatch = {
      count: m,
      obs: new Float32Array(m * O),
      mask: new Uint8Array(m * A),
      time: Float32Array.from(rows.time),
      policy: new Float32Array(m * A),
      ret: Float32Array.from(pick, (k) => ret[k]),
    };
    if (focalGoals) {
      const { numAgents: P, numGoals: G } = focalGoals;
      const labels = ds.batch(all, ['goal']).goal;
      const co = coPlayerGoalLabels({ count: n, player: keys.agent, env: keys.env_id, episode: keys.episode, time: keys.time, goal: labels }, P);
      const picked = new Int32Array(m * P);
      for (let r = 0; r < m; r++) picked.set(co.subarray(pick[r] * P, (pick[r] + 1) * P), r * P);
      out.goals = encodeCoGoals(picked, m, P, G);
    }
    for (let r = 0; r < m; r++) {
      for (let a = 0; a < A; a++) out.mask[r * A + a] = rows.obs[r * F + a] > 0 ? 1 : 0;
      out.obs.set(rows.obs.subarray(r * F + A, (r + 1) * F), r * O);
      out.policy[r * A + rows.action[r]] = 1;
    }
    return out;
  } finally {
    ds.close();
  }
}

/**
 * Behaviour cloning + value regression on a dataset before self-play starts. Minutes of synchronous tfjs
 * work at msh-2h size, so it gives the event loop a turn every few minibatches (a Ctrl-C is seen within a
 * second or two) and returns null, leaving the networks half-trained, when `stop()` says so.
 */
export async function warmStart(
  learner: PolicyLearner,
  batch: LearnerBatch,
  epochs: number,
  seed: number,
  stop: () => boolean = () => false,
): Promise<LearnerReport | null> {
  const steps = learner.steps(batch, new Rng(deriveSeed(seed, 'warm-start-order')), epochs);
  for (let k = 1; ; k++) {
    const r = steps.next();
    if (r.done) return r.value;
    if (k % WARM_START_YIELD_EVERY === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stop()) return null;
    }
  }
}

/** Minibatches between turns of the event loop: well under a second of work each time at msh-2h size. */
const WARM_START_YIELD_EVERY = 4;
