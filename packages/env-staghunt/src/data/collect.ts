import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HopError, NpyWriter, Rng, deriveSeed } from '@hop/core/base';
import { NUM_ACTIONS, resolveConfig, type PresetName, type StagHuntConfigInput } from '../config';
import { BatchedPopulation } from '../agents/batched';
import { AGENT_KINDS } from '../agents/decide';
import { resolvePopulation, type PopulationInput } from '../agents/population';
import { VecStagHunt } from '../env/vec';
import {
  COLUMN_NAMES,
  COLUMN_SPECS,
  DATASET_FORMAT,
  DATASET_VERSION,
  allocColumn,
  type ColumnArrays,
  type ColumnName,
  type DatasetMeta,
} from './columns';

export interface CollectProgress {
  episodes: number;
  samples: number;
  totalEpisodes: number;
}

export interface CollectOptions {
  /** A preset name, or give `config`. */
  preset?: PresetName;
  config?: StagHuntConfigInput;
  population: PopulationInput;
  episodes: number;
  seed: number;
  /** Output directory (created); one `.npy` per column plus `meta.json`. */
  out: string;
  /** Environments played side by side (default 32); part of what the seed reproduces. */
  numEnvs?: number;
  /**
   * Share of exploratory actions (default 0): per player and step, with this probability the population's
   * action is replaced by one drawn uniformly from all actions, invalid ones included (they act as stay).
   * World-model data needs it: a planner tries every action, a rule population only a few (no `stay` at
   * all in a mixed population). The draws come from their own stream of `seed`; `meta.exploration` and
   * the `explored` column record them.
   */
  explore?: number;
  /** Rows buffered before they are appended to the files (default 4096). */
  chunkRows?: number;
  onProgress?: (p: CollectProgress) => void;
  /** Called with the row count of each episode kept, in dataset order. */
  onEpisode?: (rows: number) => void;
  /**
   * Play and count only: no directory, no file (`out` is ignored). The same options play the same episodes, so
   * a dry run of the first episodes sizes a collect exactly (the CLI's free-space check).
   */
  dryRun?: boolean;
}

export interface CollectResult {
  dir: string;
  meta: DatasetMeta;
}

/**
 * Replaces each action with probability `share` by a uniform draw over all actions (done players' entries
 * too: the environment ignores them). Returns 1 per replaced entry.
 */
function exploreActions(actions: Int32Array, share: number, rng: Rng, out: Uint8Array): Uint8Array {
  out.fill(0);
  for (let i = 0; i < actions.length; i++) {
    if (rng.next() < share) {
      actions[i] = rng.int(NUM_ACTIONS);
      out[i] = 1;
    }
  }
  return out;
}

type Columns = { [K in ColumnName]: ColumnArrays[K] };

function allocColumns(rows: number, widths: Record<ColumnName, number>): Columns {
  const c = {} as Record<ColumnName, ColumnArrays[ColumnName]>;
  for (const name of COLUMN_NAMES) c[name] = allocColumn(name, rows * widths[name]);
  return c as Columns;
}

/**
 * Plays `episodes` episodes of a rule-based population and streams every step of every in-play agent to
 * `.npy` columns (docs/data.md). Rows of an episode are kept until it ends (the hindsight goal is known
 * only then), then move to a chunk buffer that is appended to the files when full: memory stays at
 * `numEnvs * finalTime * players + chunkRows` rows whatever the dataset size. Same options, same files.
 */
