import { checkOutputDir } from '../run/artifacts';
import { warnIfBeingWritten } from '../run/readers';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HopError } from '@hop/core';
import { resolveConfig as resolveGame } from '@hop/env-staghunt';
import { EXIT } from '../cli/exit';
import { RunDir, writeFileAtomic } from '../run/layout';
import { prepareEnvironment } from '../run/environment';
import { htmlPage } from '../report/html';
import { ruleSource, runSource, type AgentSource } from './controllers';
import { BELIEF_VARIANTS } from '../algos/types';
import { ADAPT_CO_PLAYERS, REFERENCE_POPULATIONS, evaluateAgent, type EvalCell, type Protocol } from './protocol';
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
  /** Per agent row: evaluated episodes and process CPU seconds per episode (all threads). */
  cost: { agent: string; episodes: number; cpuPerEpisode: number; wallSeconds: number }[];
}

/** What an evaluation plays: its agent sources (runs and their variants, then rule references), each run's replicate index, the game, the protocols and the adapt co-players. */
export interface EvaluationPlan {
  env: string;
  game: ReturnType<typeof resolveGame>;
  sources: AgentSource[];
  /** Grouped runs of one algorithm share a row; their cells count as further seeds (run-major). */
  replicate: Map<AgentSource, number>;
  protocols: Protocol[];
  coPlayers: AgentSource[];
}

export function evaluationPlan(runs: string[], config: EvalConfig, log: (line: string) => void = () => {}): EvaluationPlan {
  const algoOf = (r: string) => String(new RunDir(r).readConfig<{ algo?: string }>().config.algo);
  const sources: AgentSource[] = [];
  for (const r of runs) {
    const label = config.groupByAlgo ? algoOf(r) : undefined;
    sources.push(runSource(r, label, config.onlineCapacity, { priorAlpha: config.priorAlpha, simulations: config.simulations }));
    const algo = algoOf(r);
    for (const variant of config.variants) {
      if (algo === 'ppo' || algo === 'hop-onestep' || (algo === 'direct-om' && BELIEF_VARIANTS.includes(variant))) {
        log(`${variant}: skipped for ${r} (${algo} ${algo === 'direct-om' ? 'plans without goal beliefs' : 'does not plan'})`);
        continue;
      }
      sources.push(runSource(r, label, config.onlineCapacity, { variant, priorAlpha: config.priorAlpha, simulations: config.simulations }));
    }
  }
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
  const coPlayers = (config.coPlayers ?? ADAPT_CO_PLAYERS).map((p) => ruleSource(p));
  return { env, game, sources, replicate, protocols, coPlayers };
}

/** One source's cells under one protocol for some seed indices (default all), their seeds renumbered run-major. */
export async function evaluateSource(plan: EvaluationPlan, source: AgentSource, protocol: Protocol, config: EvalConfig, seedIndices?: readonly number[]): Promise<EvalCell[]> {
  const settings = { protocol, episodes: config.episodes, seeds: config.seeds, pairings: config.pairings, seed: config.seed, focal: config.focal };
  return (await evaluateAgent(source, plan.game, settings, plan.coPlayers, seedIndices)).map((c) => ({ ...c, seed: (plan.replicate.get(source) ?? 0) * config.seeds + c.seed }));
}

/** The evaluation's record from its cells (in plan order: protocols, then sources, then seeds) and their cost. */
export function evaluationResult(runs: string[], config: EvalConfig, plan: EvaluationPlan, cells: EvalCell[], cost: EvaluationResult['cost'] = []): EvaluationResult {
  const kinds = Object.fromEntries(plan.sources.map((s) => [s.label, s.kind]));
  const { out: _out, ...settings } = config;
  return { format: 'hop-evaluation', version: 1, env: plan.env, runs: runs.map((r) => resolve(r)), settings, cells, tables: buildTables(cells, kinds), cost };
}

/**
 * Evaluates runs (and the rule references) under the chosen protocols and returns every cell and the tables.
 * Pure of files: `runEvalCommand` writes them.
 */
export async function evaluateRuns(runs: string[], config: EvalConfig, log: (line: string) => void = () => {}): Promise<EvaluationResult> {
  const plan = evaluationPlan(runs, config, log);
  const cells: EvalCell[] = [];
  const cost: EvaluationResult['cost'] = [];
  const start = performance.now();
  let done = 0;
  const total = plan.protocols.length * plan.sources.length;
  for (const protocol of plan.protocols)
    for (const s of plan.sources) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const got = await evaluateSource(plan, s, protocol, config);
      cells.push(...got);
      const cpu = process.cpuUsage(cpu0);
      const episodes = got.reduce((a, c) => a + c.rewards.length * (c.rewards[0]?.length ?? 0), 0);
      const cpuPerEpisode = (cpu.user + cpu.system) / 1e6 / Math.max(1, episodes);
      const wall = (performance.now() - t0) / 1000;
      const prev = cost.find((c) => c.agent === s.label);
      if (prev) {
        prev.cpuPerEpisode = (prev.cpuPerEpisode * prev.episodes + cpuPerEpisode * episodes) / (prev.episodes + episodes);
        prev.episodes += episodes;
        prev.wallSeconds += wall;
      } else cost.push({ agent: s.label, episodes, cpuPerEpisode, wallSeconds: wall });
      done++;
      const eta = ((performance.now() - start) / 1000 / done) * (total - done);
      log(
        `[${done}/${total}] ${protocol}: ${s.label}: ${got.length} cells, mean focal reward ${(got.reduce((a, c) => a + c.mean, 0) / got.length).toFixed(3)} ` +
          `(${wall.toFixed(1)}s, ${episodes} episodes, ${cpuPerEpisode.toFixed(2)} CPU-s / episode; ETA ${Math.round(eta)}s)`,
      );
    }
  return evaluationResult(runs, config, plan, cells, cost);
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
  const dir = resolve(config.out ?? (runs.length ? join(runs[0], 'evaluation') : join('runs', `eval-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`)));
  // Checked before minutes of evaluation, not after them.
  checkOutputDir(dir, 'evaluation');
  for (const r of runs) warnIfBeingWritten(r, log);
  await prepareEnvironment(log);
  const result = await evaluateRuns(runs, config, log);
  const html = await writeEvaluation(dir, result);
  for (const r of result.tables.rows.filter((x) => x.coPlayer === 'overall' || x.coPlayer === 'self'))
    log(`${r.protocol} (${r.focal} focal) ${r.agent}: ${r.mean.toFixed(3)} ± ${r.se.toFixed(3)} SE (${r.units} pairings; std over seeds ${r.std.toFixed(3)})`);
  for (const c of result.cost.filter((x) => x.episodes > 0)) log(`cost ${c.agent}: ${c.episodes} episodes, ${c.cpuPerEpisode.toFixed(2)} CPU-s per episode, ${c.wallSeconds.toFixed(0)} s wall`);
  log(`tables: ${join(dir, 'tables.csv')}\nreport: ${html}`);
  return EXIT.ok;
}
