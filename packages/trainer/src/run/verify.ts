import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { NpyReader } from '@hop/core';

interface Manifest {
  bytes?: unknown;
  sha256?: unknown;
}

/**
 * Checks a checkpoint directory without loading it: `required` files exist, every JSON file parses, every
 * `weights.bin` has the size (and sha256, when recorded) its model.json / optimizer.json manifest says, every
 * `.npy` header matches its length. Returns what is wrong, or null when it verifies.
 */
export function verifyCheckpoint(dir: string, required: readonly string[]): string | null {
  if (!existsSync(dir)) return 'it does not exist';
  for (const f of required) if (!existsSync(join(dir, f))) return `${f} is missing`;
  try {
    return walk(dir, dir);
  } catch (e) {
    return (e as Error).message;
  }
}

function walk(dir: string, root: string): string | null {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const rel = relative(root, p);
    if (statSync(p).isDirectory()) {
      const bad = walk(p, root);
      if (bad) return bad;
      continue;
    }
    if (name.endsWith('.json')) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(p, 'utf8'));
      } catch (e) {
        return `${rel} is not valid JSON (${(e as Error).message})`;
      }
      if (json === null || typeof json !== 'object') return `${rel} is not a JSON object`;
      const manifest: Manifest | undefined =
        name === 'model.json' ? (json as { hop?: Manifest }).hop : name === 'optimizer.json' ? (json as Manifest) : undefined;
      if (manifest && typeof manifest.bytes === 'number') {
        const bin = join(dirname(p), 'weights.bin');
        const binRel = relative(root, bin);
        if (!existsSync(bin)) return `${binRel} is missing`;
        const data = readFileSync(bin);
        if (data.length !== manifest.bytes)
          return `${binRel} has ${data.length} bytes, its manifest says ${manifest.bytes} (${data.length < manifest.bytes ? 'truncated' : 'corrupt'})`;
        if (typeof manifest.sha256 === 'string' && createHash('sha256').update(data).digest('hex') !== manifest.sha256)
          return `${binRel} does not match the sha256 of its manifest`;
      }
    } else if (name.endsWith('.npy')) {
      try {
        const bad = nonFiniteIn(p);
        if (bad) return `${rel} holds ${bad}`;
      } catch (e) {
        return `${rel}: ${(e as Error).message}`;
      }
    }
  }
  return null;
}

/**
 * The first of `candidates` (newest first) that verifies. Each damaged one is renamed to
 * `<parent>/damaged-<name>-<time>` (kept for inspection, never chosen again) and reported through `log`.
 */
export function newestVerifiedCheckpoint(candidates: readonly string[], required: readonly string[], log: (line: string) => void): string | null {
  const damaged: string[] = [];
  for (const c of candidates) {
    const problem = verifyCheckpoint(c, required);
    if (problem === null) {
      if (damaged.length) log(`resuming from the newest checkpoint that verifies: ${basename(c)} (${damaged.length} damaged one${damaged.length > 1 ? 's' : ''} set aside)`);
      return c;
    }
    const aside = join(dirname(c), `damaged-${basename(c)}-${new Date().toISOString().replace(/[:.]/g, '')}`);
    renameSync(c, aside);
    damaged.push(`${basename(c)}: ${problem}`);
    log(`warning: checkpoint ${c} is damaged (${problem}); moved it to ${aside}`);
  }
  if (damaged.length) log(`no checkpoint verifies (${damaged.join('; ')}); restarting from the beginning`);
  return null;
}

/** Rows read at a time while scanning (bounded memory whatever the file's size). */
const SCAN_ROWS = 4096;

/**
 * Opens a `.npy` (its header must match its length) and scans a float array's values: a checkpoint never
 * saves NaN or infinities (buffers of observations and times, statistics), so one means damage. Returns a
 * description of the first such value, or null.
 */
function nonFiniteIn(path: string): string | null {
  const r = NpyReader.open(path);
  try {
    if (r.dtype !== 'float32' && r.dtype !== 'float64') return null;
    let offset = 0;
    for (let start = 0; start < r.rows; start += SCAN_ROWS) {
      const data = r.readRows(start, Math.min(SCAN_ROWS, r.rows - start)) as Float32Array | Float64Array;
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return `${data[i]} at element ${offset + i} (a checkpoint holds only finite values)`;
      offset += data.length;
    }
    return null;
  } finally {
    r.close();
  }
}