export async function collect(opts: CollectOptions): Promise<CollectResult> {
  if (opts.preset === undefined && opts.config === undefined) {
    throw new HopError('E_CONFIG', 'collect: give a preset name or a config');
  }
  const config = resolveConfig(opts.preset ?? opts.config ?? {}, opts.preset && opts.config ? opts.config : {});
  if (!Number.isInteger(opts.episodes) || opts.episodes < 1) {
    throw new HopError('E_CONFIG', `collect: episodes must be a positive integer, got ${opts.episodes}`);
  }
  if (!Number.isSafeInteger(opts.seed)) {
    throw new HopError('E_CONFIG', `collect: seed must be a safe integer, got ${opts.seed}`);
  }
  const population = resolvePopulation(opts.population);
  const explore = opts.explore ?? 0;
  if (!(explore >= 0 && explore <= 1)) {
    throw new HopError('E_CONFIG', `collect: explore must be a share in [0, 1], got ${opts.explore}`);
  }
  // Its own stream: the population's decisions (and so a dataset collected with explore 0) are unchanged.
  const exploreRng = new Rng(deriveSeed(opts.seed, 'collect-explore'));
  const numEnvs = Math.min(opts.numEnvs ?? 32, opts.episodes);
  const vec = new VecStagHunt(config, { numEnvs, seed: opts.seed, observations: 'flat' });
  const policy = new BatchedPopulation(vec, opts.population, opts.seed);
  const g = vec.geometry;
  const P = g.players;
  const F = g.flatSize;
  const widths = Object.fromEntries(
    COLUMN_NAMES.map((c) => [c, COLUMN_SPECS[c].inner(g).reduce((a, b) => a * b, 1)]),
  ) as Record<ColumnName, number>;
  const perEpisode = g.finalTime * P;
  const chunkRows = Math.max(opts.chunkRows ?? 4096, perEpisode);

  // per-env episode buffers (rows of env k at [k * perEpisode ...])
  const ep = allocColumns(numEnvs * perEpisode, widths);
  const epRows = new Int32Array(numEnvs);
  const stepStart = new Int32Array(numEnvs);
  const caught = new Int8Array(numEnvs * P).fill(-1);
  const chunk = allocColumns(chunkRows, widths);
  let chunkFill = 0;

  const dry = opts.dryRun === true;
  if (!dry) await mkdir(opts.out, { recursive: true });
  const writers = {} as Record<ColumnName, NpyWriter>;
  const counts = { samples: 0, episodes: 0, stagsCaught: 0, haresCaught: 0, goals: { stag: 0, hare: 0, none: 0 } };
  let exploredRows = 0;
  try {
    for (const name of dry ? [] : COLUMN_NAMES) {
      writers[name] = await NpyWriter.open(join(opts.out, `${name}.npy`), COLUMN_SPECS[name].dtype, COLUMN_SPECS[name].inner(g));
    }
    const flush = async () => {
      if (chunkFill === 0) return;
      for (const name of dry ? [] : COLUMN_NAMES) await writers[name].append(chunk[name].subarray(0, chunkFill * widths[name]));
      chunkFill = 0;
    };
    const finishEpisode = async (k: number) => {
      const n = epRows[k];
      if (chunkFill + n > chunkRows) await flush();
      const id = counts.episodes++;
      const base = k * perEpisode;
      for (let r = base; r < base + n; r++) {
        const goal = caught[k * P + ep.agent[r]];
        ep.goal[r] = goal;
        ep.episode[r] = id;
        exploredRows += ep.explored[r];
        if (goal === 0) counts.goals.stag++;
        else if (goal === 1) counts.goals.hare++;
        else counts.goals.none++;
      }
      for (const name of COLUMN_NAMES) {
        const w = widths[name];
        chunk[name].set(ep[name].subarray(base * w, (base + n) * w), chunkFill * w);
      }
      chunkFill += n;
      counts.samples += n;
      opts.onEpisode?.(n);
      const stats = vec.lastEpisode(k);
      if (stats) {
        counts.stagsCaught += stats.stagsCaught;
        counts.haresCaught += stats.haresCaught;
      }
      epRows[k] = 0;
      caught.fill(-1, k * P, k * P + P);
    };

    const actions = new Int32Array(numEnvs * P);
    const exploredNow = new Uint8Array(numEnvs * P);
    let reported = -1;
    const st = vec.states;
    while (counts.episodes < opts.episodes) {
      policy.act(vec, actions);
      const explored = explore > 0 ? exploreActions(actions, explore, exploreRng, exploredNow) : null;
      // rows of this step: everything known before it
      for (let k = 0; k < numEnvs; k++) {
        const b = k * g.stateWords;
        stepStart[k] = epRows[k];
        for (let p = 0; p < P; p++) {
          if (st[b + g.POS + p] < 0) continue;
          const r = k * perEpisode + epRows[k]++;
          ep.obs.set(vec.observations.subarray((k * P + p) * F, (k * P + p + 1) * F), r * F);
          ep.action[r] = actions[k * P + p];
          ep.explored[r] = explored ? explored[k * P + p] : 0;
          ep.time[r] = vec.times[k];
          ep.env_id[r] = k;
          ep.agent[r] = p;
          for (let j = 0; j < P; j++) {
            const q = (p + j) % P;
            ep.joint_action[r * P + j] = st[b + g.POS + q] >= 0 ? actions[k * P + q] : -1;
          }
        }
      }
      vec.step(actions);
      for (let k = 0; k < numEnvs; k++) {
        const ended = vec.ended[k] === 1;
        const src = ended ? vec.finalObservations : vec.observations;
        for (let i = stepStart[k]; i < epRows[k]; i++) {
          const r = k * perEpisode + i;
          const o = k * P + ep.agent[r];
          ep.reward[r] = vec.rewards[o];
          ep.done[r] = vec.terminations[o] | vec.truncations[o];
          ep.next_obs.set(src.subarray(o * F, (o + 1) * F), r * F);
          if (vec.hunted[o] >= 0) caught[o] = vec.hunted[o];
        }
        if (ended) {
          if (counts.episodes < opts.episodes) await finishEpisode(k);
          else epRows[k] = 0;
          if (counts.episodes !== reported && (counts.episodes % 16 === 0 || counts.episodes === opts.episodes)) {
            reported = counts.episodes;
            opts.onProgress?.({ episodes: counts.episodes, samples: counts.samples, totalEpisodes: opts.episodes });
          }
        }
      }
    }
    await flush();
    for (const name of dry ? [] : COLUMN_NAMES) await writers[name].close();
  } catch (e) {
    await Promise.all(Object.values(writers).map((w) => w.abort()));
    throw e;
  }

  const meta: DatasetMeta = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    createdAt: new Date().toISOString(),
    preset: opts.preset ?? null,
    config,
    population: {
      name: population.name,
      weights: Object.fromEntries(AGENT_KINDS.map((k, i) => [k, population.weights[i]])),
      switching: population.switching,
      stagWait: population.stagWait,
    },
    seed: opts.seed,
    numEnvs,
    counts,
    exploration: { share: explore, actions: 'uniform-all', exploredRows },
    observation: {
      gridShape: [g.height, g.width, g.channels],
      flatSize: F,
      layout: `[mask(${NUM_ACTIONS}) as 0/1, grid H*W*C channels-last: players rotated observer-first, obstacle, stag, hare]`,
    },
    columns: Object.fromEntries(
      COLUMN_NAMES.map((c) => [
        c,
        { file: `${c}.npy`, dtype: COLUMN_SPECS[c].dtype, shape: [counts.samples, ...COLUMN_SPECS[c].inner(g)] },
      ]),
    ),
  };
  if (dry) return { dir: opts.out, meta };
  const metaPath = join(opts.out, 'meta.json');
  await writeFile(`${metaPath}.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
  await rename(`${metaPath}.tmp`, metaPath);
  return { dir: opts.out, meta };
}
