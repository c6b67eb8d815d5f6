import { createHash } from 'node:crypto';
import { basename, join, relative, sep } from 'node:path';
import type { Protocol } from '../eval/protocol';
import { REFERENCE_POPULATIONS } from '../eval/protocol';
import type { EvalConfig } from '../eval/schema';
import { variantSkipped } from '../eval/command';
import type { DiagnosisVariant } from '../algos/types';
import type { Cell } from '../experiment/command';
import { inputRecipes } from '../experiment/inputs';
import type { Experiment } from '../experiment/schema';

export type JobKind = 'input' | 'cell' | 'eval' | 'tables';

/**
 * An evaluation shard: some seeds of one agent source under one protocol. `source` indexes the evaluation's
 * sources as `evaluationPlan` lists them (each cell's run in grid order, followed by its diagnosis variants
 * that apply to its algorithm, then the rule references); `variant` names the variant of a variant row, so
 * the worker can check that the index still points at it.
 */
export interface EvalShard {
  protocol: Protocol;
  source: number;
  seeds: number[];
  variant?: DiagnosisVariant;
}

/** One job of an experiment: what it makes, from what recipe, after which other jobs (by name). */
export interface PlannedJob {
  name: string;
  kind: JobKind;
  recipe: unknown;
  deps: string[];
  /** The cell's index in the grid (cells). */
  cell?: number;
  shard?: EvalShard;
}

const REF = /^input:(.+)$/;

/**
 * The experiment as queue jobs: its inputs (in file order), its cells, and, unless the evaluation is skipped,
 * its evaluation shards (protocols x sources x seed slices of `seedsPerShard`) and the tables job. A job's
 * recipe is what it makes its output from: paths inside the experiment are written relative to it, so a
 * moved experiment keeps its recipes.
 */
export function planExperiment(exp: Experiment, root: string, cells: Cell[], evalConfig: EvalConfig | null, seedsPerShard = 1): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  const recipes = inputRecipes(exp);
  for (const name of Object.keys(exp.inputs)) jobs.push({ name: `input.${name}`, kind: 'input', recipe: recipes[name], deps: uses(recipes[name].settings).map((u) => `input.${u}`) });
  const cellJob = (c: Cell) => `cell.${basename(c.dir)}`;
  cells.forEach((c, n) => {
    const own = { ...exp.base, ...exp.algos[c.algo], ...(exp.overrides.find((o) => o.name === c.override)?.values ?? {}) };
    jobs.push({ name: cellJob(c), kind: 'cell', cell: n, recipe: sorted(relativePaths(c.settings, root)), deps: uses(own).map((u) => `input.${u}`) });
  });
  if (!evalConfig) return jobs;
  const { out: _out, ...settings } = evalConfig;
  // The evaluation's sources in evaluationPlan's order: a cell's variant rows follow its own.
  const sources: { name: string; variant?: DiagnosisVariant }[] = [
    ...cells.flatMap((c) => [
      { name: basename(c.dir) },
      ...evalConfig.variants.filter((v) => !variantSkipped(c.algo, v)).map((variant) => ({ name: `${basename(c.dir)}.${variant}`, variant })),
    ]),
    ...(evalConfig.reference ? REFERENCE_POPULATIONS.map((p) => ({ name: `rule-${p}` })) : []),
  ];
  const protocols: Protocol[] = evalConfig.protocol === 'both' ? ['self-play', 'adapt'] : [evalConfig.protocol];
  const shards: string[] = [];
  for (const protocol of protocols)
    sources.forEach(({ name: s, variant }, source) => {
      for (let lo = 0; lo < evalConfig.seeds; lo += seedsPerShard) {
        const seeds = Array.from({ length: Math.min(seedsPerShard, evalConfig.seeds - lo) }, (_, i) => lo + i);
        const name = `eval.${protocol}.${s}.seeds-${seeds[0]}-${seeds[seeds.length - 1]}`;
        shards.push(name);
        // Every cell, not only its own: the evaluation's sources are built from all runs (their algorithms give
        // the rows and the seed numbering, and a run is loaded from its newest checkpoint). The recipe holds
        // every evaluation setting (variants, simulations, prior alpha, co-players, focal counts, ...).
        jobs.push({ name, kind: 'eval', shard: { protocol, source, seeds, ...(variant ? { variant } : {}) }, recipe: sorted({ settings, protocol, source: s, seeds }), deps: cells.map(cellJob) });
      }
    });
  jobs.push({ name: 'tables', kind: 'tables', recipe: sorted({ settings, runs: cells.map((c) => basename(c.dir)) }), deps: shards });
  return jobs;
}

export const recipeHash = (recipe: unknown) => createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
/** BullMQ job id: the experiment, the job and its recipe (ids may not hold ':'). */
export const jobId = (experiment: string, job: PlannedJob) => `${experiment}.${job.name}.${recipeHash(job.recipe)}`;

const uses = (settings: Record<string, unknown>) =>
  Object.values(settings).flatMap((v) => {
    const m = typeof v === 'string' ? REF.exec(v) : null;
    return m ? [m[1]] : [];
  });

function relativePaths(settings: Record<string, unknown>, root: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === 'string' && v.startsWith(root + sep) ? `<experiment>/${relative(root, v)}` : v]));
}

function sorted<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]])) as T;
}

/** Where an evaluation shard writes its cells. */
export const shardFile = (root: string, name: string) => join(root, 'evaluation', 'shards', `${name}.json`);
