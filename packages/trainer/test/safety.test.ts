import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '@hop/env-staghunt';
import { PKG, TINY_NET, flipLastBit, runHop, runHopInProcess, runNode, tempDir, tinyDataset, type CliRun } from './helpers';
import { fileFingerprint, inputFingerprint, fingerprintChanges } from '../src/run/fingerprint';

/**
 * Commands whose outcome is a property of the command itself (a refusal, a message, what is left on disk) run
 * in this process (`hop`, no child start-up); what needs a real process stays in children (`runHop`): two
 * processes racing for a lock, SIGKILL at random moments, the executable and its bin launcher.
 */
const hop = runHopInProcess;

const COLLECT = (out: string, seed: number, episodes = 60) => ['collect', '--preset', 'small-2p', '--population', 'mixed', '--episodes', String(episodes), '--seed', String(seed), '--out', out, '--progress', 'none'];
/** A tiny self-play config on the 2-player preset (as in train-e2e.test.ts). */
const TINY_TRAIN = [
  '--env', 'small-2p', '--num-envs', '3', '--num-trees', '2', '--num-simulations', '6',
  '--eval-envs', '2', '--eval-episodes', '2', '--eval-every', '2', '--replay-every', '0',
  '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8', '--moa-hidden', '16',
  '--moa-capacity', '12', '--moa-epochs', '1', '--moa-minibatch', '16', '--sgd-passes', '2', '--minibatch', '32',
  '--checkpoint-every', '1', '--progress', 'none',
];
const PRETRAIN = (data: string, out: string, epochs: number) => ['pretrain', '--data', data, '--out', out, '--epochs', String(epochs), '--seed', '11', ...TINY_NET, '--progress', 'none'];

const metaOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { seed: number; createdAt: string; counts: { samples: number } };

/** Overwrites element `index` (in elements of 4 bytes) of a version-1 .npy file. */
function pokeNpy(file: string, index: number, value: number, dtype: 'float32' | 'int32'): void {
  const buf = readFileSync(file);
  const data = 10 + buf.readUInt16LE(8);
  if (dtype === 'float32') buf.writeFloatLE(value, data + 4 * index);
  else buf.writeInt32LE(value, data + 4 * index);
  writeFileSync(file, buf);
}

/** Sibling entries a collect may leave next to its --out (temporaries, locks). */
const leftovers = (out: string) => readdirSync(dirname(out)).filter((n) => n !== 'data' && n.includes('data'));

