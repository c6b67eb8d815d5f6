import { Rng, initBackend } from '@hop/core';
import { splitTransitions } from '../src/data/dataset';
import { trainWorldModel } from '../src/train/train';
import { TinyWorld, collectTinyDataset, tinyLayout } from '../test/helpers/tiny-world';
await initBackend();
const world = new TinyWorld(tinyLayout(), { minHunters: [1], reward: [1], finalTime: 8 });
const counts = { obstacles: 1, prey: [2] };
const eps = Number(process.argv[2] ?? 150);
const ds = collectTinyDataset(world, new Rng(1), eps, counts);
const data = splitTransitions(ds, { valFraction: 0.1, seed: 0 });
console.log('transitions', ds.size);
const cfg = JSON.parse(process.argv[3] ?? '{}');
const t0 = performance.now();
const skip = process.argv[4] === 'skip';
const r = skip ? null : await trainWorldModel({ config: { direct: { layers: [{ filters: 24, kernel: 3 }, { filters: 24, kernel: 1 }] }, headUnits: 16, epochs: 20, batchSize: 32, learningRate: 3e-3, pictureSamples: 1, scatterPoints: 10, ...cfg }, data, outDir: '/tmp/wm/tiny-' + Date.now(),
  onEpoch: (e) => console.log(e.epoch, ((performance.now() - t0) / 1000).toFixed(1), 's', e.val.obsMse.toExponential(2), e.val.rewardMse.toExponential(2), e.val.positionAccuracy.toFixed(4), e.val.presenceAccuracy.toFixed(4), e.val.doneAccuracy.toFixed(3)) });
r?.model.dispose();
// compare adapter vs world
import { WorldModelSimulator } from '../src/sim/adapter';
import { randomLegalActions } from '../test/helpers/tiny-world';
const r2 = await trainWorldModel({ config: { direct: { layers: [{ filters: 24, kernel: 3 }, { filters: 24, kernel: 1 }] }, headUnits: 16, epochs: 12, batchSize: 32, learningRate: 5e-3, rewardScale: 1, timeScale: 0.1, pictureSamples: 1, scatterPoints: 10, ...cfg }, data, outDir: '/tmp/wm/tiny2-' + Date.now() });
console.log('r2', JSON.stringify(r2.last!.val).slice(0, 300));
const sim = new WorldModelSimulator(r2.model);
const rng = new Rng(77); const n = 200; const W = world.stateWords;
const arena = new Int32Array(3 * n * W);
for (let k = 0; k < n; k++) world.randomState(rng, arena, k, counts);
for (let t = 0; t < 3; t++) {
  const slots = Int32Array.from({ length: n }, (_, k) => k);
  const actions = randomLegalActions(world, arena, slots, rng, 0.5);
  const r1 = new Float32Array(2 * n), rr2 = new Float32Array(2 * n), d1 = new Uint8Array(n), d2 = new Uint8Array(n);
  world.step({ states: arena, from: slots, to: Int32Array.from(slots, (k) => n + k), actions, count: n, rewards: r1, terminal: d1 });
  await sim.step({ states: arena, from: slots, to: Int32Array.from(slots, (k) => 2 * n + k), actions, count: n, rewards: rr2, terminal: d2 });
  let bad = 0;
  for (let k = 0; k < n; k++) {
    const a = Array.from(arena.subarray((n + k) * W, (n + k + 1) * W)), b = Array.from(arena.subarray((2 * n + k) * W, (2 * n + k + 1) * W));
    if (a.join() !== b.join()) { bad++; if (bad < 6) console.log('src', Array.from(arena.subarray(k * W, (k + 1) * W)).join(), 'act', actions[2 * k], actions[2 * k + 1], '\n true', a.join(), '\n pred', b.join()); }
  }
  let rbad = 0; for (let i = 0; i < 2 * n; i++) if (Math.abs(r1[i] - rr2[i]) > 0.1) { rbad++; if (rbad < 8) console.log('rew', r1[i], rr2[i].toFixed(3), 'k', i >> 1, 'p', i & 1, 'src', Array.from(arena.subarray((i >> 1) * W, ((i >> 1) + 1) * W)).join(), 'act', actions[i & ~1], actions[i | 1]); }
  let maxe = 0, sume = 0, nh = 0; for (let i = 0; i < 2 * n; i++) { const e = Math.abs(r1[i] - rr2[i]); maxe = Math.max(maxe, e); if (r1[i] > 0) { sume += e; nh++; } }
  console.log('max reward err', maxe.toFixed(3), 'mean err on hunts', (sume / nh).toFixed(3), nh);
  console.log('step', t, 'state mismatches', bad, 'reward mismatches', rbad, 'terminal mismatch', d1.some((v, i) => v !== d2[i]));
  arena.copyWithin(0, n * W, 2 * n * W);
}
