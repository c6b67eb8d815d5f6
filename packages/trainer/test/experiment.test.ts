import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentCells } from '../src/experiment/command';
import { ExperimentSchema } from '../src/experiment/schema';
import { runHop, tempDir } from './helpers';

const YAML = (out: string) => `
name: tiny
env: small-2p
seeds: [0, 1]
out: ${out}
algos:
  ppo: { totalTimesteps: 384, numEnvs: 4, numSteps: 24, policyFilters: [8], policyHidden: 16, evalEpisodes: 2, evalEnvs: 2, progress: none }
eval: { protocol: adapt, episodes: 2, seeds: 1, pairings: 1 }
`;

describe('hop experiment', () => {
  it('cells: algos x overrides x seeds, budgets scaled, names stable', () => {
    const exp = ExperimentSchema.parse({
      name: 'x',
      env: 'small-2p',
      seeds: [3, 4],
      algos: { ppo: { totalTimesteps: 1000 }, hop: { iterations: 5 } },
      overrides: [{ name: 'a', values: {} }, { name: 'b', values: { lr: 0.1 } }],
    });
    const cells = experimentCells(exp, '/r', 2.5);
    expect(cells.map((c) => c.dir)).toEqual(['/r/ppo-a-s3', '/r/ppo-a-s4', '/r/ppo-b-s3', '/r/ppo-b-s4', '/r/hop-a-s3', '/r/hop-a-s4', '/r/hop-b-s3', '/r/hop-b-s4']);
    expect(cells[0].settings).toMatchObject({ algo: 'ppo', env: 'small-2p', seed: 3, totalTimesteps: 2500 });
    expect(cells[6].settings).toMatchObject({ algo: 'hop', seed: 3, iterations: 13, lr: 0.1 });
  });

  it('interrupted during cell 2 and rerun: cell 1 is skipped (untouched), cell 2 resumes, then eval and compare; a third run skips everything', async () => {
    const root = tempDir('experiment');
    const out = join(root, 'exp');
    const file = join(root, 'tiny.yaml');
    writeFileSync(file, YAML(out));
    let inCell2 = false;
    const first = await runHop(['experiment', file, '--skip-eval'], (line, kill) => {
      if (line.startsWith('cell 2/2')) inCell2 = true;
      if (inCell2 && line.startsWith('iteration 2/4')) kill('SIGKILL');
    });
    expect(first.signal).toBe('SIGKILL');
    const cell1 = readFileSync(join(out, 'ppo-s0', 'metrics.jsonl'), 'utf8');
    const second = await runHop(['experiment', file]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/cell 1\/2 ppo default seed 0: finished, skipped/);
    expect(second.stdout).toMatch(/cell 2\/2 ppo default seed 1: resuming/);
    expect(second.stdout).toMatch(/resuming .*ppo-s1 from checkpoints\/iter-[12]/);
    expect(readFileSync(join(out, 'ppo-s0', 'metrics.jsonl'), 'utf8')).toBe(cell1);
    expect(readFileSync(join(out, 'ppo-s1', 'metrics.jsonl'), 'utf8')).toMatch(/"event":"end"/);
    for (const f of ['evaluation/evaluation.json', 'evaluation/tables.csv', 'compare.html']) expect(existsSync(join(out, f)), f).toBe(true);
    const page = readFileSync(join(out, 'compare.html'), 'utf8');
    expect(page).toMatch(/ppo-s0/);
    expect(page).toMatch(/Few-shot adaptation/);
    const third = await runHop(['experiment', file]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout.match(/finished, skipped/g)).toHaveLength(2);
    expect(third.stdout).toMatch(/evaluation: .* already covers these runs with these settings, skipped/);
  }, 240_000);
});
