import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHop, runHopInProcess, tempDir } from './helpers';

/** A tiny PPO run on the 2-player preset: 4 iterations of 4 envs x 24 steps (episodes last 20), under a second each. */
const TINY_PPO = [
  'train', '--algo', 'ppo', '--env', 'small-2p', '--total-timesteps', '384', '--num-envs', '4', '--num-steps', '24',
  '--policy-filters', '8', '--policy-hidden', '16', '--eval-every', '2', '--eval-episodes', '4', '--final-eval-episodes', '6', '--eval-envs', '2', '--progress', 'none',
];

type Rec = Record<string, unknown>;
const metrics = (run: string): Rec[] => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
/** Learning records without wall-clock fields: what equal runs must share exactly. */
const learning = (run: string): Rec[] =>
  metrics(run)
    .filter((r) => r.kind === 'iteration' || r.kind === 'eval')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time/') && !k.startsWith('charts/SPS') && k !== 'perf/cpu_seconds')));

describe('hop train --algo ppo (child processes)', () => {
  it("logs CleanRL's scalars under CleanRL's names; same seed same records, another seed not; SIGKILL + --resume replays exactly", async () => {
    const root = tempDir('ppo');
    const [a, b, other, killed] = await Promise.all([
      runHop([...TINY_PPO, '--seed', '3', '--out', join(root, 'a')]),
      runHop([...TINY_PPO, '--seed', '3', '--out', join(root, 'b'), '--checkpoint-every', '1']),
      runHop([...TINY_PPO, '--seed', '4', '--out', join(root, 'other')]),
      runHop([...TINY_PPO, '--seed', '3', '--out', join(root, 'killed'), '--checkpoint-every', '1'], (line, kill) => {
        if (line.startsWith('iteration 2/4')) kill('SIGKILL');
      }),
    ]);
    for (const r of [a, b, other]) expect(r.code, r.stderr).toBe(0);
    expect(killed.signal).toBe('SIGKILL');
    const its = metrics(join(root, 'a')).filter((r) => r.kind === 'iteration');
    expect(its).toHaveLength(4);
    for (const key of [
      'global_step', 'charts/episodic_return', 'charts/episodic_length', 'charts/learning_rate', 'charts/SPS',
      'losses/value_loss', 'losses/policy_loss', 'losses/entropy', 'losses/old_approx_kl', 'losses/approx_kl', 'losses/clipfrac', 'losses/explained_variance',
    ])
      expect(typeof its[3][key], key).toBe('number');
    // global_step counts env transitions: 4 envs x 24 steps per iteration.
    expect(its.map((r) => r.global_step)).toEqual([96, 192, 288, 384]);
    // Linear annealing from 2.5e-4: (1 - (it - 1) / 4) * lr.
    expect(its.map((r) => r['charts/learning_rate'])).toEqual([2.5e-4, 1.875e-4, 1.25e-4, 0.625e-4]);
    const evals = metrics(join(root, 'a')).filter((r) => r.kind === 'eval');
    expect(evals.map((r) => r.step)).toEqual([2, 4]);
    // the last evaluation plays --final-eval-episodes (2 envs x 3), the others --eval-episodes
    expect(evals.map((r) => r['eval/episodes'])).toEqual([4, 6]);
    expect(learning(join(root, 'b'))).toEqual(learning(join(root, 'a')));
    expect(learning(join(root, 'other'))).not.toEqual(learning(join(root, 'a')));

    const resumed = await runHop(['train', '--resume', join(root, 'killed')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* from checkpoints\/iter-[12]: iteration [23]/);
    expect(learning(join(root, 'killed'))).toEqual(learning(join(root, 'b')));
    const w = (run: string) => readFileSync(join(run, 'checkpoints/iter-4/policy/player_1/weights.bin'));
    expect(w(join(root, 'killed')).equals(w(join(root, 'b')))).toBe(true);

    // MCTS settings are no PPO keys: refused by name (a property of the command: in this process).
    const bad = await runHopInProcess([...TINY_PPO, '--tree-num', '3', '--out', join(root, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown key "numTrees"/);
  }, 180_000);
});

describe('hop train --algo hop-onestep (child processes)', () => {
  it('online MOA metrics in the records; SIGKILL + --resume replays exactly (pair models, buffers and priors in the checkpoint)', async () => {
    const root = tempDir('onestep');
    const args = (out: string) => [
      'train', '--algo', 'hop-onestep', '--env', 'small-2p', '--total-timesteps', '384', '--num-envs', '4', '--num-steps', '24', '--seed', '5',
      '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8', '--moa-hidden', '16', '--moa-capacity', '12', '--moa-epochs', '1', '--moa-minibatch', '16',
      '--eval-every', '2', '--eval-episodes', '4', '--eval-envs', '2', '--checkpoint-every', '1', '--progress', 'none', '--out', out,
    ];
    const [ref, killed] = await Promise.all([
      runHop(args(join(root, 'ref'))),
      runHop(args(join(root, 'killed')), (line, kill) => {
        if (line.startsWith('iteration 2/4')) kill('SIGKILL');
      }),
    ]);
    expect(ref.code, ref.stderr).toBe(0);
    expect(killed.signal).toBe('SIGKILL');
    const its = metrics(join(root, 'ref')).filter((r) => r.kind === 'iteration');
    expect(its.some((r) => (r['moa/train_rounds'] as number) > 0)).toBe(true);
    const resumed = await runHop(['train', '--resume', join(root, 'killed')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(learning(join(root, 'killed'))).toEqual(learning(join(root, 'ref')));
  }, 180_000);
});
