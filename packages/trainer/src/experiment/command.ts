import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HopError } from '@hop/core';
import { EXIT, exitCodeOf } from '../cli/exit';
import { writeComparison } from '../compare/command';
import { readConfigFile, resolveConfig } from '../config/load';
import { prepareEnvironment } from '../run/environment';
import { defaultEvalWorkers, evaluateRuns, evaluationSettings, writeEvaluation } from '../eval/command';
import { EvalConfigSchema, checkEvalConfig, type EvalConfig } from '../eval/schema';
import { RunDir } from '../run/layout';
import { createParentProgress, type ProgressMode } from '../run/progress';
import { runTrainCommand, trainConfigOf } from '../train/command';
import { trainBudget } from '../run/budget';
import type { RunOptions } from '../run/lifecycle';
import { TRAIN_RENAMES, renameKeys } from '../config/renames';
import { prepareInputs, resolveRefs } from './inputs';
import { cellStatus } from './status';
import { ExperimentSchema, scaleBudget, scaleInputs, type Experiment, type ExperimentCli } from './schema';

export interface Cell {
  algo: string;
  seed: number;
  override: string;
  dir: string;
  /** The `hop train` settings of the cell (the algorithm's record validates them). */
  settings: Record<string, unknown>;
}

/** The grid's cells in the order they run: algorithms, then override sets, then seeds. */
export function experimentCells(exp: Experiment, root: string, scale: number): Cell[] {
  const cells: Cell[] = [];
  for (const [algo, own] of Object.entries(exp.algos))
    for (const o of exp.overrides)
      for (const seed of exp.seeds) {
        const settings = scaleBudget({ ...exp.base, ...own, ...o.values, algo, env: exp.env, seed }, exp.scaled, scale);
        const name = `${algo}${exp.overrides.length > 1 || o.name !== 'default' ? `-${o.name}` : ''}-s${seed}`;
        const where = `algos.${algo}${o.name !== 'default' ? ` (overrides ${o.name})` : ''}`;
        cells.push({ algo, seed, override: o.name, dir: join(root, name), settings: { ...resolveRefs(exp, root, settings, where), out: join(root, name) } });
      }
  return cells;
}

/**
 * Every cell validated against its algorithm's record (and the size bounds) before anything runs: a typo in
 * the last algorithm of the grid is reported at once, with every other bad cell, not after hours of training.
 */
export function validateGrid(cells: readonly Cell[], file: string): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const cell of cells) {
    const key = `${cell.algo} ${cell.override}`;
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      const { config } = trainConfigOf(cell.settings);
      trainBudget(config as Parameters<typeof trainBudget>[0]);
    } catch (e) {
      if (!(e instanceof HopError)) throw e;
      problems.push(`algos.${cell.algo}${cell.override !== 'default' ? ` (overrides ${cell.override})` : ''}: ${e.message}`);
    }
  }
  if (problems.length) throw new HopError('E_CONFIG', `${file}: ${problems.length} cell setting(s) do not validate (nothing was run):\n${problems.join('\n')}`);
}

/**
 * `hop experiment <file>`: trains every cell of the grid one after another (a finished cell is skipped, an
 * interrupted one resumed from its checkpoint), then evaluates all cells together and writes the comparison.
 */
