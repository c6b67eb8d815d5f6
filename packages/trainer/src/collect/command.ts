import { existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { HopError } from '@hop/core';
import { collect, ACTION_NAMES, openDataset } from '@hop/env-staghunt';
import { DirLock } from '../run/lock';
import type { CollectConfig } from '../config/schemas';
import { EXIT } from '../cli/exit';
import { createProgress } from '../run/progress';
import { table } from '../cli/text';
import { InterruptFlag } from '../run/interrupt';
import { collectBudget, collectEstimate } from '../run/budget';
import { assertFreeSpace, assertWritable, freeBytes } from '../run/fs-errors';
import { datasetFiles, isRegularFile, listNames, refuseForeignArtifacts, strangers } from '../run/artifacts';

export interface CollectSummary {
  dir: string;
  samples: number;
  episodes: number;
  seconds: number;
  actionCounts: number[];
  /** Stag hunts / all hunts. */
  preyRatio: number;
  stagsCaught: number;
  haresCaught: number;
  goals: { stag: number; hare: number; none: number };
}

/** Temporary siblings of `out`: `.<name>.collect-<pid>` (being written) and `.<name>.old-<pid>` (being replaced). */
const tempName = (out: string, what: 'collect' | 'old', pid: number) => join(dirname(out), `.${basename(out)}.${what}-${pid}`);

/**
 * What `out` holds, checked before anything is written: null when it is missing or empty, else the files of
 * the dataset there (all that --force may replace). Anything else in it (other files, sub-folders, a run)
 * is refused by name (E_OUT_OCCUPIED), --force or not: a collect never deletes what it did not write.
 */
function occupant(out: string): { text: string; files: Set<string> } | null {
  if (!existsSync(out)) return null;
  if (!statSync(out).isDirectory()) throw new HopError('E_NOT_A_DIRECTORY', `--out ${out} is a file, not a directory; choose a directory (new or empty) for the dataset`);
  const names = readdirSync(out);
  if (names.length === 0) return null;
  refuseForeignArtifacts(out, 'dataset');
  const files = names.includes('meta.json') ? datasetFiles(out) : null;
  if (!files)
    throw new HopError(
      'E_OUT_OCCUPIED',
      `${out} is not empty and holds no dataset (${listNames(names)})${names.includes('meta.json') ? ': its meta.json is not a dataset\'s' : ''}; ` +
        'hop collect writes only into a new or empty directory or over a dataset; choose another --out',
    );
  const others = strangers(out, files);
  if (others.length)
    throw new HopError(
      'E_OUT_OCCUPIED',
      `${out} holds a dataset and also ${listNames(others)}, which no collect wrote; --force replaces only the files its meta.json ` +
        'names, so move those elsewhere or choose another --out (nothing was changed)',
    );
  let facts = '';
  try {
    const m = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { seed?: number; createdAt?: string; counts?: { samples?: number } };
    facts = ` (${m.counts?.samples} samples, seed ${m.seed}, collected ${m.createdAt})`;
  } catch {
    facts = ' (its meta.json is unreadable)';
  }
  return { text: `${out} already holds a dataset${facts}`, files };
}

/**
 * Leftovers of collects that were killed: their temporary directories are removed, and a dataset that was
 * being replaced when the kill came (`out` gone, its `.old-` sibling there) is put back.
 */
function recoverKilledCollects(out: string, log: (line: string) => void): void {
  const dir = dirname(out);
  if (!existsSync(dir)) return;
  const prefix = `.${basename(out)}.`;
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(collect|old)-(\\d+)$`).exec(name);
    if (!m || Number(m[2]) === process.pid) continue;
    const p = join(dir, name);
    if (m[1] === 'old' && !existsSync(out)) {
      renameSync(p, out);
      log(`restored the dataset ${out} that a killed collect was replacing`);
    } else if (m[1] === 'old') discardOldDataset(p, out, datasetFiles(p) ?? new Set(), log);
    else rmSync(p, { recursive: true, force: true });
  }
}

/**
 * Empties `old`, the dataset folder a --force swap moved aside, of the regular files in `owned` (what the
 * collect that wrote it owns) and removes it. Anything else found there (written into --out while the new
 * dataset was being collected, after the occupant check) is moved back into `out`, never deleted; what cannot
 * be moved back (its name is taken) stays in `old`, which is then kept and named.
 */
function discardOldDataset(old: string, out: string, owned: ReadonlySet<string>, log: (line: string) => void): void {
  // An --out that was a link to a folder: the link goes, the folder it pointed to (and the old dataset) stays.
  if (lstatSync(old).isSymbolicLink()) return rmSync(old);
  const back: string[] = [];
  for (const name of readdirSync(old)) {
    const p = join(old, name);
    if (owned.has(name) && isRegularFile(p)) rmSync(p, { force: true });
    else if (!exists(join(out, name))) {
      renameSync(p, join(out, name));
      back.push(name);
    }
  }
  if (back.length) log(`warning: ${listNames(back)} appeared in ${out} while the dataset was collected; moved back beside the new dataset`);
  if (readdirSync(old).length) log(`warning: kept ${old}: it holds ${listNames(readdirSync(old))}, which no collect wrote and whose names the new dataset uses`);
  else rmdirSync(old);
}

/** Whether anything (a broken link included) is at `path`. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Plays the population into a dataset with a progress display; returns the summary it prints. The dataset
 * directory is locked for the duration (E_DATASET_LOCKED names the other collect's pid); an existing dataset
 * is refused (E_DATASET_EXISTS) unless `force`; the new one is written into a temporary sibling and renamed
 * into place when complete, so a killed collect leaves the old dataset (or nothing), never half of one.
 */
export async function collectDataset(config: CollectConfig, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<CollectSummary> {
  const out = resolve(config.out);
  // Sizes first, before any directory is made: counts past the int32 columns, then bytes against free space.
  const { bytes } = collectBudget(config.preset, config.episodes);
  assertWritable(out, 'dir');
  // The bound from the shapes (every player acts every step) is loose (~2.4x on small-2p); when it does not fit,
  // the collect is sized by playing its first episodes without writing.
  if (bytes > freeBytes(out)) {
    const est = await collectEstimate(config);
    assertFreeSpace(out, est.bytes, `hop collect --episodes ${config.episodes} (${config.preset}, ${est.rows} rows: ${est.how})`);
  }
  mkdirSync(dirname(out), { recursive: true });
  const lock = DirLock.acquire(out, { lockPath: `${out}.lock`, what: `dataset directory ${out}`, command: `hop collect --out ${config.out}`, code: 'E_DATASET_LOCKED' });
  try {
    recoverKilledCollects(out, log);
    const there = occupant(out);
    if (there && !config.force) throw new HopError('E_DATASET_EXISTS', `${there.text}; pass --force to replace it, or choose another --out`);
    return await collectInto(out, config, log, there?.files ?? null);
  } finally {
    lock.release();
  }
}

/** Thrown out of the collect loop by Ctrl-C / SIGTERM; collectInto's cleanup then removes the staging folder. */
export class CollectInterrupted extends Error {}

async function collectInto(out: string, config: CollectConfig, log: (line: string) => void, replaced: Set<string> | null): Promise<CollectSummary> {
  const exploring = config.explore > 0 ? ` and ${(100 * config.explore).toFixed(0)}% exploratory actions` : '';
  log(`collecting ${config.episodes} episodes of ${config.preset} with the ${config.population} population${exploring} (seed ${config.seed}) into ${config.out}`);
  const progress = createProgress({ label: 'collect', total: config.episodes, unit: 'episodes', mode: config.progress });
  const t0 = performance.now();
  const tmp = tempName(out, 'collect', process.pid);
  rmSync(tmp, { recursive: true, force: true });
  let meta;
  const interrupt = new InterruptFlag().listen();
  try {
    ({ meta } = await collect({
      preset: config.preset,
      population: { name: config.population, stagWait: config.stagWait },
      episodes: config.episodes,
      explore: config.explore,
      seed: config.seed,
      out: tmp,
      onProgress: (p) => {
        if (interrupt.stopRequested) throw new CollectInterrupted();
        progress.update(p.episodes, `${p.samples} samples`);
      },
    }));
    // Swap in: the old dataset moves aside, the new one takes its name, the old one goes.
    if (existsSync(out)) {
      const old = tempName(out, 'old', process.pid);
      renameSync(out, old);
      renameSync(tmp, out);
      discardOldDataset(old, out, replaced ?? new Set(), log);
      if (replaced) log(`replaced the dataset in ${out} (--force): its ${replaced.size} files (${listNames([...replaced])}), nothing else`);
    } else renameSync(tmp, out);
  } catch (e) {
    if (e instanceof CollectInterrupted) progress.stop('interrupted');
    throw e;
  } finally {
    interrupt.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  progress.stop(`${meta.counts.samples} samples`);

  // The action distribution is read back from the file written, so it describes exactly what is on disk.
  const ds = openDataset(config.out);
  const actionCounts = new Array<number>(ACTION_NAMES.length).fill(0);
  try {
    const all = new Int32Array(ds.size);
    for (let i = 0; i < ds.size; i++) all[i] = i;
    for (const a of ds.batch(all, ['action']).action) actionCounts[a]++;
  } finally {
    ds.close();
  }
  const c = meta.counts;
  const hunts = c.stagsCaught + c.haresCaught;
  const summary: CollectSummary = {
    dir: config.out,
    samples: c.samples,
    episodes: c.episodes,
    seconds,
    actionCounts,
    preyRatio: hunts > 0 ? c.stagsCaught / hunts : 0,
    stagsCaught: c.stagsCaught,
    haresCaught: c.haresCaught,
    goals: c.goals,
  };
  log(
    `${c.samples} samples from ${c.episodes} episodes in ${seconds.toFixed(1)}s ` +
      `(${Math.round(c.samples / Math.max(seconds, 1e-9))} samples/s); stags caught ${c.stagsCaught}, hares caught ${c.haresCaught}, ` +
      `prey ratio (stag hunts / all hunts) ${summary.preyRatio.toFixed(3)}`,
  );
  log(`hindsight goals: stag ${c.goals.stag}, hare ${c.goals.hare}, none ${c.goals.none}`);
  log('action distribution:');
  log(
    table(
      ['action', 'count', 'ratio'],
      ACTION_NAMES.map((n, i) => [n, String(actionCounts[i]), (actionCounts[i] / Math.max(c.samples, 1)).toFixed(3)]),
    ),
  );
  return summary;
}

export async function runCollect(config: CollectConfig): Promise<number> {
  try {
    await collectDataset(config);
  } catch (e) {
    if (!(e instanceof CollectInterrupted)) throw e;
    process.stderr.write(`interrupted: removed the partial dataset and the lock; ${config.out} is as it was before\n`);
    return EXIT.interrupted;
  }
  return EXIT.ok;
}
