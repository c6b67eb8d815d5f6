import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { HopError } from '@hop/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { renameKeys } from './renames';

/** Where a config value came from, so an error can say which flag, file line or preset to fix. */
export type ValueSource = 'default' | 'preset' | 'file' | 'flag';

/**
 * The layers of a command's config, lowest first: the schema's defaults < a named preset < the config file <
 * the flags. Merged and validated in `resolveConfig`, the one place that does it.
 */
export interface ConfigInput {
  /** A named preset's values (e.g. `hop train --budget quick`), under the file and flags. */
  preset?: { name: string; values: Record<string, unknown> };
  /** Values read from a config file, with its path for messages. */
  file?: { path: string; values: Record<string, unknown> };
  /** Values given as flags (camelCase keys); they override the file. */
  flags?: Record<string, unknown>;
  /** Renamed keys (old -> new): accepted in any layer under their old name, reported through `warn`. */
  renamed?: Readonly<Record<string, string>>;
  /** Where deprecation notes go (default: stderr). */
  warn?: (line: string) => void;
}

/** Reads a JSON or YAML config file into a plain record (`.json` is JSON, anything else is YAML, a superset). */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HopError('E_CONFIG', `config file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`);
  }
  let value: unknown;
  try {
    value = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new HopError('E_CONFIG', `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new HopError('E_CONFIG', `config file ${path} must hold a mapping of keys to values, not ${Array.isArray(value) ? 'a list' : typeof value}`);
  return value as Record<string, unknown>;
}

/**
 * Merges defaults < file < flags and validates with the command's schema. An unknown key or a bad value
 * is an E_CONFIG error naming the key, the value, where it came from and what is accepted.
 */
export function resolveConfig<S extends z.ZodObject>(schema: S, command: string, input: ConfigInput): z.infer<S> {
  const merged: Record<string, unknown> = {};
  const source: Record<string, ValueSource> = {};
  const warn = input.warn ?? ((line: string) => process.stderr.write(line + '\n'));
  const layers: [ValueSource, Record<string, unknown> | undefined][] = [
    ['preset', input.preset?.values],
    ['file', input.file?.values],
    ['flag', input.flags],
  ];
  for (const [layer, raw] of layers) {
    if (!raw) continue;
    const { values, moved } = input.renamed ? renameKeys(raw, input.renamed) : { values: raw, moved: [] };
    for (const old of moved) {
      const now = input.renamed![old];
      const was = layer === 'flag' ? `--${kebab(old)}` : layer === 'file' ? `"${old}" in ${input.file?.path}` : `"${old}" in preset ${input.preset?.name}`;
      warn(`warning: ${was} is deprecated; use ${layer === 'flag' ? `--${kebab(now)}` : `"${now}"`} (same meaning)`);
    }
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      merged[k] = v;
      source[k] = layer;
    }
  }
  const r = schema.safeParse(merged);
  if (r.success) return r.data;

  const keys = Object.keys(schema.shape);
  const where = (k: string) =>
    source[k] === 'flag'
      ? `from --${kebab(k)}`
      : source[k] === 'file'
        ? `from ${input.file?.path}`
        : source[k] === 'preset'
          ? `from preset ${input.preset?.name}`
          : 'default';
  const lines = r.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => {
          const near = closest(k, keys);
          return `unknown key "${k}" ${where(k)}${near ? ` — did you mean "${near}"?` : ''} (valid keys: ${keys.join(', ')})`;
        })
        .join('\n');
    }
    const key = String(issue.path[0] ?? '');
    const path = issue.path.map(String).join('.');
    if (!(key in merged)) return `"${path}" is required: ${describeField(schema, key)}`;
    const shown = JSON.stringify(merged[key]);
    return `"${path}" = ${shown} (${where(key)}) is invalid: ${issue.message.replace(/^Invalid (input|option): /, '')}`;
  });
  throw new HopError('E_CONFIG', `${command} config: ${lines.join('\n')}`);
}

/**
 * What `--resume` resolves: a run's saved config (config.json's `config`, read from `run`) through its schema,
 * with the flags a resume may change on top.
 */
export function resolveSavedConfig<S extends z.ZodObject>(
  schema: S,
  command: string,
  saved: { config: unknown },
  run: { configPath: string },
  flags: Record<string, unknown>,
): z.infer<S> {
  return resolveConfig(schema, command, { file: { path: run.configPath, values: saved.config as Record<string, unknown> }, flags });
}

function describeField(schema: z.ZodObject, key: string): string {
  const field = schema.shape[key] as z.ZodType | undefined;
  return `${field?.description ?? key} (--${kebab(key)} or "${key}" in --config)`;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The valid key nearest to a typo (edit distance <= 3), for "did you mean". */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  const w = word.toLowerCase().replace(/[-_]/g, '');
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/**
 * What `--resume` may change: nothing but `epochs` and the `progress` display (a run's data order, models and
 * schedules come from its config.json). Returns the epochs flag, if given; any other flag or `--config` is an
 * E_CONFIG error.
 */
export function resumeEpochs(flags: Record<string, unknown>, configFile: string | undefined): unknown {
  const { epochs, progress: _progress, ...rest } = flags;
  const bad = [...(configFile ? ['--config'] : []), ...Object.keys(rest).map((k) => `--${kebab(k)}`)];
  if (bad.length)
    throw new HopError('E_CONFIG', `--resume continues a run with the config saved in it; only --epochs (and --progress) may change (got ${bad.join(', ')})`);
  return epochs;
}
