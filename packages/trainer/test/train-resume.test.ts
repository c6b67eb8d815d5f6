import { cpSync, existsSync, readFileSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunDir } from '../src/run/layout';
import { InterruptFlag } from '../src/run/interrupt';
import { runTrainCommand } from '../src/train/command';
import { TINY_NET, flipLastBit, runHopInProcess, tempDir, tinyDataset } from './helpers';

/**
 * The resume of `hop train` is one path for every algorithm (train/command.ts -> openForResume -> the shared
 * resume point of run/train-inputs.ts): here PPO and hop-onestep, whose loop resumed the newest iter-N unchecked
 * before. Everything runs in this process (refusals, messages and what is left on disk are properties of the
 * command); tiny runs of 96 env steps an iteration.
 */
const hop = runHopInProcess;

/** A tiny PPO-family run: 4 iterations of 4 envs x 24 steps (96 env steps), checkpoints every iteration. */
const tiny = (algo: string, out: string, extra: Record<string, unknown>) => ({
  algo, env: 'small-2p', totalTimesteps: 384, numEnvs: 4, numSteps: 24, seed: 5, policyFilters: [8], policyHidden: 16,
  evalEvery: 0, evalEpisodes: 2, evalEnvs: 2, checkpointEvery: 1, progress: 'none', out, ...extra,
});
const ONESTEP = { moaFilters: [8], moaHidden: 32, moaCapacity: 12, moaEpochs: 1, moaMinibatch: 16 };

/** Runs `hop train` in this process; `stopAfter`: a Ctrl-C once iteration N has been checkpointed. */
async function train(flags: Record<string, unknown>, stopAfter?: number): Promise<string[]> {
  const lines: string[] = [];
  const interrupt = new InterruptFlag();
  const status = await runTrainCommand({ flags }, {
    interrupt,
    log: (l) => {
      lines.push(l);
      if (stopAfter !== undefined && l.startsWith(`iteration ${stopAfter}/`)) interrupt.request();
    },
  });
  expect(status).toBe(stopAfter === undefined ? 'completed' : 'interrupted');
  return lines;
}

type Rec = Record<string, unknown>;
/** Learning records without wall-clock fields: what equal runs share exactly. */
const learning = (run: string): Rec[] =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec)
    .filter((r) => r.kind === 'iteration' || r.kind === 'eval')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time/') && !k.startsWith('charts/SPS') && k !== 'perf/cpu_seconds')));
const weights = (run: string) => readFileSync(join(run, 'checkpoints/iter-4/policy/player_0/weights.bin'));
const damagedIn = (run: string) => readdirSync(join(run, 'checkpoints')).filter((n) => n.startsWith('damaged-'));

/**
 * `run`, stopped after iteration 3 of 4, a straight `reference`, and `control`, a copy of `run`: the control resumes
 * its undamaged newest checkpoint, `run` (iter-3 truncated) falls back to iter-2 with the warning; both end as the
 * reference. Then the lock: a resume of a run another holder has locked is refused before any checkpoint is touched.
 */
