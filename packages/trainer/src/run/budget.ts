import { totalmem } from 'node:os';
import { HopError } from '@hop/core';
import { COLUMN_NAMES, COLUMN_SPECS, NUM_ACTIONS, collect, makeGeometry, resolveConfig, type PresetName } from '@hop/env-staghunt';
import type { PairRegistry } from '@hop/moa';
import { formatBytes } from './fs-errors';

/**
 * Upper bounds on what a config asks for, worked out from the shapes before any directory is made: counts
 * that would overflow the int32 columns and indices, or typed arrays larger than memory, are refused by name
 * (E_BUDGET) instead of growing until the machine swaps or a RangeError escapes.
 */
const INT32_MAX = 2 ** 31 - 1;

/** A typed array of `elements` 4-byte values must fit the engine's limit and a quarter of the machine's memory. */
function arrayBound(what: string, elements: number, fix: string): void {
  const bytes = 4 * elements;
  if (elements > INT32_MAX || bytes > totalmem() / 4)
    throw new HopError(
      'E_BUDGET',
      `${what} needs ${elements.toExponential(2)} values (${formatBytes(bytes)}) in one array, more than this machine can hold ` +
        `(${formatBytes(totalmem())} of memory); ${fix}`,
    );
}

function geometryOf(preset: string) {
  return makeGeometry(resolveConfig(preset as PresetName));
}

/**
 * Bytes of a collect at most (every player acts every step of every episode) and the row count; refuses
 * counts past the int32 columns (E_BUDGET).
 */
export function collectBudget(preset: string, episodes: number): { rows: number; bytes: number } {
  const g = geometryOf(preset);
  const rows = episodes * g.players * g.finalTime;
  if (episodes > INT32_MAX || rows > INT32_MAX)
    throw new HopError(
      'E_BUDGET',
      `--episodes ${episodes} of ${preset} is up to ${rows.toExponential(2)} rows; a dataset holds at most ${INT32_MAX} (int32 indices); ` +
        'collect fewer episodes (several datasets if you need more)',
    );
  return { rows, bytes: datasetBytes(preset, rows) };
}

/** Bytes of a dataset of `rows` rows: every column's row width x dtype, a 128-byte .npy header each, and meta.json. */
function datasetBytes(preset: string, rows: number): number {
  const g = geometryOf(preset);
  let rowBytes = 0;
  for (const spec of Object.values(COLUMN_SPECS)) rowBytes += spec.inner(g).reduce((a, b) => a * b, 1) * (spec.dtype === 'uint8' ? 1 : 4);
  return rows * rowBytes + 128 * COLUMN_NAMES.length + 16 * 1024;
}

/** Episodes a collect plays without writing to size itself (exactly, for collects this long or shorter). */
export const PILOT_EPISODES = 256;

/**
 * A tight estimate of a collect's bytes: its first PILOT_EPISODES episodes are played without writing (the
 * same options play the same episodes, so their rows are exact), and the rest are bounded by their mean plus
 * 4 standard errors (of the pilot's mean, and of the remaining episodes' own spread), never above the hard bound.
 */
export async function collectEstimate(c: { preset: string; population: string; stagWait?: string; episodes: number; explore: number; seed: number }): Promise<{ rows: number; bytes: number; how: string }> {
  const hard = collectBudget(c.preset, c.episodes);
  const m = Math.min(c.episodes, PILOT_EPISODES);
  const rows: number[] = [];
  await collect({
    preset: c.preset as PresetName,
    population: { name: c.population, stagWait: c.stagWait } as Parameters<typeof collect>[0]['population'],
    episodes: m,
    numEnvs: Math.min(32, c.episodes),
    explore: c.explore,
    seed: c.seed,
    out: '',
    dryRun: true,
    onEpisode: (n) => rows.push(n),
  });
  const played = rows.reduce((a, b) => a + b, 0);
  let total = played;
  const rest = c.episodes - m;
  if (rest > 0) {
    const mean = played / m;
    const sd = Math.sqrt(rows.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, m - 1));
    total = Math.min(hard.rows, Math.ceil(played + rest * mean + 4 * sd * Math.sqrt((rest * rest) / m + rest)));
  }
  const how = rest > 0 ? `${m} episodes played to size it, the rest bounded from their mean and spread` : 'played to size it';
  return { rows: total, bytes: datasetBytes(c.preset, total), how };
}

/**
 * The largest arrays of a `hop train` iteration: the rollout of all environments (PPO: `numEnvs x numSteps`
 * agent-steps; MCTS algorithms: `numEnvs x episodesPerEnv` whole episodes) and one forward pass over every
 * player of every environment, each of one flat observation per row.
 */
export function trainBudget(config: { env: string; numEnvs: number; numSteps?: number; episodesPerEnv?: number; treeNum?: number }): void {
  const g = geometryOf(config.env);
  const agents = config.numEnvs * g.players;
  const fix = 'lower --num-envs (and --num-steps / --episodes-per-env)';
  arrayBound(`--num-envs ${config.numEnvs}: one forward pass over every player`, agents * g.flatSize * (config.treeNum ?? 1), fix);
  const steps = config.numSteps ?? (config.episodesPerEnv ?? 1) * g.finalTime;
  arrayBound(`--num-envs ${config.numEnvs} x ${steps} steps: the rollout of an iteration`, agents * steps * g.flatSize, fix);
}

/**
 * Checkpoint directories on disk at once: the two that pruneCheckpoints keeps, and the newest one being written
 * (with its temporary sibling) before the prune removes the oldest.
 */
export const CHECKPOINTS_AT_ONCE = 3;

/**
 * Bytes of one checkpoint at most: every float32 weight the run holds (`tensorBytes`) saved with Adam's two
 * moments beside it (x 3), plus `extraBytes` (what the tensors alive at the start do not show: online buffers
 * at capacity, pairs that still share the generic model) and 64 KiB of JSON and headers.
 */
export function checkpointBytes(tensorBytes: number, extraBytes = 0): number {
  return 3 * tensorBytes + extraBytes + 64 * 1024;
}

/**
 * What a run writes beside its checkpoints at most: config, events, report.html and its plots (512 KiB; the
 * tiny runs measured write 120-430 KB), and 8 KiB of records per iteration or epoch. Replay pages are not counted.
 */
export function recordBytes(iterations: number): number {
  return 512 * 1024 + 8 * 1024 * iterations;
}

/**
 * Bytes the pairs of a co-player registry add to a checkpoint beyond the tensors alive now: a pair that still
 * shares the generic model's weights is saved as its own copy with its Adam moments (x 3) once trained.
 */
export function sharedPairsBytes(registry: PairRegistry): number {
  const shared = registry.pairs().filter(([i, j]) => registry.isShared(i, j)).length;
  return shared * 3 * 4 * registry.generic.net.countParams();
}

/**
 * Bytes of the online co-player buffers of a `hop train` checkpoint at most: each of the P focal players keeps
 * one buffer per co-player, filled to `moaCapacity` plus one episode (a buffer trains once an episode end finds
 * it full), each step a float32 observation, a uint8 action mask, float32 time and int32 action and label.
 * Zero when the run has no online co-player models.
 */
export function onlineBufferBytes(config: { env: string; moaCapacity?: unknown; onlineMoa?: unknown }): number {
  if (typeof config.moaCapacity !== 'number' || config.onlineMoa === false) return 0;
  const g = geometryOf(config.env);
  const step = 4 * g.flatSize + NUM_ACTIONS + 12;
  return g.players * (g.players - 1) * (config.moaCapacity + g.finalTime) * step;
}