export async function runExperimentCommand(file: string, cli: ExperimentCli, options: RunOptions = {}): Promise<number> {
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const { exp, root, cells } = await loadExperiment(file, cli);
  // the eval: block is resolved before training: a bad one is refused now, not after hours of it
  const config = cli.skipEval ? null : experimentEvalConfig(file, exp, root, cli);
  log(`experiment ${exp.name}: ${cells.length} cells (${Object.keys(exp.algos).join(', ')} x ${exp.overrides.length} override set(s) x seeds ${exp.seeds.join(', ')}), scale ${cli.scale}, in ${root}`);
  const mode = cli.progress ?? 'auto';
  const inputCount = Object.keys(exp.inputs).length;
  const inputsProgress = inputCount ? createParentProgress({ label: 'inputs', total: inputCount, unit: 'made', mode, everyFraction: 1 / inputCount }) : undefined;
  const made = await prepareInputs(exp, root, inputsProgress?.wrap(log) ?? log, inputsProgress).catch((e: unknown) => {
    inputsProgress?.stop('failed');
    throw e;
  });
  if (!made) {
    inputsProgress?.stop('interrupted');
    log('an input was interrupted; rerun the experiment to continue where it stopped');
    return EXIT.interrupted;
  }
  inputsProgress?.stop();
  const code = await trainCells(cells, mode, log, options);
  if (code !== EXIT.ok) return code;
  if (config === null) return EXIT.ok;
  const runs = cells.map((c) => c.dir);
  const evalDir = join(root, 'evaluation');
  const evalJson = join(evalDir, 'evaluation.json');
  if (existsSync(evalJson) && sameEvaluation(evalJson, runs, config)) log(`evaluation: ${evalJson} already covers these runs with these settings, skipped`);
  else {
    await prepareEnvironment(log);
    const result = await evaluateRuns(runs, { ...config, workers: config.workers ?? defaultEvalWorkers() }, log);
    await writeEvaluation(evalDir, result);
    log(`evaluation: ${join(evalDir, 'tables.csv')}`);
  }
  const page = await writeComparison(runs, { out: join(root, 'compare.html'), evaluation: evalJson, progress: mode });
  log(`comparison: ${page}`);
  return EXIT.ok;
}

/**
 * The grid's cells one after another, with a progress line per cell: its name, the elapsed time and an ETA
 * from the mean time of the cells trained in this run (skipped finished cells take no time and would make
 * the estimate too short).
 */
export async function trainCells(cells: readonly Cell[], mode: ProgressMode, outerLog: (line: string) => void, options: RunOptions, stream?: NodeJS.WriteStream): Promise<number> {
  const progress = createParentProgress({ label: 'cells', total: cells.length, unit: 'cells', mode, everyFraction: 1 / cells.length, stream });
  // Under the bar the cells' own lines (and their progress) are printed above it, not between its redraws.
  const log = progress.wrap(outerLog);
  options = { ...options, log };
  const start = performance.now();
  let trained = 0;
  let trainedSeconds = 0;
  for (const [n, cell] of cells.entries()) {
    const name = basename(cell.dir);
    const head = `cell ${n + 1}/${cells.length} ${cell.algo} ${cell.override} seed ${cell.seed}`;
    const wasFinished = cellStatus(cell.dir) === 'finished';
    progress.update(n, `${name} training`);
    const t0 = performance.now();
    const code = await trainCell(cell, head, options).catch((e: unknown) => {
      // The bar is taken down before the error is printed (and its timer would keep the process alive).
      progress.stop(`${name} failed`);
      throw e;
    });
    if (code !== EXIT.ok) {
      progress.stop(`${name} stopped`);
      outerLog(`${head}: stopped (exit ${code}); rerun the experiment to continue where it stopped`);
      return code;
    }
    if (!wasFinished) {
      trained += 1;
      trainedSeconds += (performance.now() - t0) / 1000;
    }
    const left = cells.length - n - 1;
    if (left > 0) progress.update(n + 1, `${name} ${wasFinished ? 'skipped' : 'done'}; ${cellTimes((performance.now() - start) / 1000, trained ? (left * trainedSeconds) / trained : null)}`);
  }
  const done = `all done; ${cellTimes((performance.now() - start) / 1000, 0)}`;
  // The bar ends at n/n (the loop updates it only while cells are left).
  progress.update(cells.length, done);
  progress.stop(done);
  return EXIT.ok;
}

/** `elapsed 12.3s, ETA 45.6s` (ETA n/a until a cell has been trained in this run). */
export function cellTimes(elapsedSeconds: number, etaSeconds: number | null): string {
  return `elapsed ${elapsedSeconds.toFixed(1)}s, ETA ${etaSeconds === null ? 'n/a' : `${etaSeconds.toFixed(1)}s`}`;
}