describe('hop collect never destroys or mixes datasets', () => {
  it('refuses an existing dataset (E_DATASET_EXISTS) unless --force, which replaces it whole; never writes over other files', async () => {
    const out = join(tempDir('exists'), 'data');
    expect((await hop(COLLECT(out, 1))).code).toBe(0);
    const before = metaOf(out);
    const again = await hop(COLLECT(out, 2));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/E_DATASET_EXISTS.*already holds a dataset \(\d+ samples, seed 1.*--force/);
    expect(metaOf(out)).toEqual(before);

    const forced = await hop([...COLLECT(out, 2), '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/replaced the dataset .*: its \d+ files \(meta\.json, obs\.npy/);
    expect(metaOf(out).seed).toBe(2);
    // Swapped in whole: no temporary or lock is left beside it.
    expect(leftovers(out)).toEqual([]);

    const other = join(tempDir('other'), 'data');
    mkdirSync(other);
    writeFileSync(join(other, 'thesis.tex'), 'precious');
    const refused = await hop([...COLLECT(other, 1), '--force']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/E_OUT_OCCUPIED.*not empty and holds no dataset \(thesis\.tex\)/);
    expect(readFileSync(join(other, 'thesis.tex'), 'utf8')).toBe('precious');
  });

  it('a collect killed between the two renames of its swap: the next collect puts the old dataset back first', async () => {
    const parent = tempDir('swap');
    const out = join(parent, 'data');
    expect((await hop(COLLECT(out, 1))).code).toBe(0);
    const old = metaOf(out);
    // What a kill leaves there: the old dataset moved aside, the new one half written, `out` itself gone.
    const dead = 4_200_000 + 12_345; // above Linux's largest pid
    renameSync(out, join(parent, `.data.old-${dead}`));
    mkdirSync(join(parent, `.data.collect-${dead}`));
    writeFileSync(join(parent, `.data.collect-${dead}`, 'obs.npy'), 'half');
    const r = await hop(COLLECT(out, 2));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/restored the dataset .*data that a killed collect was replacing/);
    expect(r.stderr).toMatch(/E_DATASET_EXISTS.*seed 1/);
    expect(metaOf(out)).toEqual(old);
    expect(readdirSync(parent)).toEqual(['data']);
  });

  it('two collects into one directory: one writes it, the other is refused by name (lock holder pid, or the dataset now there)', async () => {
    const out = join(tempDir('race'), 'data');
    const [a, b] = await Promise.all([runHop(COLLECT(out, 1, 300)), runHop(COLLECT(out, 2, 300))]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 2]);
    const loser = a.code === 2 ? a : b;
    // The loser may find the lock before its holder wrote its pid (then the message says so) or after.
    expect(loser.stderr).toMatch(/E_DATASET_LOCKED\]: dataset directory .* is in use by (process \d+ \(`hop collect|another process \(which has not recorded its pid yet\))|E_DATASET_EXISTS/);
    const winnerSeed = a.code === 0 ? 1 : 2;
    expect(metaOf(out).seed).toBe(winnerSeed);
    openDataset(out).close();
    expect(leftovers(out)).toEqual([]);
  });

  it('a collect --force killed at random moments leaves the old dataset or the new one, whole, never half; the next collect cleans up', async () => {
    const out = join(tempDir('killcollect'), 'data');
    expect((await hop(COLLECT(out, 1, 200))).code).toBe(0);
    const old = metaOf(out);
    // Kill moments spread over start-up, playing, and the swap at the end (a collect of 200 episodes takes ~3-4 s here).
    for (const ms of [900, 1800, 2600, 3200]) {
      const r = await runHopKilledAfter([...COLLECT(out, 2, 200), '--force'], ms);
      const now = existsSync(join(out, 'meta.json')) ? metaOf(out) : null;
      if (r.signal === 'SIGKILL' && now === null) {
        // Killed between the two renames of the swap: the old dataset waits beside it and the next collect restores it.
        expect(readdirSync(dirname(out)).some((n) => n.startsWith('.data.old-'))).toBe(true);
      } else {
        // Either the old dataset exactly as it was, or the complete new one.
        expect(now!.seed === 2 || JSON.stringify(now) === JSON.stringify(old), JSON.stringify(now)).toBe(true);
        const ds = openDataset(out);
        expect(ds.size).toBe(now!.counts.samples);
        ds.close();
      }
      if (metaOf(out).seed === 2) break;
    }
    const final = await hop([...COLLECT(out, 2, 200), '--force']);
    expect(final.code, final.stderr).toBe(0);
    expect(leftovers(out)).toEqual([]);
    expect(readdirSync(dirname(out)).filter((n) => n.startsWith('.data.'))).toEqual([]);
  });
});

/** Runs the CLI and SIGKILLs it `ms` after the start (or lets it finish when it is faster). */
export function runHopKilledAfter(args: string[], ms: number): Promise<CliRun> {
  let timer: NodeJS.Timeout | undefined;
  return runHop(args, undefined, (kill) => {
    timer = setTimeout(() => kill('SIGKILL'), ms);
  }).finally(() => clearTimeout(timer));
}

describe('runs: locks, input fingerprints, checkpoint fallback, failed starts, clear errors', () => {
  let data: string;
  let root: string;
  beforeAll(async () => {
    root = tempDir('safety');
    data = await tinyDataset(join(root, 'data'), 60, 3, 0.3);
  });

  it('a run that is still running is locked: --resume and a second start on it fail naming the holder pid', async () => {
    const run = join(tempDir('lock'), 'run');
    let second: Promise<CliRun> | null = null;
    let third: Promise<CliRun> | null = null;
    let holder: { pid: number } | null = null;
    const first = await runHop([...PRETRAIN(data, run, 40), '--progress', 'plain'], (line, kill) => {
      if (second || !line.startsWith('epoch 1/40')) return;
      holder = JSON.parse(readFileSync(join(run, '.lock.json'), 'utf8')) as { pid: number };
      second = runHop(['pretrain', '--resume', run]);
      third = runHop(PRETRAIN(data, run, 2));
      void Promise.all([second, third]).then(() => kill('SIGKILL'));
    });
    expect(first.signal).toBe('SIGKILL');
    const [r2, r3] = await Promise.all([second!, third!]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(new RegExp(`E_RUN_LOCKED.*is in use by process ${holder!.pid} \\(\`hop pretrain\``));
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/E_RUN_LOCKED/);
    // The holder was killed (-9): its lock is taken over at once, the run resumes. A budget under the epochs it
    // has done would be refused (E_RESUME_BUDGET), so the resume ends it at the newest complete epoch (or 1).
    const done = Math.max(1, ...readdirSync(join(run, 'checkpoints')).map((n) => /^epoch-(\d+)$/.exec(n)?.[1]).filter(Boolean).map(Number));
    const resumed = await hop(['pretrain', '--resume', run, '--epochs', String(done)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(run, '.lock'))).toBe(false);
    expect(existsSync(join(run, '.lock.json'))).toBe(false);
  });

  it('two starts into one --out at once: one trains, the other is refused (locked, or the run exists)', async () => {
    const run = join(tempDir('twostarts'), 'run');
    const [a, b] = await Promise.all([runHop(PRETRAIN(data, run, 1)), runHop(PRETRAIN(data, run, 1))]);
    expect([a.code, b.code].sort()).toEqual([0, 2]);
    expect((a.code === 2 ? a : b).stderr).toMatch(/E_RUN_LOCKED|E_RUN_EXISTS/);
  });

  it('records a fingerprint of its dataset and refuses to resume on changed data, saying what changed', async () => {
    const own = join(tempDir('fp'), 'data');
    cpSync(data, own, { recursive: true });
    const run = join(tempDir('fprun'), 'run');
    expect((await hop(PRETRAIN(own, run, 1))).code).toBe(0);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.inputs.fingerprints.data.kind).toBe('dataset');
    expect(config.inputs.fingerprints.data.files['obs.npy'].size).toBe(statSync(join(own, 'obs.npy')).size);
    expect(config.inputs.fingerprints.data.meta.seed).toBe(3);

    const recollected = await hop([...COLLECT(own, 4, 60), '--force']);
    expect(recollected.code).toBe(0);
    const r = await hop(['pretrain', '--resume', run, '--epochs', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_INPUT_CHANGED.*--data .*meta\.json seed 3 -> 4; samples \d+ -> \d+;.*action\.npy is \d+ bytes, was \d+/);

    // Same size, other contents (one value in the middle of a column): still caught.
    cpSync(data, own, { recursive: true, force: true });
    expect(fingerprintChanges(inputFingerprint(own), inputFingerprint(data))).toEqual([]);
    const before = inputFingerprint(own);
    pokeNpy(join(own, 'reward.npy'), 5, 0.5, 'float32');
    expect(fingerprintChanges(before, inputFingerprint(own))).toEqual(['reward.npy has other contents (same size)']);
  });

  it('a truncated newest checkpoint: resume moves it aside, says so, and continues from the previous one to the same weights', async () => {
    const run = join(tempDir('trunc'), 'run');
    const reference = join(tempDir('truncref'), 'run');
    const a = await hop(PRETRAIN(data, run, 2));
    const ref = await hop(PRETRAIN(data, reference, 3));
    expect(a.code, a.stderr).toBe(0);
    expect(ref.code, ref.stderr).toBe(0);
    const bin = join(run, 'checkpoints/epoch-2/moa/moa/weights.bin');
    truncateSync(bin, statSync(bin).size - 100);
    const r = await hop(['pretrain', '--resume', run, '--epochs', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/checkpoint .*epoch-2 is damaged \(moa\/moa\/weights\.bin has \d+ bytes, its manifest says \d+ \(truncated\)\)/);
    expect(r.stdout).toMatch(/resuming from the newest checkpoint that verifies: epoch-1/);
    expect(r.stdout).toMatch(/from checkpoints\/epoch-1: epoch 2, batch 0/);
    expect(readdirSync(join(run, 'checkpoints')).some((n) => n.startsWith('damaged-epoch-2-'))).toBe(true);
    const w = (dir: string) => readFileSync(join(dir, 'checkpoints/epoch-3/moa/moa/weights.bin'));
    expect(w(run).equals(w(reference))).toBe(true);
  });

  it('NaN in obs and a bad action label are named by file, row and column before any run directory exists', async () => {
    const bad = join(tempDir('nan'), 'data');
    cpSync(data, bad, { recursive: true });
    const F = (JSON.parse(readFileSync(join(bad, 'meta.json'), 'utf8')) as { observation: { flatSize: number } }).observation.flatSize;
    pokeNpy(join(bad, 'obs.npy'), 17 * F + 9, Number.NaN, 'float32');
    const run = join(tempDir('nanrun'), 'run');
    const r = await hop(PRETRAIN(bad, run, 1));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_DATASET_VALUE.*obs\.npy: row 17, column "obs" \(value 9 of the row\) holds NaN/);
    expect(r.stderr).not.toMatch(/lower --lr/);
    expect(existsSync(run)).toBe(false);

    const wm = join(tempDir('nanwm'), 'run');
    const w = await hop(['world-model', '--data', bad, '--out', wm, '--epochs', '1', '--progress', 'none']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/E_DATASET_VALUE.*obs\.npy: row 17, column "obs"/);
    expect(existsSync(wm)).toBe(false);

    // hop train's --warm-start dataset is scanned too, before the run directory is made.
    const tr = join(tempDir('nantrain'), 'run');
    const t = await hop(['train', '--warm-start', bad, '--iterations', '1', '--out', tr, ...TINY_TRAIN]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/E_DATASET_VALUE.*obs\.npy: row 17, column "obs"/);
    expect(existsSync(tr)).toBe(false);
    expect(t.stdout).not.toMatch(/run directory/);

    cpSync(data, bad, { recursive: true, force: true });
    pokeNpy(join(bad, 'action.npy'), 123, 42, 'int32');
    const a = await hop(PRETRAIN(bad, run, 1));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/E_DATASET_VALUE.*action\.npy: row 123, column "action" holds 42 \(an action index 0\.\.\d\)/);
    expect(existsSync(run)).toBe(false);
    // The same --out is free: nothing was left behind.
    const ok = await hop(PRETRAIN(data, run, 1));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('a start that fails after the run directory was made removes what it made', async () => {
    const run = join(tempDir('failstart'), 'run');
    // A learning rate this large makes the loss non-finite in the first epoch, before any checkpoint.
    const r = await hop([...PRETRAIN(data, run, 1), '--lr', '1e30', '--grad-clip-norm', '1e30']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_DIVERGED/);
    expect(r.stdout).toMatch(/failed before its first checkpoint; removed/);
    expect(existsSync(run)).toBe(false);
  });

  it('--batch-size larger than the training split is accepted with a warning', async () => {
    const run = join(tempDir('bigbatch'), 'run');
    const r = await hop([...PRETRAIN(data, run, 1), '--batch-size', '100000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning: --batch-size 100000 is larger than the training split \(\d+ samples\)/);
  });

  it('hop --version; the bin launcher runs the CLI', async () => {
    const version = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;
    const r = await runHop(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')} \\(@hop/trainer, node v\\d+`));
    const bin = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { bin: { hop: string } }).bin.hop;
    const viaBin = await runNode([join(PKG, bin), '--version']);
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin.stdout).toContain(`${version} (@hop/trainer`);
  });

  it('the fingerprint reads a few MiB per file whatever its size', () => {
    const dir = tempDir('fpcost');
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(8 << 20, 7));
    const a = fileFingerprint(big);
    const buf = readFileSync(big);
    buf[4 << 20] = 1; // the middle is not read
    writeFileSync(big, buf);
    expect(fileFingerprint(big)).toEqual(a);
    buf[(8 << 20) - 1] = 1; // the last MiB is
    writeFileSync(big, buf);
    expect(fileFingerprint(big)).not.toEqual(a);
  });

  it('hop train: fingerprints --pretrained, refuses it changed; a truncated newest iteration checkpoint falls back to the previous one', async () => {
    const dir = tempDir('train');
    const pre = join(dir, 'pre');
    expect((await hop(['pretrain', '--data', data, '--out', pre, '--epochs', '1', '--goal-input', 'true', ...TINY_NET, '--progress', 'none'])).code).toBe(0);
    const run = join(dir, 'run');
    const reference = join(dir, 'reference');
    const args = (out: string, iterations: number) => ['train', '--pretrained', pre, '--iterations', String(iterations), '--seed', '9', '--out', out, ...TINY_TRAIN];
    const a = await hop(args(run, 3));
    const ref = await hop(args(reference, 4));
    expect(a.code, a.stderr).toBe(0);
    expect(ref.code, ref.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.inputs.fingerprints.pretrained.kind).toBe('directory');
    expect(Object.keys(config.inputs.fingerprints.pretrained.files)).toContain('checkpoints/epoch-1/moa/moa/weights.bin');

    const bin = join(run, 'checkpoints/iter-3/policy/policy/weights.bin');
    truncateSync(bin, 10);
    const r = await hop(['train', '--resume', run, '--iterations', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/checkpoint .*iter-3 is damaged \(policy\/policy\/weights\.bin has 10 bytes/);
    expect(r.stdout).toMatch(/resuming from the newest checkpoint that verifies: iter-2/);
    expect(r.stdout).toMatch(/from checkpoints\/iter-2: iteration 3/);
    const w = (d: string) => readFileSync(join(d, 'checkpoints/iter-4/policy/policy/weights.bin'));
    expect(w(run).equals(w(reference))).toBe(true);

    // The pretraining run it loaded is trained on: its checkpoint changes, the resume is refused by name.
    flipLastBit(join(pre, 'checkpoints/epoch-1/moa/moa/weights.bin'));
    const changed = await hop(['train', '--resume', run, '--iterations', '5']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/E_INPUT_CHANGED.*--pretrained .*pre: checkpoints\/epoch-1\/moa\/moa\/weights\.bin has other contents/);
  });

  it('world-model: a damaged checkpoint/ resumes from checkpoint-previous/ and ends as the uninterrupted run', async () => {
    const dir = tempDir('wm');
    const args = (out: string, epochs: number) => ['world-model', '--data', data, '--out', out, '--epochs', String(epochs), '--batch-size', '64', '--min-lr-factor', '1', '--seed', '4', '--progress', 'none', '--off-policy-episodes', '0'];
    const run = join(dir, 'run');
    const reference = join(dir, 'reference');
    const a = await hop(args(run, 2));
    const ref = await hop(args(reference, 3));
    expect(a.code, a.stderr).toBe(0);
    expect(ref.code, ref.stderr).toBe(0);
    expect(existsSync(join(run, 'checkpoint-previous/meta.json'))).toBe(true);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.inputs.fingerprints.data.kind).toBe('dataset');
    writeFileSync(join(run, 'checkpoint/meta.json'), '{"format": "hop-check');
    const r = await hop(['world-model', '--resume', run, '--epochs', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/checkpoint .*checkpoint is damaged \(meta\.json is not valid JSON/);
    expect(r.stdout).toMatch(/resuming from the newest checkpoint that verifies: checkpoint-previous/);
    expect(r.stdout).toMatch(/resuming .* from checkpoint-previous: epoch 3/);
    const w = (d: string) => readFileSync(join(d, 'checkpoint/network/weights.bin'));
    expect(w(run).equals(w(reference))).toBe(true);
  });
});
