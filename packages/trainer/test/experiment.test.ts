import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellTimes, experimentCells } from '../src/experiment/command';
import { ExperimentCliSchema, ExperimentSchema } from '../src/experiment/schema';
import { PKG, errorOf, runHop, runHopInProcess, tempDir } from './helpers';

const YAML = (out: string) => `
name: tiny
env: small-2p
seeds: [0, 1]
out: ${out}
algos:
  ppo: { totalTimesteps: 384, numEnvs: 4, numSteps: 24, policyFilters: [8], policyHidden: 16, evalEpisodes: 2, evalEnvs: 2, progress: none }
eval: { protocol: adapt, episodes: 2, seeds: 1, pairings: 1 }
`;

/** prepareInputs on an experiment whose references are wrong: it must refuse before making anything. */
async function runExperimentInputs(exp: ReturnType<typeof ExperimentSchema.parse>): Promise<void> {
  const { prepareInputs } = await import('../src/experiment/inputs');
  await prepareInputs(exp, tempDir('experiment-refs'), () => {});
}

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

  it('--scale scales the inputs (scaledInputs:) too, into their recipes and job ids: inputs made at one scale are refused at another', async () => {
    const { loadExperiment } = await import('../src/experiment/command');
    const { inputRecipes, prepareInputs } = await import('../src/experiment/inputs');
    const { jobId, planExperiment } = await import('../src/queue/plan');
    const root = tempDir('experiment-scale');
    const values = {
      name: 'sc',
      env: 'small-2p',
      seeds: [0],
      out: root,
      inputs: { d: { collect: { episodes: 10, seed: 1, progress: 'none' } }, p: { pretrain: { data: 'input:d', epochs: 3, batchSize: 32 } } },
      algos: { ppo: { totalTimesteps: 1000 } },
    };
    const at = (scale: number) => loadExperiment('sc.yaml', { scale, skipEval: true, progress: 'none' }, values);
    const [full, quarter, custom] = [await at(1), await at(0.25), await loadExperiment('sc.yaml', { scale: 0.5, skipEval: true, progress: 'none' }, { ...values, scaledInputs: ['batchSize'] })];
    // 10 x 0.25 = 2.5 rounds to 3; 3 x 0.25 = 0.75 rounds to 1 (never below 1); keys not listed stay.
    expect(inputRecipes(quarter.exp)).toEqual({
      d: { kind: 'collect', settings: { episodes: 3, progress: 'none', seed: 1 }, uses: {} },
      p: { kind: 'pretrain', settings: { batchSize: 32, data: 'input:d', epochs: 1 }, uses: { d: { kind: 'collect', settings: { episodes: 3, progress: 'none', seed: 1 }, uses: {} } } },
    });
    expect(inputRecipes(full.exp).p.settings).toEqual({ batchSize: 32, data: 'input:d', epochs: 3 });
    expect(inputRecipes(custom.exp).p.settings).toEqual({ batchSize: 16, data: 'input:d', epochs: 3 });
    expect(quarter.cells[0].settings.totalTimesteps).toBe(250);
    const ids = (e: Awaited<ReturnType<typeof at>>) => planExperiment(e.exp, root, e.cells, null).map((j) => jobId('sc', j));
    const [idsFull, idsQuarter] = [ids(full), ids(quarter)];
    expect(idsFull.filter((id) => idsQuarter.includes(id))).toEqual([]);
    expect(ids(await at(1))).toEqual(idsFull);
    // Made at 0.25, the dataset holds 3 episodes; the unscaled file then refuses it by name instead of reusing it.
    const only = (e: Awaited<ReturnType<typeof at>>) => ({ ...e.exp, inputs: { d: e.exp.inputs.d } });
    expect(await prepareInputs(only(quarter), root, () => {})).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'inputs', 'd', 'meta.json'), 'utf8')).counts.episodes).toBe(3);
    await expect(prepareInputs(only(full), root, () => {})).rejects.toThrow(/input 'd' .* another recipe than the file's \(episodes: 3 -> 10\)/);
    expect(await prepareInputs(only(await at(0.25)), root, () => {})).toBe(true);
  }, 60_000);

  it('input:<name> settings become the input directories; naming a missing or later input is a named error', () => {
    const exp = ExperimentSchema.parse({
      name: 'x',
      env: 'small-2p',
      seeds: [0],
      inputs: { d: { collect: { episodes: 4 } }, p: { pretrain: { data: 'input:d' } } },
      algos: { hop: { pretrained: 'input:p', warmStart: 'input:d', iterations: 2 } },
    });
    expect(experimentCells(exp, '/r', 1)[0].settings).toMatchObject({ pretrained: '/r/inputs/p', warmStart: '/r/inputs/d', iterations: 2 });
    const missing = errorOf(() => experimentCells({ ...exp, algos: { hop: { pretrained: 'input:pre' } } }, '/r', 1));
    expect(missing.code).toBe('E_CONFIG');
    expect(missing.message).toMatch(/algos\.hop\.pretrained: 'input:pre' names no input of the experiment; inputs it may name: d, p/);
    const later = { ...exp, inputs: { p: { pretrain: { data: 'input:d' } }, d: { collect: {} } } };
    return expect(runExperimentInputs(later)).rejects.toThrow(/inputs\.p\.data: 'input:d' names an input listed after inputs\.p \(list it before\); there is none it may name/);
  });

  it('the shipped experiments/msh-baselines.yaml: every cell and every input is a valid hop train / collect / pretrain config', async () => {
    const { readConfigFile } = await import('../src/config/load');
    const { trainConfigOf } = await import('../src/train/command');
    const { CollectConfigSchema, PretrainConfigSchema } = await import('../src/config/schemas');
    const { resolveRefs } = await import('../src/experiment/inputs');
    const exp = ExperimentSchema.parse(await readConfigFile(join(PKG, '..', '..', 'experiments', 'msh-baselines.yaml')));
    const cells = experimentCells(exp, '/r', 0.25);
    expect(cells).toHaveLength(12);
    for (const c of cells) expect(() => trainConfigOf(c.settings), c.dir).not.toThrow();
    expect(cells.find((c) => c.algo === 'hop')?.settings).toMatchObject({ pretrained: '/r/inputs/pre-true', warmStart: '/r/inputs/stag', iterations: 3 });
    expect(cells.find((c) => c.algo === 'direct-om')?.settings).toMatchObject({ pretrained: '/r/inputs/pre-none' });
    const { scaleInputs } = await import('../src/experiment/schema');
    expect(scaleInputs(exp, 0.25).inputs).toMatchObject({ mixed: { collect: { episodes: 300 } }, stag: { collect: { episodes: 150 } }, 'pre-true': { pretrain: { epochs: 2 } }, 'pre-none': { pretrain: { epochs: 2 } } });
    const names = Object.keys(exp.inputs);
    for (const [n, [name, input]] of Object.entries(exp.inputs).entries()) {
      const values = resolveRefs(exp, '/r', 'collect' in input ? input.collect : input.pretrain, `inputs.${name}`, names.slice(0, n));
      const r = 'collect' in input ? CollectConfigSchema.safeParse({ ...values, out: '/r/x' }) : PretrainConfigSchema.safeParse(values);
      expect(r.success, `${name}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
  });

  it('input records: an unfinished input with another recipe is refused, with the same recipe made again; a complete record without its dataset is refused; a remade upstream input makes its users stale', async () => {
    const { prepareInputs } = await import('../src/experiment/inputs');
    const root = tempDir('experiment-records');
    const exp = (episodes: number) =>
      ExperimentSchema.parse({
        name: 'r',
        env: 'small-2p',
        seeds: [0],
        inputs: { d: { collect: { episodes, seed: 1, progress: 'none' } }, p: { pretrain: { data: 'input:d', epochs: 1 } } },
        algos: { ppo: {} },
      });
    const record = join(root, 'inputs', 'd.input.json');
    const lines: string[] = [];
    const only = { ...exp(3), inputs: { d: exp(3).inputs.d } };
    // As a collect killed after writing its record would leave it: the recipe, not complete.
    mkdirSync(join(root, 'inputs'), { recursive: true });
    writeFileSync(record, JSON.stringify({ recipe: { kind: 'collect', settings: { episodes: 4, progress: 'none', seed: 1 }, uses: {} }, complete: false }));
    await expect(prepareInputs(only, root, (l) => lines.push(l))).rejects.toThrow(/input 'd' .* another recipe than the file's \(episodes: 4 -> 3\)/);
    writeFileSync(record, JSON.stringify({ recipe: { kind: 'collect', settings: { episodes: 3, progress: 'none', seed: 1 }, uses: {} }, complete: false }));
    expect(await prepareInputs(only, root, (l) => lines.push(l))).toBe(true);
    expect(lines.join('\n')).toMatch(/input d: hop collect into/);
    expect(JSON.parse(readFileSync(record, 'utf8')).complete).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'inputs', 'd', 'meta.json'), 'utf8')).counts.episodes).toBe(3);
    // The recipe of p holds d's: a p recorded when d had 2 episodes is stale once d has 3.
    const pRecipe = (episodes: number) => ({ kind: 'pretrain', settings: { data: 'input:d', epochs: 1 }, uses: { d: { kind: 'collect', settings: { episodes, progress: 'none', seed: 1 }, uses: {} } } });
    writeFileSync(join(root, 'inputs', 'p.input.json'), JSON.stringify({ recipe: pRecipe(2), complete: true }));
    await expect(prepareInputs(exp(3), root, () => {})).rejects.toThrow(/input 'p' .* another recipe than the file's \(input d: episodes: 2 -> 3\)/);
    rmSync(join(root, 'inputs', 'd'), { recursive: true });
    await expect(prepareInputs(only, root, () => {})).rejects.toThrow(/input 'd': .*d\.input\.json says it is complete but .*inputs\/d holds no dataset \(no meta\.json\); delete/);
    // Named errors for malformed entries, before anything is made.
    expect(() => ExperimentSchema.parse({ ...exp(3), inputs: { d: { colect: {} } } })).toThrow(/an input is \{ collect: .* \} or \{ pretrain: .* \} \(got keys: colect\)/);
    expect(() => ExperimentSchema.parse({ ...exp(3), inputs: { '1': { collect: {} } } })).toThrow(/an input name starts with a letter/);
    await expect(prepareInputs({ ...exp(3), inputs: { q: { pretrain: { data: 'input:q' } } } }, root, () => {})).rejects.toThrow(/inputs\.q\.data: 'input:q' names the input itself/);
  });

  it('inputs are made once before the grid and reused on rerun; an input whose settings changed is refused', async () => {
    const root = tempDir('experiment-inputs');
    const out = join(root, 'exp');
    const file = join(root, 'inputs.yaml');
    const yaml = (episodes: number) => `
name: tiny-inputs
env: small-2p
seeds: [0]
out: ${out}
inputs:
  data: { collect: { population: mixed, episodes: ${episodes}, seed: 2, progress: none } }
  pre: { pretrain: { data: input:data, goalInput: 'true', epochs: 1, batchSize: 32, moaFilters: [8], moaHidden: 32, vaeFilters: [8], latentDim: 4, progress: none } }
algos:
  hop-onestep: { pretrained: input:pre, totalTimesteps: 192, numEnvs: 4, numSteps: 24, policyFilters: [8], policyHidden: 16, evalEpisodes: 2, evalEnvs: 2, progress: none }
`;
    writeFileSync(file, yaml(20));
    const first = await runHop(['experiment', file, '--skip-eval']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/input data: hop collect into .*inputs\/data/);
    expect(first.stdout).toMatch(/input pre: hop pretrain into .*inputs\/pre/);
    expect(JSON.parse(readFileSync(join(out, 'inputs', 'data', 'meta.json'), 'utf8')).counts.episodes).toBe(20);
    const cell = JSON.parse(readFileSync(join(out, 'hop-onestep-s0', 'config.json'), 'utf8'));
    expect(JSON.stringify(cell)).toContain(join(out, 'inputs', 'pre'));
    const second = await runHop(['experiment', file, '--skip-eval']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/input data: made earlier from this recipe .*, reused/);
    expect(second.stdout).toMatch(/input pre: made earlier from this recipe .*, reused/);
    expect(second.stdout).toMatch(/cell 1\/1 hop-onestep default seed 0: finished, skipped/);
    // A finished cell whose settings the file now changes is refused, not skipped into the tables.
    writeFileSync(file, yaml(20).replace('policyHidden: 16', 'policyHidden: 24'));
    const cellChanged = await runHop(['experiment', file, '--skip-eval']);
    expect(cellChanged.code).not.toBe(0);
    expect(cellChanged.stderr).toMatch(/E_CONFIG.*cell 1\/1 hop-onestep default seed 0: .*hop-onestep-s0 was trained with other settings than the file gives it now \(policyHidden: 16 -> 24\); delete/);
    writeFileSync(file, yaml(21));
    const changed = await runHop(['experiment', file, '--skip-eval']);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(
      /E_CONFIG.*experiment input 'data' in .*inputs\/data was made from another recipe than the file's \(episodes: 20 -> 21\); delete .* \(and what was made from it: input pre, the hop-onestep cells\)/,
    );
    expect(JSON.parse(readFileSync(join(out, 'inputs', 'data', 'meta.json'), 'utf8')).counts.episodes).toBe(20);
  }, 240_000);

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
  it('an eval: block with cPuct and search gumbel is refused before anything trains', async () => {
    const root = tempDir('experiment-eval-refused');
    const out = join(root, 'exp');
    const file = join(root, 'bad.yaml');
    writeFileSync(file, YAML(out).replace('pairings: 1 }', 'pairings: 1, search: gumbel, cPuct: 2 }'));
    const r = await runHopInProcess(['experiment', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.yaml: eval\.cPuct 2 is PUCT's exploration constant, and search gumbel does not use it/);
    expect(existsSync(join(out, 'ppo-s0'))).toBe(false);
    // control: cPuct alone (PUCT) is accepted by the same resolution
    const { experimentEvalConfig, loadExperiment } = await import('../src/experiment/command');
    writeFileSync(file, YAML(out).replace('pairings: 1 }', 'pairings: 1, cPuct: 2 }'));
    const cli = ExperimentCliSchema.parse({});
    const { exp, root: expRoot } = await loadExperiment(file, cli);
    expect(experimentEvalConfig(file, exp, expRoot, cli).cPuct).toBe(2);
  }, 60_000);

  it('cellTimes: elapsed and the ETA as given, n/a before any cell has been trained', () => {
    expect(cellTimes(12.34, 45.66)).toBe('elapsed 12.3s, ETA 45.7s');
    expect(cellTimes(0.5, null)).toBe('elapsed 0.5s, ETA n/a');
  });

  it('--progress plain: inputs, cells (k/n, cell name, elapsed, ETA) and compare lines; --progress none: none of them', async () => {
    const root = tempDir('experiment-progress');
    const out = join(root, 'exp');
    const file = join(root, 'tiny.yaml');
    writeFileSync(file, YAML(out).replace('algos:', 'inputs:\n  d: { collect: { episodes: 2, seed: 1, progress: none } }\nalgos:'));
    const plain = await runHop(['experiment', file, '--progress', 'plain']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^inputs: 1\/1 made \(100%, [\d.]+s\)$/m);
    // Cell 1 trained (its time is the mean), so cell 2 gets an ETA of about that time.
    const first = plain.stdout.match(/^cells: 1\/2 cells \(50%, ([\d.]+)s\) ppo-s0 done; elapsed ([\d.]+)s, ETA ([\d.]+)s$/m);
    expect(first, plain.stdout).not.toBeNull();
    expect(Number(first![3])).toBeGreaterThan(0);
    expect(Number(first![3])).toBeLessThanOrEqual(Number(first![2]));
    expect(plain.stdout).toMatch(/^cells: 2\/2 cells \(100%, [\d.]+s\) all done; elapsed [\d.]+s, ETA 0\.0s$/m);
    expect(plain.stdout).toMatch(/^eval: \d+\/\d+ episodes/m);
    expect(plain.stdout).toMatch(/^compare: 1\/2 runs read \(50%, [\d.]+s\) ppo-s0$/m);
    expect(plain.stdout).toMatch(/^compare: 2\/2 runs read \(100%/m);
    expect(plain.stdout).toMatch(/^compare: (\d+)\/\1 charts written \(100%, [\d.]+s\) into .*compare$/m);
    // (The experiment runs in a child: its evaluation starts worker threads from the TypeScript sources.)
    // Rerun: both cells finished and skipped, nothing trained, so no mean time and no ETA.
    const again = await runHop(['experiment', file, '--progress', 'plain', '--skip-eval']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^cells: 1\/2 cells \(50%, [\d.]+s\) ppo-s0 skipped; elapsed [\d.]+s, ETA n\/a$/m);
    // Control: the same commands with --progress none print none of those lines (the log lines stay).
    rmSync(out, { recursive: true });
    const none = await runHop(['experiment', file, '--progress', 'none']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/cell 2\/2 ppo default seed 1: starting/);
    expect(none.stdout).not.toMatch(/^(inputs|cells|eval|compare): /m);
    expect(none.stdout).not.toMatch(/ETA/);
    const runs = [join(out, 'ppo-s0'), join(out, 'ppo-s1')];
    const cmp = await runHopInProcess(['compare', ...runs, '--out', join(root, 'c.html'), '--progress', 'plain']);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/^compare: 2\/2 runs read/m);
    expect(cmp.stdout).toMatch(/^compare: (\d+)\/\1 charts written/m);
    const quiet = await runHopInProcess(['compare', ...runs, '--out', join(root, 'd.html'), '--progress', 'none']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^comparison written to .*d\.html$/m);
    expect(quiet.stdout).not.toMatch(/^compare: /m);
    const bad = await runHopInProcess(['compare', ...runs, '--progress', 'loud']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/loud/);
  }, 240_000);
});
