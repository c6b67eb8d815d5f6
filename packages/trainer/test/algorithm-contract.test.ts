import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VecStagHunt } from '@hop/env-staghunt';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ALGORITHMS } from '../src/algos/registry';
import { runSource } from '../src/eval/controllers';
import { InterruptFlag } from '../src/run/interrupt';
import { RunDir } from '../src/run/layout';
import { runTrainCommand, trainConfigOf } from '../src/train/command';
import { random } from './example-algorithm';
import { tempDir } from './helpers';

type Rec = Record<string, unknown>;
const metrics = (run: string): Rec[] => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
/** Records without wall-clock fields (and events, which carry a timestamp). */
const learning = (run: string) =>
  metrics(run)
    .filter((r) => r.kind !== 'event')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time/') && k !== 'perf/cpu_seconds')));

describe('adding an algorithm: its folder and one registration line', () => {
  const quiet = { log: () => {} };

  it('without the line the algorithm is unknown (the control)', () => {
    expect(() => trainConfigOf({ algo: 'random' })).toThrow(/unknown --algo "random"; choose one of hop, hop-wm, direct-om, ppo, hop-onestep/);
  });

  it('with it, hop train runs, resumes and evaluates it through the contract alone', async () => {
    ALGORITHMS.random = random; // the registration line
    const root = tempDir('contract');
    // budget preset < flags: the preset's 2 envs, the flag's 4 iterations
    const full = join(root, 'full');
    // A fresh run validates its config once, in the layering (preset < file < flags), and nothing parses it again.
    const fresh = [vi.spyOn(random.schema, 'parse'), vi.spyOn(random.schema, 'safeParse')];
    expect(await runTrainCommand({ flags: { algo: 'random', budget: 'tiny', iterations: 4, seed: 7, out: full } }, quiet)).toBe('completed');
    expect(fresh.map((p) => p.mock.calls.length)).toEqual([0, 1]);
    vi.restoreAllMocks();
    const cfg = JSON.parse(readFileSync(join(full, 'config.json'), 'utf8')).config;
    expect([cfg.numEnvs, cfg.iterations, cfg.budget]).toEqual([2, 4, 'tiny']);
    const recs = learning(full);
    // 4 iteration records, evaluations after 2 and 4 (evalEvery 2), each of 2 episodes
    expect(recs.map((r) => `${r.kind}-${r.step}`)).toEqual(['iteration-1', 'iteration-2', 'eval-2', 'iteration-3', 'iteration-4', 'eval-4']);
    expect(recs.every((r) => r['charts/episodes'] === 2 || r['eval/episodes'] === 2)).toBe(true);
    expect(metrics(full).filter((r) => r.kind === 'iteration').every((r) => typeof r['time/cpu'] === 'number')).toBe(true);

    // Interrupted after iteration 1 (the lifecycle's tail), then resumed: the same records as the run in one go.
    const split = join(root, 'split');
    const flag = new InterruptFlag();
    flag.request();
    const lines: string[] = [];
    const first = await runTrainCommand({ flags: { algo: 'random', budget: 'tiny', iterations: 4, seed: 7, out: split } }, { log: (l) => lines.push(l), interrupt: flag });
    expect(first).toBe('interrupted');
    expect(lines.join('\n')).toContain(`continue with: hop train --resume ${split}`);
    // The resume reads config.json once (openForResume) and validates the config once (the algorithm's resumeConfig).
    const reads = vi.spyOn(RunDir.prototype, 'readConfig');
    const parses = [vi.spyOn(random.schema, 'parse'), vi.spyOn(random.schema, 'safeParse')];
    let readsAtStart = -1;
    const resumed = await runTrainCommand({ resume: split, flags: {} }, { log: (l) => void (l.startsWith('resuming') && (readsAtStart = reads.mock.calls.length)) });
    expect(resumed).toBe('completed');
    // Counted when the loop takes over (the report written at the end reads it again, as a reader of the finished run).
    expect(readsAtStart).toBe(1);
    expect(parses.map((p) => p.mock.calls.length)).toEqual([1, 0]);
    vi.restoreAllMocks();
    expect(learning(split)).toEqual(recs);
    // a different seed plays differently (the control of the equality above)
    const other = join(root, 'other');
    await runTrainCommand({ flags: { algo: 'random', budget: 'tiny', iterations: 4, seed: 8, out: other } }, quiet);
    expect(learning(other)).not.toEqual(recs);

    // hop eval sees it through runSource -> registry -> its controller
    const source = runSource(full);
    expect(source.label).toBe('random (full)');
    const env = new VecStagHunt('small-2p', { numEnvs: 2, seed: 1, observations: 'grid', autoReset: false });
    const c = await source.create(env, 3);
    const out = new Int32Array(4).fill(-1);
    await c.act(env, Uint8Array.of(1, 0, 1, 0), out);
    for (const j of [0, 2]) expect(env.masks[j * env.numActions + out[j]]).toBe(1);
    expect([out[1], out[3]]).toEqual([-1, -1]);
  });

  afterAll(() => {
    delete ALGORITHMS.random;
  });
});

describe('config layers: budget preset < file < flags, one place', () => {
  it('names the layer a bad value came from', () => {
    ALGORITHMS.random = random;
    try {
      expect(() => trainConfigOf({ algo: 'random', budget: 'broken' })).toThrow(/"numEnvs" = 0 \(from preset broken\) is invalid/);
      expect(() => trainConfigOf({ algo: 'random', budget: 'broken' }, { path: 'x.yaml', values: { numEnvs: -1 } })).toThrow(/"numEnvs" = -1 \(from x\.yaml\) is invalid/);
      expect(() => trainConfigOf({ algo: 'random', budget: 'broken', numEnvs: -2 })).toThrow(/"numEnvs" = -2 \(from --num-envs\) is invalid/);
      // a good value in a higher layer hides the preset's bad one
      expect(trainConfigOf({ algo: 'random', budget: 'broken', numEnvs: 3 }).config.numEnvs).toBe(3);
    } finally {
      delete ALGORITHMS.random;
    }
  });

  it('takes the old names (treeNum, simulations, preset) in every layer and reports them as deprecated', () => {
    const warnings: string[] = [];
    const { config } = trainConfigOf({ algo: 'hop', preset: 'quick', treeNum: 3 }, { path: 'old.yaml', values: { simulations: 9 } }, (l) => warnings.push(l));
    // --preset quick chose the budget (its 16 envs); the file's simulations and the flag's tree count landed
    expect([config.budget, config.numEnvs, config.numSimulations, config.numTrees]).toEqual(['quick', 16, 9, 3]);
    expect(config).not.toHaveProperty('treeNum');
    expect(warnings).toEqual([
      'warning: "simulations" in old.yaml is deprecated; use "numSimulations" (same meaning)',
      'warning: --preset is deprecated; use --budget (same meaning)',
      'warning: --tree-num is deprecated; use --num-trees (same meaning)',
    ]);
    // the new names say nothing
    const quiet: string[] = [];
    expect(trainConfigOf({ algo: 'hop', budget: 'quick', numTrees: 3 }, undefined, (l) => quiet.push(l)).config.numSimulations).toBe(64);
    expect(quiet).toEqual([]);
  });
});
