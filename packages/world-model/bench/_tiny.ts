import { Rng, initBackend } from '../../core/src/index';
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
const r = await trainWorldModel({ config: { direct: { layers: [{ filters: 24, kernel: 3 }, { filters: 24, kernel: 1 }] }, headUnits: 16, epochs: 20, batchSize: 32, learningRate: 3e-3, pictureSamples: 1, scatterPoints: 10, ...cfg }, data, outDir: '/tmp/wm/tiny-' + Date.now(),
  onEpoch: (e) => console.log(e.epoch, ((performance.now() - t0) / 1000).toFixed(1), 's', e.val.obsMse.toExponential(2), e.val.rewardMse.toExponential(2), e.val.positionAccuracy.toFixed(4), e.val.presenceAccuracy.toFixed(4), e.val.doneAccuracy.toFixed(3)) });
r.model.dispose();
