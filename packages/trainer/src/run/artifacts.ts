import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HopError } from '@hop/core';
import { COLUMN_NAMES } from '@hop/env-staghunt';
import { assertWritable } from './fs-errors';

/** What a command leaves in its --out: the dataset of `hop collect`, a run, the tables of `hop eval`. */
export type ArtifactKind = 'dataset' | 'run' | 'evaluation';

const MARKERS: Record<ArtifactKind, { file: string; command: string }> = {
  dataset: { file: 'meta.json', command: 'hop collect' },
  run: { file: 'config.json', command: 'hop pretrain / train / world-model' },
  evaluation: { file: 'evaluation.json', command: 'hop eval' },
};

function readJson(path: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The kinds of artifacts `dir` holds (by their marker files; a marker that does not parse still counts). */
export function artifactsIn(dir: string): ArtifactKind[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return (Object.keys(MARKERS) as ArtifactKind[]).filter((k) => existsSync(join(dir, MARKERS[k].file)));
}

/**
 * Refuses an --out that holds what another command wrote (E_OUT_OCCUPIED, naming it and the command), so
 * that no command writes over, or later deletes, another's artifacts.
 */
export function refuseForeignArtifacts(dir: string, mine: ArtifactKind, flag = '--out'): void {
  const foreign = artifactsIn(dir).filter((k) => k !== mine);
  if (!foreign.length) return;
  const list = foreign.map((k) => `a ${k} (${MARKERS[k].file}, written by ${MARKERS[k].command})`).join(' and ');
  throw new HopError('E_OUT_OCCUPIED', `${flag} ${dir} holds ${list}; choose another ${flag} (nothing was written)`);
}

/** Whether `path` is a regular file (not a folder, not a link): the only kind of entry a collect writes. */
export function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The entries of a dataset directory that a collect wrote: `meta.json` and, for each known column its
 * meta.json lists, `<column>.npy` when it is a regular file; all that `hop collect --force` may replace.
 * A meta.json is not trusted to name anything else (another file, a folder): an edited or foreign one that
 * lists `notes.txt` as a column's file does not make notes.txt the dataset's. Null when meta.json is
 * unreadable or not a dataset's.
 */
export function datasetFiles(dir: string): Set<string> | null {
  if (!isRegularFile(join(dir, 'meta.json'))) return null;
  const meta = readJson(join(dir, 'meta.json'));
  if (!meta || meta.format !== 'hop-staghunt-dataset' || !meta.columns || typeof meta.columns !== 'object') return null;
  const files = new Set(['meta.json']);
  const known = new Set<string>(COLUMN_NAMES);
  for (const [name, c] of Object.entries(meta.columns as Record<string, { file?: unknown } | null>)) {
    const file = `${name}.npy`;
    if (known.has(name) && (c?.file === undefined || c.file === file) && isRegularFile(join(dir, file))) files.add(file);
  }
  return files;
}

/** Entries of `dir` outside `owned`, for an error that lists them (at most 8 named). */
export function strangers(dir: string, owned: Set<string>): string[] {
  return readdirSync(dir).filter((n) => !owned.has(n));
}

export function listNames(names: string[], max = 8): string {
  return names.slice(0, max).join(', ') + (names.length > max ? `, ... (${names.length} in all)` : '');
}

/** An output directory, before any work: writable, and holding no other command's artifacts. */
export function checkOutputDir(dir: string, mine: ArtifactKind, flag = '--out'): void {
  assertWritable(dir, 'dir', flag);
  refuseForeignArtifacts(dir, mine, flag);
}
