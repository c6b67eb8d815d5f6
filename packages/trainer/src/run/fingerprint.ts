import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { HopError } from '@hop/core';

/** Bytes hashed at each end of a large file (files up to twice this size are hashed whole). */
export const FINGERPRINT_EDGE_BYTES = 1 << 20;

export interface FileFingerprint {
  size: number;
  /** sha256 of the size, the first and the last MiB (the whole file when it is at most 2 MiB). */
  sha256: string;
}

/**
 * What a run recorded about one of its inputs, compared on `--resume`: the dataset's meta (seed, counts,
 * when it was collected), every file's size and a hash of its ends. Cheap (a few MiB read per input
 * whatever its size) and catches a re-collect, a replaced or truncated column, an edited checkpoint.
 */
export interface InputFingerprint {
  path: string;
  kind: 'dataset' | 'directory' | 'file' | 'missing';
  /** Dataset meta facts (datasets only). */
  meta?: { seed: unknown; preset: unknown; samples: unknown; episodes: unknown; createdAt: unknown };
  /** Relative path -> fingerprint. */
  files: Record<string, FileFingerprint>;
}

/** Files of a run directory that change without the models changing (reports, logs, locks, temporaries). */
const VOLATILE = /(^|\/)(report\.html|metrics\.jsonl|environment\.json|config\.json|\.lock(\.json)?|plots|eval|replays)(\/|$)|(^|\/)events\.out\.tfevents\.|\.tmp-|\.old-|(^|\/)damaged-/;

export function fileFingerprint(path: string): FileFingerprint {
  const size = statSync(path).size;
  const hash = createHash('sha256').update(String(size));
  const fd = openSync(path, 'r');
  try {
    const edge = FINGERPRINT_EDGE_BYTES;
    const read = (pos: number, len: number) => {
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      hash.update(buf.subarray(0, got));
    };
    if (size <= 2 * edge) read(0, size);
    else {
      read(0, edge);
      read(size - edge, edge);
    }
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

function walk(dir: string, root: string, out: Record<string, FileFingerprint>): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = relative(root, p).split('\\').join('/');
    if (VOLATILE.test(rel)) continue;
    const st = statSync(p);
    if (st.isDirectory()) walk(p, root, out);
    else if (st.isFile()) out[rel] = fileFingerprint(p);
  }
}

/** The fingerprint of a dataset directory, a run / checkpoint directory or a file. */
export function inputFingerprint(path: string): InputFingerprint {
  const abs = resolve(path);
  if (!existsSync(abs)) return { path: abs, kind: 'missing', files: {} };
  const files: Record<string, FileFingerprint> = {};
  if (!statSync(abs).isDirectory()) {
    files['.'] = fileFingerprint(abs);
    return { path: abs, kind: 'file', files };
  }
  walk(abs, abs, files);
  const metaPath = join(abs, 'meta.json');
  if (existsSync(metaPath) && readdirSync(abs).some((f) => f.endsWith('.npy'))) {
    try {
      const m = JSON.parse(readFileSync(metaPath, 'utf8')) as { seed?: unknown; preset?: unknown; createdAt?: unknown; counts?: { samples?: unknown; episodes?: unknown } };
      return {
        path: abs,
        kind: 'dataset',
        meta: { seed: m.seed, preset: m.preset, samples: m.counts?.samples, episodes: m.counts?.episodes, createdAt: m.createdAt },
        files,
      };
    } catch {
      // An unreadable meta.json is still fingerprinted (by its bytes) as a file of the directory.
    }
  }
  return { path: abs, kind: 'directory', files };
}

/** The differences between what a run recorded and what is there now, in words ([] when equal). */
export function fingerprintChanges(recorded: InputFingerprint, now: InputFingerprint): string[] {
  const changes: string[] = [];
  if (recorded.kind !== now.kind) changes.push(now.kind === 'missing' ? `${recorded.path} is gone` : `it was a ${recorded.kind}, now a ${now.kind}`);
  if (recorded.meta && now.meta)
    for (const k of Object.keys(recorded.meta) as (keyof NonNullable<InputFingerprint['meta']>)[])
      if (JSON.stringify(recorded.meta[k]) !== JSON.stringify(now.meta[k]))
        changes.push(`${k === 'samples' || k === 'episodes' ? k : `meta.json ${k}`} ${JSON.stringify(recorded.meta[k])} -> ${JSON.stringify(now.meta[k])}`);
  if (now.kind === 'missing') return changes;
  const names = [...new Set([...Object.keys(recorded.files), ...Object.keys(now.files)])].sort();
  for (const f of names) {
    const a = recorded.files[f];
    const b = now.files[f];
    if (!b) changes.push(`${f} was removed`);
    else if (!a) changes.push(`${f} was added`);
    else if (a.size !== b.size) changes.push(`${f} is ${b.size} bytes, was ${a.size}`);
    else if (a.sha256 !== b.sha256) changes.push(`${f} has other contents (same size)`);
  }
  return changes;
}

/**
 * Refuses to resume a run whose inputs changed since it started: `recorded` is what config.json's
 * `inputs.fingerprints` holds (role -> fingerprint, e.g. `{ data: ... }`), `paths` the inputs now (role ->
 * path). E_INPUT_CHANGED names the input, its flag and what changed. Runs older than fingerprints pass.
 */
export function checkInputs(runRoot: string, recorded: unknown, paths: Record<string, string | undefined>, flags: Record<string, string> = {}): void {
  if (!recorded || typeof recorded !== 'object') return;
  const rec = recorded as Record<string, InputFingerprint>;
  const problems: string[] = [];
  for (const [role, path] of Object.entries(paths)) {
    const was = rec[role];
    if (!was || !path) continue;
    const changes = fingerprintChanges(was, inputFingerprint(path));
    if (changes.length) {
      const shown = changes.slice(0, 6).join('; ') + (changes.length > 6 ? `; and ${changes.length - 6} more` : '');
      problems.push(`${flags[role] ?? role} ${was.path}: ${shown}`);
    }
  }
  if (problems.length)
    throw new HopError(
      'E_INPUT_CHANGED',
      `cannot resume ${runRoot}: its inputs changed since the run started (${problems.join(' | ')}). ` +
        `A resumed run must see the data it started with: restore the input, or start a new run with another --out`,
    );
}

/** Fingerprints of the inputs that are set (role -> fingerprint), for config.json's `inputs.fingerprints`. */
export function fingerprintInputs(paths: Record<string, string | undefined>): Record<string, InputFingerprint> {
  const out: Record<string, InputFingerprint> = {};
  for (const [role, path] of Object.entries(paths)) if (path) out[role] = inputFingerprint(path);
  return out;
}
