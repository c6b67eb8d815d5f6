import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TINY_NET, runHopInProcess, tempDir, tinyDataset } from './helpers';
import { ppoIterations } from '../src/algos/ppo/loop';

/**
 * Random sequences of collect / pretrain / train / --force / --resume / kill / the user writing files, on a
 * few folders, must never delete a file that no command wrote and never leave a run whose record disagrees
 * with its checkpoints. A "kill" leaves what a SIGKILL leaves at its moments (a staging folder of a dead pid,
 * its lock, a half-written collect beside the --out: see safety.test.ts for real kills), so the sequence
 * stays in this process and fast. Mutations caught: collect --force swapping a folder with user files in it,
 * a resume lowering the budget under the newest checkpoint, removeStaleStaging removing a live folder.
 */
const FOLDERS = ['a', 'b', 'c'] as const;
type Folder = (typeof FOLDERS)[number];
const DEAD_PID = 4_212_345; // above Linux's largest pid: never alive

type Op =
  | { op: 'collect'; f: Folder; seed: number; force: boolean }
  | { op: 'pretrain'; data: Folder | 'data0'; f: Folder; epochs?: number }
  | { op: 'resume-pretrain'; f: Folder; epochs: number }
  | { op: 'ppo'; f: Folder }
  | { op: 'resume-train'; f: Folder; iterations: number }
  | { op: 'kill'; f: Folder }
  | { op: 'user-file'; f: Folder; name: string };

const folder = fc.constantFrom(...FOLDERS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('collect' as const), f: fc.constantFrom<Folder>('a', 'a', 'b', 'c'), seed: fc.integer({ min: 1, max: 3 }), force: fc.constantFrom(true, true, false) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('pretrain' as const), data: fc.constantFrom<Folder | 'data0'>('data0', 'data0', ...FOLDERS), f: folder }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('resume-pretrain' as const), f: fc.constantFrom<Folder>('b', 'b', 'b', 'c'), epochs: fc.integer({ min: 0, max: 2 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('ppo' as const), f: folder }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('resume-train' as const), f: fc.constantFrom<Folder>('c', 'c', 'c', 'b'), iterations: fc.integer({ min: 0, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('kill' as const), f: folder }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('user-file' as const), f: folder, name: fc.constantFrom('notes.txt', 'analysis/fig.svg', 'thesis.tex') }), weight: 2 },
);

const numbered = (dir: string, re: RegExp): number[] =>
  existsSync(dir) ? readdirSync(dir).map((n) => re.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])) : [];

/** The run's record against its checkpoints: epoch / iteration records exactly 1..newest, budget not under it. */
function recordProblem(run: string): string | null {
  const file = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { command: string; config: Record<string, number> };
  const records = existsSync(join(run, 'metrics.jsonl'))
    ? readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; epoch: number })
    : [];
  const pretrain = file.command === 'pretrain';
  const done = Math.max(0, ...numbered(join(run, 'checkpoints'), pretrain ? /^epoch-(\d+)$/ : /^iter-(\d+)$/));
  const seen = records.filter((r) => r.kind === (pretrain ? 'epoch' : 'iteration')).map((r) => r.epoch);
  const want = Array.from({ length: done }, (_, i) => i + 1);
  if (JSON.stringify(seen) !== JSON.stringify(want)) return `${run}: records ${JSON.stringify(seen)} but newest checkpoint ${done}`;
  const budget = pretrain ? file.config.epochs : ppoIterations(file.config as unknown as Parameters<typeof ppoIterations>[0]);
  if (budget < done) return `${run}: config budget ${budget} is under the ${done} done`;
  return null;
}

