import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HopError } from '@hop/core';
import { resolveConfig as resolveGame } from '@hop/env-staghunt';
import { EXIT } from '../cli/exit';
import { RunDir, writeFileAtomic } from '../run/layout';
import { prepareEnvironment } from '../run/environment';
import { htmlPage } from '../report/html';
import { ruleSource, runSource, type AgentSource } from './controllers';
import { REFERENCE_POPULATIONS, evaluateAgent, type EvalCell, type Protocol } from './protocol';
import type { EvalConfig } from './schema';
import { buildTables, evaluationSections, tablesCsv, type EvalTables } from './tables';

export interface EvaluationResult {
  format: 'hop-evaluation';
  version: 1;
  env: string;
  /** The run directories evaluated (an experiment skips an evaluation that covers the same ones). */
  runs: string[];
  settings: Omit<EvalConfig, 'out'>;
  cells: EvalCell[];
  tables: EvalTables;
}

/** What an evaluation plays: its agent sources (runs, then rule references), each run's replicate index, the game and the protocols. */
export interface EvaluationPlan {
  env: string;
  game: ReturnType<typeof resolveGame>;
  sources: AgentSource[];
  /** Grouped runs of one algorithm share a row; their cells count as further seeds (run-major). */
  replicate: Map<AgentSource, number>;
  protocols: Protocol[];
}

export function evaluationPlan(runs: string[], config: EvalConfig): EvaluationPlan {
  const algoOf = (r: string) => String(new RunDir(r).readConfig<{ algo?: string }>().config.algo);
  const sources: AgentSource[] = runs.map((r) => runSource(r, config.groupByAlgo ? algoOf(r) : undefined, config.onlineCapacity));
  const replicate = new Map<AgentSource, number>();
  const seen = new Map<string, number>();
  for (const s of sources) {
    replicate.set(s, seen.get(s.label) ?? 0);
    seen.set(s.label, (seen.get(s.label) ?? 0) + 1);
  }
  const envs = [...new Set(sources.map((s) => s.env!))];
  if (envs.length > 1) throw new HopError('E_CONFIG', `the runs were trained on different presets (${envs.join(', ')}); evaluate them separately`);
  const env = config.env ?? envs[0];
  if (!env) throw new HopError('E_CONFIG', 'give --env when no run is evaluated (the rule references need a preset)');
  if (envs.length === 1 && env !== envs[0]) throw new HopError('E_CONFIG', `--env ${env} differs from the runs' preset ${envs[0]}`);
  const game = resolveGame(env as Parameters<typeof resolveGame>[0]);
  if (config.reference) sources.push(...REFERENCE_POPULATIONS.map((p) => ruleSource(p)));
  const protocols: Protocol[] = config.protocol === 'both' ? ['self-play', 'adapt'] : [config.protocol];
  return { env, game, sources, replicate, protocols };
}

/** One source's cells under one protocol for some seed indices (default all), their seeds renumbered run-major. */
export async function evaluateSource(plan: EvaluationPlan, source: AgentSource, protocol: Protocol, config: EvalConfig, seedIndices?: readonly number[]): Promise<EvalCell[]> {
  const settings = { protocol, episodes: config.episodes, seeds: config.seeds, pairings: config.pairings, seed: config.seed };
  return (await evaluateAgent(source, plan.game, settings, undefined, seedIndices)).map((c) => ({ ...c, seed: (plan.replicate.get(source) ?? 0) * config.seeds + c.seed }));
}

/** The evaluation's record from its cells (in plan order: protocols, then sources, then seeds). */
export function evaluationResult(runs: string[], config: EvalConfig, plan: EvaluationPlan, cells: EvalCell[]): EvaluationResult {
  const kinds = Object.fromEntries(plan.sources.map((s) => [s.label, s.kind]));
  const { out: _out, ...settings } = config;
  return { format: 'hop-evaluation', version: 1, env: plan.env, runs: runs.map((r) => resolve(r)), settings, cells, tables: buildTables(cells, kinds) };
}

/**
 * Evaluates runs (and the rule references) under the chosen protocols and returns every cell and the tables.
 * Pure of files: `runEvalCommand` writes them.
 */
export async function evaluateRuns(runs: string[], config: EvalConfig, log: (line: string) => void = () => {}): Promise<EvaluationResult> {
  const plan = evaluationPlan(runs, config);
  const cells: EvalCell[] = [];
  for (const protocol of plan.protocols)
    for (const s of plan.sources) {
      const t0 = performance.now();
      const got = await evaluateSource(plan, s, protocol, config);
      cells.push(...got);
      log(`${protocol}: ${s.label}: ${got.length} cells, mean focal reward ${(got.reduce((a, c) => a + c.mean, 0) / got.length).toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
    }
  return evaluationResult(runs, config, plan, cells);
}

/** Writes evaluation.json, tables.csv (and one CSV per protocol) and evaluation.html into `dir`. */
export async function writeEvaluation(dir: string, result: EvaluationResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'evaluation.json'), JSON.stringify(result, null, 1) + '\n');
  await writeFileAtomic(join(dir, 'tables.csv'), tablesCsv(result.tables.rows));
  for (const p of ['self-play', 'adapt'] as const) {
    const rows = result.tables.rows.filter((r) => r.protocol === p);
    if (rows.length) await writeFileAtomic(join(dir, `table-${p}.csv`), tablesCsv(rows));
  }
  const players = resolveGame(result.env as Parameters<typeof resolveGame>[0]).players;
  const { sections, plots } = evaluationSections(result.tables, players);
  for (const p of plots) await writeFileAtomic(join(dir, 'plots', `${p.file}.svg`), p.svg);
  const page = htmlPage({ title: `HOP evaluation on ${result.env}`, subtitle: `written ${new Date().toISOString()}`, sections });
  const html = join(dir, 'evaluation.html');
  await writeFileAtomic(html, page);
  return html;
}

/** `hop eval <runs...>`. */
export async function runEvalCommand(runs: string[], config: EvalConfig, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  await prepareEnvironment(log);
  const result = await evaluateRuns(runs, config, log);
  const dir = resolve(config.out ?? (runs.length ? join(runs[0], 'evaluation') : join('runs', `eval-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`)));
  const html = await writeEvaluation(dir, result);
  for (const r of result.tables.rows.filter((x) => x.coPlayer === 'overall' || x.coPlayer === 'self'))
    log(`${r.protocol} (${r.focal} focal) ${r.agent}: ${r.mean.toFixed(3)} ± ${r.std.toFixed(3)}`);
  log(`tables: ${join(dir, 'tables.csv')}\nreport: ${html}`);
  return EXIT.ok;
}
