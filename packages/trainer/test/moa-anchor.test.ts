import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hop/core';
import { loadPairRegistry, type MOAModel, type PairRegistry } from '@hop/moa';
import { HopAgent } from '../src/algos/hop/agent';
import { checkpointIterations } from '../src/run/checkpoints';
import { runHopInProcess, tempDir, tinyDataset, TINY_NET } from './helpers';

beforeAll(async () => {
  await initBackend();
});

/** sum over trainable weights of (w - a)^2. */
function sqDist(m: MOAModel, a: MOAModel): number {
  const wa = a.trainableVariables().map((v) => Array.from(v.dataSync()));
  return m.trainableVariables().reduce((s, v, k) => s + Array.from(v.dataSync()).reduce((t, x, i) => t + (x - wa[k][i]) ** 2, 0), 0);
}

/** Summed squared distance of every pair of `reg` to the same pair of `ref`. */
function driftFrom(reg: PairRegistry, ref: PairRegistry): number {
  return reg.pairs().reduce((s, [i, j]) => s + sqDist(reg.model(i, j), ref.model(i, j)), 0);
}

const newest = (run: string) => join(run, 'checkpoints', `iter-${checkpointIterations(join(run, 'checkpoints'))[0]}`, 'pairs');

function metrics(run: string): Record<string, unknown>[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('hop train --moa-anchor: online co-player models pulled toward the pretrained ones', () => {
  it('keeps the pairs nearer the pretrained models than free online training, saves the anchors, evaluation trains alike; resume = straight run', async () => {
    const dir = tempDir('anchor');
    const data = await tinyDataset(join(dir, 'data'), 40, 3);
    const pre = join(dir, 'pre');
    let r = await runHopInProcess(['pretrain', '--data', data, '--out', pre, '--epochs', '1', '--seed', '2', '--goal-input', 'true', ...TINY_NET]);
    expect(r.code, r.stderr).toBe(0);
    const train = (out: string, anchor: string, iterations: number, resume = false) =>
      runHopInProcess(
        resume
          ? ['train', '--resume', out, '--iterations', String(iterations), '--progress', 'none']
          : [
              'train', '--algo', 'hop', '--env', 'small-2p', '--pretrained', pre, '--num-envs', '4', '--num-trees', '2',
              '--num-simulations', '4', '--eval-envs', '2', '--eval-episodes', '2', '--eval-every', '0', '--replay-every', '0', '--policy-filters', '8',
              '--policy-hidden', '16', '--moa-capacity', '8', '--moa-epochs', '4', '--moa-minibatch', '8', '--moa-lr', '0.01', '--sgd-passes', '1',
              '--minibatch', '32', '--iterations', String(iterations), '--progress', 'none', '--seed', '1', '--moa-anchor', anchor, '--out', out,
            ],
      );
    const free = join(dir, 'free');
    const anchored = join(dir, 'anchored');
    for (const [out, a] of [[free, '0'], [anchored, '1']] as const) {
      r = await train(out, a, 2);
      expect(r.code, r.stderr).toBe(0);
    }
    const ref = await loadPairRegistry(join(pre, 'pairs'));
    const freeReg = await loadPairRegistry(newest(free));
    const ancReg = await loadPairRegistry(newest(anchored));
    try {
      // Both trained online (the same data up to the first round), the anchored run moved far less.
      const dFree = driftFrom(freeReg, ref);
      const dAnc = driftFrom(ancReg, ref);
      expect(freeReg.ownedKeys().length).toBeGreaterThan(0);
      expect(dFree).toBeGreaterThan(0.01);
      expect(dAnc).toBeLessThan(0.5 * dFree);
      // The checkpoint carries the anchors: the pretrained models themselves, and the weight.
      expect(freeReg.anchors).toBeNull();
      expect(ancReg.trainConfig).toMatchObject({ anchorWeight: 1 });
      expect(ancReg.anchors).not.toBeNull();
      expect(driftFrom(ancReg.anchors!, ref)).toBe(0);
      // The penalty is reported per iteration where it applies, only there.
      const anc = metrics(anchored).map((m) => m['losses/moa_anchor']).filter((v) => typeof v === 'number') as number[];
      expect(anc.length).toBeGreaterThan(0);
      expect(anc.every((v) => v > 0)).toBe(true);
      expect(metrics(free).some((m) => 'losses/moa_anchor' in m)).toBe(false);
    } finally {
      for (const g of [ref, freeReg, ancReg]) {
        g.dispose();
        g.generic.dispose();
      }
    }
    // An evaluation's agent trains its own copy of the models toward the pretrained ones: the penalty of its
    // first step is 1 x the squared distance of the trained pair to the pretrained pair.
    const agent = await HopAgent.fromRun(anchored, { focal: 0, decisions: 'greedy' });
    const pretrained = await loadPairRegistry(join(pre, 'pairs'));
    try {
      const reg = agent.team.registry;
      expect(reg.trainConfig).toMatchObject({ anchorWeight: 1 });
      const dist = sqDist(reg.model(0, 1), pretrained.model(0, 1));
      expect(dist).toBeGreaterThan(1e-4);
      const n = 6;
      const obsSize = reg.generic.observationSize;
      const batch = {
        obs: Float32Array.from({ length: n * obsSize }, (_, k) => (k % 5 === 0 ? 1 : 0)),
        mask: new Uint8Array(n * reg.generic.numActions).fill(1),
        time: new Float32Array(n),
        goal: new Float32Array(n * reg.generic.goalDim).fill(1 / reg.generic.goalDim),
        action: new Int32Array(n),
      };
      const r = reg.trainer(0, 1).step(batch);
      expect(r.anchor).toBeCloseTo(dist, 3);
    } finally {
      await agent.dispose();
      pretrained.dispose();
      pretrained.generic.dispose();
    }
    // Interrupted after iteration 1 and resumed: the same pairs as the straight two-iteration run.
    const split = join(dir, 'split');
    r = await train(split, '1', 1);
    expect(r.code, r.stderr).toBe(0);
    r = await train(split, '1', 2, true);
    expect(r.code, r.stderr).toBe(0);
    const a = await loadPairRegistry(newest(anchored));
    const b = await loadPairRegistry(newest(split));
    try {
      expect(driftFrom(b, a)).toBeLessThan(1e-8);
      expect(driftFrom(b.anchors!, a.anchors!)).toBe(0);
    } finally {
      for (const g of [a, b]) {
        g.dispose();
        g.generic.dispose();
      }
    }
  }, 300_000);

  it('needs --pretrained (the anchor is the pretrained models) and online training (else it would do nothing)', async () => {
    const dir = tempDir('anchor-nopre');
    let r = await runHopInProcess([
      'train', '--algo', 'hop', '--env', 'small-2p', '--moa-anchor', '0.5', '--iterations', '1', '--progress', 'none', '--out', join(dir, 'run'),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--moa-anchor 0\.5 pulls the co-player models toward pretrained ones: give --pretrained/);
    r = await runHopInProcess([
      'train', '--algo', 'hop', '--env', 'small-2p', '--moa-anchor', '0.5', '--no-online-moa', '--pretrained', join(dir, 'nowhere'),
      '--iterations', '1', '--progress', 'none', '--out', join(dir, 'run2'),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--moa-anchor 0\.5 applies to online training, which --no-online-moa turns off/);
  }, 60_000);
});