describe('property: no command sequence deletes a file no command wrote, or leaves a record disagreeing with its checkpoints', () => {
  it('random sequences of collect / pretrain / train / --force / --resume / kill / user files on three folders', async () => {
    const data0 = await tinyDataset(join(tempDir('prop-data'), 'data0'), 12, 3);
    const counts = { sequences: 0, ops: 0, refusedOccupied: 0, forcedReplace: 0, resumeRefused: 0, resumed: 0, kills: 0, staleRemoved: 0, runsChecked: 0, userFiles: 0, forceOnUserFiles: 0 };
    const codes: Record<string, number> = {};

    await fc.assert(
      // Every sequence starts with a dataset in a (replaced once with --force), a pretraining (2 epochs) in b and a PPO run in c, goes on
      // with random steps, and ends with the cases that matter (a user file in a, then --force on a, resumes of
      // b and of c after a kill, with random budgets), so that each run meets them whatever the random part did.
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 3 }), fc.constantFrom('notes.txt', 'analysis/fig.svg'), fc.nat(3), fc.nat(3), async (random, userName, epochs, iterations) => {
        const ops: Op[] = [
          { op: 'collect', f: 'a', seed: 1, force: false },
          { op: 'collect', f: 'a', seed: 3, force: true },
          { op: 'pretrain', data: 'data0', f: 'b', epochs: 2 },
          { op: 'ppo', f: 'c' },
          ...random,
          { op: 'user-file', f: 'a', name: userName },
          { op: 'collect', f: 'a', seed: 2, force: true },
          { op: 'resume-pretrain', f: 'b', epochs },
          { op: 'kill', f: 'c' },
          { op: 'resume-train', f: 'c', iterations },
        ];
        counts.sequences++;
        const root = tempDir('prop');
        const path = (f: Folder) => join(root, f);
        const user = new Map<string, string>();
        const staging = new Set<string>();
        for (const o of ops) {
          counts.ops++;
          let r: { code: number; stdout: string; stderr: string } | null = null;
          const args = (a: string[]) => [...a, '--progress', 'none'];
          switch (o.op) {
            case 'collect':
              // The case that matters most: --force on a dataset folder that also holds the user's files.
              if (o.force && existsSync(join(path(o.f), 'meta.json')) && [...user.keys()].some((k) => k.startsWith(path(o.f) + '/'))) counts.forceOnUserFiles++;
              r = await runHopInProcess(args(['collect', '--preset', 'small-2p', '--population', 'mixed', '--episodes', '6', '--seed', String(o.seed), '--out', path(o.f), ...(o.force ? ['--force'] : [])]));
              if (r.code === 0 && /replaced the dataset/.test(r.stdout)) counts.forcedReplace++;
              break;
            case 'pretrain':
              r = await runHopInProcess(args(['pretrain', '--data', o.data === 'data0' ? data0 : path(o.data), '--out', path(o.f), '--epochs', String(o.epochs ?? 1), '--seed', '1', ...TINY_NET]));
              break;
            case 'resume-pretrain':
              r = await runHopInProcess(args(['pretrain', '--resume', path(o.f), ...(o.epochs ? ['--epochs', String(o.epochs)] : [])]));
              break;
            case 'ppo':
              r = await runHopInProcess(args([
                'train', '--algo', 'ppo', '--env', 'small-2p', '--total-timesteps', '16', '--num-envs', '2', '--num-steps', '8',
                '--policy-filters', '4', '--policy-hidden', '8', '--eval-every', '0', '--eval-episodes', '1', '--final-eval-episodes', '1', '--eval-envs', '1',
                '--checkpoint-every', '1', '--seed', '1', '--out', path(o.f),
              ]));
              break;
            case 'resume-train':
              r = await runHopInProcess(args(['train', '--resume', path(o.f), ...(o.iterations ? ['--iterations', String(o.iterations)] : [])]));
              break;
            case 'kill': {
              counts.kills++;
              const p = path(o.f);
              const holder = JSON.stringify({ pid: DEAD_PID, host: hostname(), command: 'killed', since: 'then' });
              if (existsSync(join(p, 'config.json'))) {
                // Killed while writing a checkpoint, holding the run's lock.
                const isTrain = existsSync(join(p, 'checkpoints')) && readdirSync(join(p, 'checkpoints')).some((n) => n.startsWith('iter-'));
                const tmp = join(p, 'checkpoints', `${isTrain ? 'iter' : 'epoch'}-99.tmp-${DEAD_PID}`);
                mkdirSync(tmp, { recursive: true });
                writeFileSync(join(tmp, 'half'), 'x');
                staging.add(tmp);
                mkdirSync(join(p, '.lock'), { recursive: true });
                writeFileSync(join(p, '.lock.json'), holder);
              } else {
                // Killed while collecting into it: its staging sibling and lock.
                mkdirSync(join(root, `.${o.f}.collect-${DEAD_PID}`), { recursive: true });
                writeFileSync(join(root, `.${o.f}.collect-${DEAD_PID}`, 'obs.npy'), 'half');
                mkdirSync(`${p}.lock`, { recursive: true });
                writeFileSync(`${p}.lock.json`, holder);
              }
              break;
            }
            case 'user-file': {
              const file = join(path(o.f), o.name);
              mkdirSync(dirname(file), { recursive: true });
              const text = `user ${counts.ops}`;
              writeFileSync(file, text);
              user.set(file, text);
              counts.userFiles++;
              break;
            }
          }
          if (r) {
            const code = /error \[(E_[A-Z_]+)\]/.exec(r.stderr)?.[1] ?? String(r.code);
            codes[code] = (codes[code] ?? 0) + 1;
            // Never an unexpected failure (a stack trace): 0 done, 2 a named refusal.
            expect([0, 2], `${JSON.stringify(o)}: ${r.stderr}`).toContain(r.code);
            if (code === 'E_OUT_OCCUPIED') counts.refusedOccupied++;
            if (code === 'E_RESUME_BUDGET') counts.resumeRefused++;
            if (r.code === 0 && (o.op === 'resume-pretrain' || o.op === 'resume-train')) counts.resumed++;
          }
          for (const [file, text] of user) expect(existsSync(file) && readFileSync(file, 'utf8'), `${file} after ${JSON.stringify(o)}`).toBe(text);
          for (const t of [...staging])
            if (!existsSync(t)) {
              counts.staleRemoved++;
              staging.delete(t);
            }
          for (const f of FOLDERS) {
            if (!existsSync(join(path(f), 'config.json')) || !existsSync(join(path(f), 'metrics.jsonl'))) continue;
            counts.runsChecked++;
            expect(recordProblem(path(f))).toBeNull();
          }
        }
      }),
      { numRuns: 4, seed: 29, endOnFailure: true },
    );
    console.log(`data-safety property coverage: ${JSON.stringify(counts)}; outcomes ${JSON.stringify(codes)}`);
    expect(counts.sequences).toBe(4);
    expect(counts.refusedOccupied).toBeGreaterThan(0);
    expect(counts.forcedReplace).toBeGreaterThan(0);
    expect(counts.forceOnUserFiles).toBeGreaterThanOrEqual(4);
    expect(counts.resumed).toBeGreaterThan(0);
    expect(counts.resumeRefused).toBeGreaterThan(0);
    expect(counts.kills).toBeGreaterThan(0);
    expect(counts.runsChecked).toBeGreaterThan(0);
    expect(counts.userFiles).toBeGreaterThan(0);
  }, 240_000);
});