/** Reads and checks an experiment file (or its `values` read earlier), the whole grid before anything runs: the experiment (its inputs scaled by `--scale`), its directory and its cells. */
export async function loadExperiment(file: string, cli: ExperimentCli, values?: unknown): Promise<{ exp: Experiment; root: string; cells: Cell[] }> {
  const parsed = ExperimentSchema.safeParse(values ?? (await readConfigFile(file)));
  if (!parsed.success)
    throw new HopError('E_CONFIG', `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  // Scaled here, once: the in-process run, the queue's plan and its workers all see the same inputs and recipes.
  const exp = scaleInputs(parsed.data, cli.scale);
  const root = resolve(cli.out ?? exp.out ?? join('runs', 'experiments', exp.name));
  const cells = experimentCells(exp, root, cli.scale);
  validateGrid(cells, file);
  return { exp, root, cells };
}

/** Trains one cell: skipped when finished, resumed from its checkpoint when started, refused when its run has other settings. */
export async function trainCell(cell: Cell, head: string, options: RunOptions = {}): Promise<number> {
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const status = cellStatus(cell.dir);
  if (status !== 'new') refuseChangedCell(cell, head);
  if (status === 'finished') {
    log(`${head}: finished, skipped`);
    return EXIT.ok;
  }
  log(`${head}: ${status === 'started' ? 'resuming' : 'starting'} (${cell.dir})`);
  const ran = status === 'started' ? await runTrainCommand({ resume: cell.dir, flags: {} }, options) : await runTrainCommand({ flags: cell.settings }, options);
  return exitCodeOf(ran);
}

/** The `hop eval` settings of the experiment's evaluation: the paper's tables, one row per algorithm (training seeds pooled) unless the file says otherwise. */
export function experimentEvalConfig(file: string, exp: Experiment, root: string, cli: ExperimentCli): EvalConfig {
  // The experiment's --progress governs its evaluation too unless left at auto (then the file's eval.progress).
  const quick = { episodes: cli.evalEpisodes, seeds: cli.evalSeeds, pairings: cli.evalPairings, progress: cli.progress === undefined || cli.progress === 'auto' ? undefined : cli.progress };
  const config = resolveConfig(EvalConfigSchema, `${file} eval`, {
    file: { path: file, values: { groupByAlgo: true, ...exp.eval, env: exp.env, out: join(root, 'evaluation') } },
    flags: quick,
  });
  checkEvalConfig(config, `${file}: eval.cPuct`);
  return config;
}

/**
 * A cell's run must have been made from the settings the file gives it now: otherwise a finished cell of an
 * older file would be skipped and mixed into the tables. Paths inside the experiment compare relative to its
 * directory, so a moved experiment still matches.
 */
export function refuseChangedCell(cell: Cell, head: string): void {
  // A cell trained before the renames (treeNum, simulations) compares under the new names.
  const saved = renameKeys(new RunDir(cell.dir).readConfig<Record<string, unknown>>().config, TRAIN_RENAMES).values;
  const oldRoot = typeof saved.out === 'string' ? dirname(resolve(saved.out)) : null;
  const norm = (v: unknown, root: string | null) =>
    JSON.stringify(typeof v === 'string' && root && resolve(v).startsWith(root + sep) ? `<experiment>/${relative(root, resolve(v))}` : v);
  const changed = Object.entries(cell.settings)
    .filter(([k]) => k !== 'out' && k !== 'progress')
    .filter(([k, v]) => norm(saved[k], oldRoot) !== norm(v, dirname(cell.dir)))
    .map(([k, v]) => `${k}: ${JSON.stringify(saved[k]) ?? '(unset)'} -> ${JSON.stringify(v)}`);
  if (changed.length)
    throw new HopError(
      'E_CONFIG',
      `${head}: ${cell.dir} was trained with other settings than the file gives it now (${changed.join('; ')}); delete ${cell.dir} to train it again with the new settings, or give the experiment another --out`,
    );
}

function sameEvaluation(evalJson: string, runs: string[], config: EvalConfig): boolean {
  const saved = JSON.parse(readFileSync(evalJson, 'utf8')) as { runs?: string[]; settings?: Record<string, unknown> };
  const settings = evaluationSettings(config);
  const savedRuns = saved.runs ?? [];
  return savedRuns.length === runs.length && savedRuns.every((r, i) => resolve(r) === resolve(runs[i])) && JSON.stringify(saved.settings) === JSON.stringify(settings);
}

