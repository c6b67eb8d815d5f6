/**
 * Trains a world model on a collected dataset and prints the figures of the README's results section.
 *   node --import tsx scripts/train-msh.ts <dataDir> <outDir> [config.json] [--resume] [--limit N]
 * (imports the sources, so no build is needed; HOP_BACKEND picks the backend).
 */
import { readFileSync } from 'node:fs';
import { describeBackend, initBackend } from '@hop/core';
import { TransitionSubset, openTransitionData, trainWorldModel } from '../src/index';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const [dataDir, outDir, configPath] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--limit'));
const info = await initBackend();
console.log(describeBackend(info));
const config = configPath ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
const t0 = performance.now();
const data = await openTransitionData(dataDir, { valFraction: 0.1, seed: 0 });
const limit = value('--limit');
const train = limit ? new TransitionSubset(data.train, Int32Array.from({ length: Math.min(Number(limit), data.train.size) }, (_, i) => i)) : data.train;
const val = limit ? new TransitionSubset(data.val, Int32Array.from({ length: Math.min(Number(limit) >> 2, data.val.size) }, (_, i) => i)) : data.val;
console.log(`data: ${data.dataset.size} transitions, train ${train.size}, val ${val.size} (loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
const result = await trainWorldModel({
  config,
  data: { train, val },
  outDir,
  resumeFrom: flag('--resume'),
  onEpoch: (e) => {
    const v = e.val;
    console.log(
      `epoch ${e.epoch}/${e.epochs} ${e.seconds.toFixed(0)}s lr ${e.learningRate.toExponential(2)} loss ${e.train.total.toExponential(3)} | ` +
        `val obsMSE ${v.obsMse.toExponential(3)} PSNR ${v.psnr.toFixed(2)} rewMSE ${v.rewardMse === null ? 'n/a' : v.rewardMse.toExponential(3)} ` +
        `pos ${(100 * v.positionAccuracy).toFixed(3)}% pres ${(100 * v.presenceAccuracy).toFixed(3)}% outcome ${(100 * v.outcomeAccuracy).toFixed(3)}% rewards exact ${v.rewardExact === null ? 'n/a' : `${(100 * v.rewardExact).toFixed(3)}%`} ` +
        `impossible ${(100 * v.impossibleRate).toFixed(3)}% ${JSON.stringify(v.impossible)}${e.best ? ' *' : ''}`,
    );
  },
});
console.log(`done in ${((performance.now() - t0) / 1000 / 60).toFixed(1)} min; best epoch ${result.bestEpoch}`);
console.log(JSON.stringify(result.bestMetrics));
result.model.dispose();
