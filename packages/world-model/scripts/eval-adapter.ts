/**
 * How often the planning adapter's decoded step equals the true next state on validation data:
 *   node --import tsx scripts/eval-adapter.ts <dataDir> <checkpointDir> [valFraction=0.1] [seed=0]
 * Each validation row is encoded from the observer's view (the observer becomes player 0), stepped with
 * the row's joint action in one batch, and compared with the encoded true next view (positions, prey,
 * obstacles, time; the rules' end time is left out), plus the observer's reward.
 */
import { describeBackend, initBackend } from '@hop/core';
import { openDataset, stagHuntRewards } from '@hop/env-staghunt';
import { StateCodec, WorldModelSimulator, gridSizeOf, openTransitionData } from '../src/index';

const [dataDir, ckpt, frac = '0.1', seed = '0'] = process.argv.slice(2);
console.log(describeBackend(await initBackend()));
const { val } = await openTransitionData(dataDir, { valFraction: Number(frac), seed: Number(seed) });
// the reward rule of the game that collected the data (the script composes, as the trainer does)
const ds = openDataset(dataDir);
const rule = stagHuntRewards(ds.config);
ds.close();
const sim = await WorldModelSimulator.fromCheckpoint(ckpt, { rewards: rule });
const layout = sim.layout;
const G = gridSizeOf(layout);
const P = layout.players;
const W = sim.stateWords;
const truth = new StateCodec(layout, sim.codec.finalTime);
const n = val.size;
const b = val.gather(Int32Array.from({ length: n }, (_, i) => i));
const arena = sim.allocate(2 * n);
const expected = new Int32Array(n * W);
for (let k = 0; k < n; k++) {
  sim.encodeObservation(b.obs.subarray(k * G, (k + 1) * G), b.time[k], 0, arena, k);
  truth.encode(b.nextObs, k * G, 0, b.time[k] + 1, expected, k * W);
}
const rewards = new Float32Array(n * P);
const t0 = performance.now();
await sim.step({
  states: arena,
  from: Int32Array.from({ length: n }, (_, k) => k),
  to: Int32Array.from({ length: n }, (_, k) => n + k),
  actions: b.jointAction,
  count: n,
  rewards,
  terminal: new Uint8Array(n),
});
const ms = performance.now() - t0;
let exact = 0;
let positions = 0;
let positionsOk = 0;
let preyOk = 0;
let rewardSq = 0;
let hunts = 0;
let huntSq = 0;
for (let k = 0; k < n; k++) {
  const got = arena.subarray((n + k) * W, (n + k + 1) * W);
  const want = expected.subarray(k * W, (k + 1) * W);
  let same = true;
  for (let i = 0; i < W; i++) if (i !== truth.END && got[i] !== want[i]) same = false;
  if (same) exact++;
  for (let p = 0; p < P; p++)
    if (arena[k * W + truth.POS + p] >= 0) {
      positions++;
      if (got[truth.POS + p] === want[truth.POS + p]) positionsOk++;
    }
  let prey = true;
  for (let i = truth.preyOff[0]; i < W; i++) if (got[i] !== want[i]) prey = false;
  if (prey) preyOk++;
  const e = rewards[k * P] - b.reward[k];
  rewardSq += e * e;
  if (b.reward[k] !== 0) {
    hunts++;
    huntSq += e * e;
  }
}
const pct = (a: number, c: number) => `${((100 * a) / c).toFixed(3)}%`;
console.log(`validation transitions: ${n} (one batched step of ${n} transitions in ${(ms / 1000).toFixed(1)} s)`);
console.log(`decoded next state exact: ${pct(exact, n)}; player positions exact: ${pct(positionsOk, positions)}; prey exact: ${pct(preyOk, n)}`);
console.log(`observer reward MSE through the adapter: ${(rewardSq / n).toExponential(3)} (on the ${hunts} rewarded rows: ${(huntSq / Math.max(1, hunts)).toExponential(3)})`);
sim.dispose();
