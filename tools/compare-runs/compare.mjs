#!/usr/bin/env node
// Behaviour check across two builds: one tiny `hop train` run of each algorithm, one tiny `hop pretrain` (VAE
// and subgoal CVAE) and one tiny `hop world-model` run on git revision A and on B, same seeds and same inputs,
// then metrics.jsonl compared record by record and the final weights byte for byte. Only wall-clock fields
// are dropped before comparing (WALL_CLOCK below); everything else must be byte-identical as JSON.
//
//   node tools/compare-runs/compare.mjs <revA> <revB> [--work /work/runs/<you>/compare] [--algos hop,ppo] [--commands train,pretrain,world-model]
//
// Each revision is exported (git archive) into the work directory with a hard-linked copy of this
// checkout's node_modules, and built there with each package's build script, package by package: the checkout
// itself is not touched.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : def;
};
const work = resolve(opt('--work', join(repo, '..', 'compare-runs-work')));
const algos = opt('--algos', 'hop,direct-om,hop-wm,ppo,hop-onestep').split(',').filter(Boolean);
const commands = opt('--commands', 'train,pretrain,world-model').split(',');
const [revA, revB] = args;
if (!revA || !revB) {
  console.error('usage: compare.mjs <revA> <revB> [--work dir] [--algos hop,ppo,...] [--commands train,pretrain,world-model]');
  process.exit(2);
}

/** Fields that are wall-clock or CPU times (they differ between any two runs); nothing else is dropped. */
const PERF_CLOCK = new Set(['perf/cpu_seconds', 'perf/epoch_cpu_seconds', 'perf/samples_per_s', 'perf/epoch_seconds', 'perf/val_seconds']);
const WALL_CLOCK = (k) => k === 'time' || k.startsWith('time/') || k === 'charts/SPS' || k === 'charts/SPS_total' || PERF_CLOCK.has(k) || k === 'at';
// In dependency order (package.json deps).
const PACKAGES = ['core', 'env-staghunt', 'vae', 'moa', 'world-model', 'mcts', 'trainer'];