async function damagedNewestFallsBack(algo: string, root: string, extra: Record<string, unknown>): Promise<{ run: string; reference: string }> {
  const run = join(root, 'run');
  const reference = join(root, 'reference');
  const control = join(root, 'control');
  await train(tiny(algo, run, extra), 3);
  await train(tiny(algo, reference, extra));
  expect(readdirSync(join(run, 'checkpoints')).sort()).toEqual(['iter-2', 'iter-3']);
  cpSync(run, control, { recursive: true });

  const c = await hop(['train', '--resume', control]);
  expect(c.code, c.stderr).toBe(0);
  expect(c.stdout).toMatch(/from checkpoints\/iter-3: iteration 4/);
  expect(c.stdout).not.toMatch(/damaged/);
  expect(learning(control)).toEqual(learning(reference));
  expect(weights(control).equals(weights(reference))).toBe(true);

  truncateSync(join(run, 'checkpoints/iter-3/policy/player_0/weights.bin'), 10);
  const r = await hop(['train', '--resume', run]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/warning: checkpoint .*iter-3 is damaged \(policy\/player_0\/weights\.bin has 10 bytes, its manifest says \d+ \(truncated\)\)/);
  expect(r.stdout).toMatch(/resuming from the newest checkpoint that verifies: iter-2 \(1 damaged one set aside\)/);
  expect(r.stdout).toMatch(/from checkpoints\/iter-2: iteration 3/);
  expect(damagedIn(run)).toHaveLength(1);
  // Iteration 3 trained again from iter-2: the records and weights of the straight run.
  expect(learning(run)).toEqual(learning(reference));
  expect(weights(run).equals(weights(reference))).toBe(true);

  // Locked by another holder: refused at once (E_RUN_LOCKED), the damaged newest checkpoint not even looked at.
  truncateSync(join(control, 'checkpoints/iter-4/policy/player_0/weights.bin'), 10);
  const holder = new RunDir(control);
  holder.acquire('test holder');
  try {
    const locked = await hop(['train', '--resume', control, '--iterations', '5']);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(/E_RUN_LOCKED/);
    expect(existsSync(join(control, 'checkpoints/iter-4'))).toBe(true);
    expect(damagedIn(control)).toEqual([]);
  } finally {
    holder.close();
  }
  return { run, reference };
}

describe('hop train --resume: one resume point for every algorithm (lock first, inputs checked, newest verified checkpoint)', () => {
  it('ppo: a truncated newest checkpoint falls back to the previous one and ends as the straight run; the undamaged control resumes the newest; a locked run is refused first', { timeout: 180_000 }, async () => {
    const root = tempDir('ppo-resume');
    const { run } = await damagedNewestFallsBack('ppo', root, {});
    // PPO reads no input file (no --pretrained / --warm-start / --world-model in its record): nothing recorded to check.
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).inputs.fingerprints).toEqual({});
  });

  describe('hop-onestep with --pretrained', () => {
    let pre = '';
    beforeAll(async () => {
      const dir = tempDir('onestep-pre');
      const data = await tinyDataset(join(dir, 'data'), 24, 3);
      pre = join(dir, 'pre');
      const r = await hop(['pretrain', '--data', data, '--out', pre, '--epochs', '1', '--goal-input', 'true', ...TINY_NET, '--progress', 'none']);
      expect(r.code, r.stderr).toBe(0);
    }, 120_000);

    it('the damaged newest checkpoint falls back (control: undamaged resumes the newest); the pretraining run changed since the start: E_INPUT_CHANGED naming --pretrained', { timeout: 240_000 }, async () => {
      const root = tempDir('onestep-resume');
      const { run } = await damagedNewestFallsBack('hop-onestep', root, { pretrained: pre, ...ONESTEP });
      const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
      expect(config.inputs.fingerprints.pretrained.kind).toBe('directory');
      expect(Object.keys(config.inputs.fingerprints.pretrained.files)).toContain('checkpoints/epoch-1/moa/moa/weights.bin');

      // The pretraining run is trained on after the start (one bit of its MOA): the resume is refused by name, nothing moved.
      const before = readdirSync(join(run, 'checkpoints')).sort();
      const moa = join(pre, 'checkpoints/epoch-1/moa/moa/weights.bin');
      flipLastBit(moa);
      const changed = await hop(['train', '--resume', run, '--iterations', '5']);
      expect(changed.code).toBe(2);
      expect(changed.stderr).toMatch(/E_INPUT_CHANGED.*--pretrained .*pre: checkpoints\/epoch-1\/moa\/moa\/weights\.bin has other contents \(same size\)/);
      expect(readdirSync(join(run, 'checkpoints')).sort()).toEqual(before);
      // Restored: the same resume goes on (the refusal left the run unlocked).
      flipLastBit(moa);
      const restored = await hop(['train', '--resume', run, '--iterations', '5']);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toMatch(/from checkpoints\/iter-4: iteration 5/);
    });
  });
});
