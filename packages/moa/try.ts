import { Rng, initBackend } from '../core/src/index';
import { MOAModel, MOATrainer, evaluate } from './src/index';
import { syntheticDataset } from './test/synthetic';
const info = await initBackend();
console.log(info.name, info.patchedKernels);
const train = syntheticDataset(3000, 1), test = syntheticDataset(1000, 2);
const model = new MOAModel({ observationShape: [5,5,3], numActions: 5, goalDim: 2, maxTime: 20, convFilters: [8,8], hiddenUnits: 128, seed: 0 });
const t = new MOATrainer(model, { learningRate: 3e-3 });
const rng = new Rng(0);
const t0 = performance.now();
for (let e = 0; e < 12; e++) {
  const r = t.fit(train, { epochs: 1, minibatch: 64, rng });
  const ev = evaluate(model, test);
  console.log(e, r[0].ce.toFixed(3), ev.top1.toFixed(3), ((performance.now()-t0)/1000).toFixed(1));
}