function build(rev) {
  const sha = execFileSync('git', ['-C', repo, 'rev-parse', rev], { encoding: 'utf8' }).trim();
  const dir = join(work, sha.slice(0, 12));
  if (existsSync(join(dir, 'packages/trainer/dist/cli.js'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${repo}" archive ${sha} | tar -x -C "${dir}"`]);
  // Hard links: nothing under node_modules is written; @hop/* links are relative, so they resolve into `dir`.
  execFileSync('cp', ['-al', join(repo, 'node_modules'), join(dir, 'node_modules')]);
  for (const p of PACKAGES) {
    console.log(`build ${rev} (${sha.slice(0, 12)}): @hop/${p}`);
    // The package's own build script (tsup, and for @hop/core since e0f596e a second step writing dist/index.*).
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: join(dir, 'packages', p), stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return dir;
}

function hop(dir, argv) {
  const r = spawnSync(process.execPath, [join(dir, 'packages/trainer/dist/cli.js'), ...argv], { encoding: 'utf8', env: { ...process.env, HOP_INFERENCE: 'tfjs' } });
  if (r.status !== 0) throw new Error(`hop ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r;
}

// Old flag spellings on purpose: both builds must take them (the newer one reports them as deprecated).
const TINY = ['--env', 'small-2p', '--num-envs', '3', '--tree-num', '2', '--simulations', '6', '--eval-envs', '2', '--eval-episodes', '2', '--eval-every', '1',
  '--replay-every', '0', '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8', '--moa-hidden', '16', '--moa-capacity', '12', '--moa-epochs', '1',
  '--moa-minibatch', '16', '--sgd-passes', '2', '--minibatch', '32', '--iterations', '2', '--progress', 'none', '--seed', '3'];
const TINY_PPO = ['--env', 'small-2p', '--total-timesteps', '288', '--num-envs', '4', '--num-steps', '24', '--policy-filters', '8', '--policy-hidden', '16',
  '--eval-every', '2', '--eval-episodes', '4', '--eval-envs', '2', '--progress', 'none', '--seed', '3'];

const dirA = build(revA);
const dirB = build(revB);
const inputs = join(work, 'inputs');
if (!existsSync(join(inputs, 'wm', 'best', 'meta.json'))) {
  rmSync(inputs, { recursive: true, force: true });
  hop(dirA, ['collect', '--preset', 'small-2p', '--population', 'mixed', '--episodes', '40', '--seed', '5', '--explore', '0.3', '--out', join(inputs, 'data'), '--progress', 'none']);
  hop(dirA, ['pretrain', '--data', join(inputs, 'data'), '--out', join(inputs, 'pre'), '--epochs', '1', '--goal-input', 'true', '--moa-filters', '8', '--moa-hidden', '32',
    '--vae-filters', '8', '--latent-dim', '4', '--batch-size', '32', '--progress', 'none']);
  hop(dirA, ['world-model', '--data', join(inputs, 'data'), '--out', join(inputs, 'wm'), '--epochs', '1', '--batch-size', '64', '--progress', 'none', '--off-policy-episodes', '0']);
}
const argvOf = {
  hop: ['--algo', 'hop', '--pretrained', join(inputs, 'pre'), ...TINY],
  'direct-om': ['--algo', 'direct-om', ...TINY],
  'hop-wm': ['--algo', 'hop-wm', '--world-model', join(inputs, 'wm'), '--pretrained', join(inputs, 'pre'), ...TINY],
  ppo: ['--algo', 'ppo', ...TINY_PPO],
  'hop-onestep': ['--algo', 'hop-onestep', '--moa-capacity', '40', '--moa-epochs', '1', ...TINY_PPO],
};

const records = (run) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const strip = (r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !WALL_CLOCK(k))));

// Pretraining and world-model runs: argv (without --out) and the weight files compared byte for byte.
const TINY_PRE = ['pretrain', '--data', join(inputs, 'data'), '--epochs', '3', '--moa-filters', '8', '--moa-hidden', '16', '--vae-filters', '8',
  '--latent-dim', '4', '--batch-size', '32', '--log-every', '2', '--progress', 'none', '--seed', '7'];
const others = {
  pretrain: { argv: TINY_PRE, weights: ['checkpoints/epoch-3/moa/moa/weights.bin', 'checkpoints/epoch-3/vae/encoder/weights.bin', 'checkpoints/epoch-3/vae/decoder/weights.bin'] },
  'pretrain-cvae': {
    argv: [...TINY_PRE, '--latent', 'cvae', '--history-units', '8', '--no-pairs'],
    weights: ['checkpoints/epoch-3/moa/moa/weights.bin', 'checkpoints/epoch-3/cvae/history/weights.bin', 'checkpoints/epoch-3/cvae/prior/weights.bin'],
  },
  'world-model': {
    argv: ['world-model', '--data', join(inputs, 'data'), '--epochs', '2', '--batch-size', '64', '--filters', '8', '--progress', 'none', '--off-policy-episodes', '2', '--seed', '7'],
    weights: ['checkpoint/network/weights.bin', 'checkpoint/optimizers/adam/weights.bin', 'best/network/weights.bin'],
  },
};
const cases = [
  ...(commands.includes('train') ? algos.map((algo) => ({ name: algo, argv: ['train', ...argvOf[algo]], weights: [] })) : []),
  ...(commands.includes('pretrain') ? ['pretrain', 'pretrain-cvae'].map((name) => ({ name, ...others[name] })) : []),
  ...(commands.includes('world-model') ? [{ name: 'world-model', ...others['world-model'] }] : []),
];

let failed = 0;
for (const c of cases) {
  const outs = [dirA, dirB].map((dir, i) => {
    const out = join(work, 'runs', `${c.name}-${i ? 'B' : 'A'}`);
    rmSync(out, { recursive: true, force: true });
    hop(dir, [...c.argv, '--out', out]);
    return out;
  });
  const [a, b] = outs.map((out) => records(out).map(strip));
  const diff = a.length !== b.length ? `${a.length} vs ${b.length} records` : a.findIndex((x, i) => x !== b[i]);
  const weights = c.weights.filter((f) => !readFileSync(join(outs[0], f)).equals(readFileSync(join(outs[1], f))));
  if (diff === -1 && weights.length === 0)
    console.log(`${c.name}: ${a.length} records identical (wall-clock fields dropped)${c.weights.length ? `, ${c.weights.length} weight files identical` : ''}`);
  else {
    failed++;
    if (diff !== -1) console.log(`${c.name}: DIFFERENT at ${typeof diff === 'number' ? `record ${diff}:\n  A ${a[diff]}\n  B ${b[diff]}` : diff}`);
    if (weights.length) console.log(`${c.name}: weights DIFFERENT: ${weights.join(', ')}`);
  }
}
process.exit(failed ? 1 : 0);
