import { checkOutputDir } from "../run/artifacts";
import { warnIfBeingWritten } from "../run/readers";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { HopError } from "@hop/core";
import { resolveConfig as resolveGame } from "@hop/env-staghunt";
import { EXIT } from "../cli/exit";
import { RunDir, writeFileAtomic } from "../run/layout";
import { prepareEnvironment } from "../run/environment";
import { htmlPage } from "../report/html";
import { availableParallelism } from "node:os";
import { createProgress } from "../run/progress";
import { ruleSource, type AgentSource } from "./controllers";
import { BELIEF_VARIANTS, type DiagnosisVariant } from "../algos/types";
import {
  ADAPT_CO_PLAYERS,
  REFERENCE_POPULATIONS,
  assembleCells,
  evaluateAgent,
  planSlices,
  type EvalCell,
  type EvalSettings,
  type EvalSlice,
  type Protocol,
} from "./protocol";
import { createEvalPool } from "./pool";
import { sourceOf, type EvalTask, type SourceSpec } from "./task";
import { checkEvalConfig, type EvalConfig } from "./schema";
import {
  buildTables,
  evaluationSections,
  tablesCsv,
  type EvalTables,
} from "./tables";

export interface EvaluationResult {
  format: "hop-evaluation";
  version: 1;
  env: string;
  /** The run directories evaluated (an experiment skips an evaluation that covers the same ones). */
  runs: string[];
  /** What decides the cells (not `out`, `workers`, `progress`: the cells are the same for any). */
  settings: EvaluationSettings;
  cells: EvalCell[];
  tables: EvalTables;
  /**
   * Per agent row: evaluated episodes, process CPU seconds per episode (all threads: the evaluation's process
   * CPU apportioned to rows by the busy time of their tasks) and the tasks' busy seconds summed over workers.
   */
  cost: {
    agent: string;
    episodes: number;
    cpuPerEpisode: number;
    wallSeconds: number;
  }[];
  /** The whole evaluation (`evaluateRuns`): worker threads, wall seconds, process CPU seconds (all threads), episodes. */
  run?: {
    workers: number;
    wallSeconds: number;
    cpuSeconds: number;
    episodes: number;
    cpuPerEpisode: number;
  };
}

export type EvaluationSettings = Omit<
  EvalConfig,
  "out" | "workers" | "progress"
>;

/** The settings that decide an evaluation's cells (what an experiment compares to skip a finished one). */
export function evaluationSettings(config: EvalConfig): EvaluationSettings {
  const {
    out: _out,
    workers: _workers,
    progress: _progress,
    ...settings
  } = config;
  return settings;
}

/** `--workers` default of `hop eval` and `hop experiment`: the machine's cores. */
export function defaultEvalWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Whether an algorithm's agents search with the planner (what the diagnosis rows and planner overrides act on). */
const plans = (algo: string): boolean => algo !== "ppo" && algo !== "hop-onestep";

/**
 * Why a diagnosis variant makes no row for an algorithm's runs (null: it does): the variants change the
 * planner's tree or its goal beliefs. The queue's plan names its shards from the same rule.
 */
export function variantSkipped(
  algo: string,
  variant: DiagnosisVariant
): string | null {
  if (!plans(algo)) return "does not plan";
  if (algo === "direct-om" && BELIEF_VARIANTS.includes(variant))
    return "plans without goal beliefs";
  return null;
}

/** What an evaluation plays: its agent sources (runs and their variants, then rule references), each run's replicate index, the game, the protocols and the adapt co-players. */
export interface EvaluationPlan {
  env: string;
  game: ReturnType<typeof resolveGame>;
  sources: AgentSource[];
  /** What each source is rebuilt from in a worker (or a queue consumer). */
  specs: Map<AgentSource, SourceSpec>;
  /** Grouped runs of one algorithm share a row; their cells count as further seeds (run-major). */
  replicate: Map<AgentSource, number>;
  protocols: Protocol[];
  coPlayers: AgentSource[];
}

export function evaluationPlan(
  runs: string[],
  config: EvalConfig,
  log: (line: string) => void = () => {}
): EvaluationPlan {
  const algoOf = (r: string) =>
    String(new RunDir(r).readConfig<{ algo?: string }>().config.algo);
  const sources: AgentSource[] = [];
  const specs = new Map<AgentSource, SourceSpec>();
  const add = (spec: SourceSpec) => {
    const source = sourceOf(spec);
    specs.set(source, spec);
    sources.push(source);
  };
  checkEvalConfig(config);
  const overridden = config.simulations !== undefined || config.cPuct !== undefined || config.search !== undefined;
  for (const r of runs) {
    const label = config.groupByAlgo ? algoOf(r) : undefined;
    const runDir = resolve(r);
    const algo = algoOf(r);
    if (overridden && !plans(algo)) log(`--simulations / --c-puct / --search: not applied to ${r} (${algo} does not plan)`);
    const planner = plans(algo) ? { simulations: config.simulations, cPuct: config.cPuct, search: config.search } : {};
    add({
      kind: "run",
      runDir,
      label,
      onlineCapacity: config.onlineCapacity,
      priorAlpha: config.priorAlpha,
      ...planner,
    });
    for (const variant of config.variants) {
      const skipped = variantSkipped(algo, variant);
      if (skipped) {
        log(`${variant}: skipped for ${r} (${algo} ${skipped})`);
        continue;
      }
      add({
        kind: "run",
        runDir,
        label,
        onlineCapacity: config.onlineCapacity,
        variant,
        priorAlpha: config.priorAlpha,
        ...planner,
      });
    }
  }
  const replicate = new Map<AgentSource, number>();
  const seen = new Map<string, number>();
  for (const s of sources) {
    replicate.set(s, seen.get(s.label) ?? 0);
    seen.set(s.label, (seen.get(s.label) ?? 0) + 1);
  }
  const envs = [...new Set(sources.map((s) => s.env!))];
  if (envs.length > 1)
    throw new HopError(
      "E_CONFIG",
      `the runs were trained on different presets (${envs.join(
        ", "
      )}); evaluate them separately`
    );
  const env = config.env ?? envs[0];
  if (!env)
    throw new HopError(
      "E_CONFIG",
      "give --env when no run is evaluated (the rule references need a preset)"
    );
  if (envs.length === 1 && env !== envs[0])
    throw new HopError(
      "E_CONFIG",
      `--env ${env} differs from the runs' preset ${envs[0]}`
    );
  const game = resolveGame(env as Parameters<typeof resolveGame>[0]);
  if (config.reference)
    for (const p of REFERENCE_POPULATIONS)
      add({ kind: "rule", population: p, label: p });
  const protocols: Protocol[] =
    config.protocol === "both" ? ["self-play", "adapt"] : [config.protocol];
  const coPlayers = (config.coPlayers ?? ADAPT_CO_PLAYERS).map((p) =>
    ruleSource(p)
  );
  return { env, game, sources, specs, replicate, protocols, coPlayers };
}

/** The protocol settings of one protocol of an evaluation config. */
function settingsOf(protocol: Protocol, config: EvalConfig): EvalSettings {
  return { protocol, episodes: config.episodes, seeds: config.seeds, pairings: config.pairings, seed: config.seed, focal: config.focal };
}

/** One source's cells under one protocol for some seed indices (default all), their seeds renumbered run-major. */
export async function evaluateSource(
  plan: EvaluationPlan,
  source: AgentSource,
  protocol: Protocol,
  config: EvalConfig,
  seedIndices?: readonly number[]
): Promise<EvalCell[]> {
  return (
    await evaluateAgent(
      source,
      plan.game,
      settingsOf(protocol, config),
      plan.coPlayers,
      seedIndices
    )
  ).map((c) => ({
    ...c,
    seed: (plan.replicate.get(source) ?? 0) * config.seeds + c.seed,
  }));
}

/** The evaluation's record from its cells (in plan order: protocols, then sources, then seeds) and their cost. */
export function evaluationResult(
  runs: string[],
  config: EvalConfig,
  plan: EvaluationPlan,
  cells: EvalCell[],
  cost: EvaluationResult["cost"] = [],
  run?: EvaluationResult["run"]
): EvaluationResult {
  const kinds = Object.fromEntries(plan.sources.map((s) => [s.label, s.kind]));
  return {
    format: "hop-evaluation",
    version: 1,
    env: plan.env,
    runs: runs.map((r) => resolve(r)),
    settings: evaluationSettings(config),
    cells,
    tables: buildTables(cells, kinds),
    cost,
    ...(run ? { run } : {}),
  };
}

/**
 * Evaluates runs (and the rule references) under the chosen protocols and returns every cell and the tables.
 * Every row's slices (pairings x seeds x focal counts x co-player types, see `planSlices`) run on a pool of
 * `config.workers` threads (default 1 here; the CLI defaults to the cores); each slice rebuilds its agent from
 * the run directory and plays its own seed streams, so the cells are the same whatever the number of workers.
 * Pure of files: `runEvalCommand` writes them.
 */
export async function evaluateRuns(
  runs: string[],
  config: EvalConfig,
  log: (line: string) => void = () => {}
): Promise<EvaluationResult> {
  const plan = evaluationPlan(runs, config, log);
  const coNames = plan.coPlayers.map((c) => c.label);
  // HOP-family agents keep nothing across pairings (one agent per env and player): one task per pairing.
  // PPO / hop-onestep controllers batch (and share online models across) their envs, rules are cheap: one per cell.
  const perPairing = (spec: SourceSpec) =>
    spec.kind === "run" &&
    !["ppo", "hop-onestep"].includes(
      String(
        new RunDir(spec.runDir).readConfig<{ algo?: string }>().config.algo
      )
    );
  const jobs: {
    source: AgentSource;
    settings: EvalSettings;
    tasks: EvalTask[];
  }[] = [];
  for (const protocol of plan.protocols)
    for (const source of plan.sources) {
      const spec = plan.specs.get(source)!;
      const settings = settingsOf(protocol, config);
      const tasks = planSlices(
        settings,
        plan.game.players,
        coNames,
        perPairing(spec)
      ).map((slice) => ({ source: spec, env: plan.env, settings, slice }));
      jobs.push({ source, settings, tasks });
    }
  const planned = jobs.reduce(
    (a, j) =>
      a +
      j.tasks.reduce((b, t) => b + t.slice.pairingCount * config.episodes, 0),
    0
  );
  const workers = config.workers ?? 1;
  const pool = await createEvalPool(workers);
  log(
    `evaluating ${planned} episodes (${jobs.reduce(
      (a, j) => a + j.tasks.length,
      0
    )} tasks) ${pool.describe}`
  );
  const progress = createProgress({
    label: "eval",
    total: planned,
    unit: "episodes",
    mode: config.progress,
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let done = 0;
  let results: {
    job: (typeof jobs)[number];
    got: { slice: EvalSlice; rewards: number[][]; busySeconds: number }[];
  }[];
  try {
    results = await Promise.all(
      jobs.map(async (job) => ({
        job,
        got: await Promise.all(
          job.tasks.map(async (task) => {
            const r = await pool.run(task);
            done += task.slice.pairingCount * config.episodes;
            progress.update(
              done,
              `${job.settings.protocol}: ${job.source.label}`
            );
            return { slice: task.slice, ...r };
          })
        ),
      }))
    );
  } finally {
    await pool.dispose();
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = (performance.now() - start) / 1000;
  progress.stop(
    `${wallSeconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} CPU-s`
  );
  const busyTotal = results.reduce(
    (a, r) => a + r.got.reduce((b, g) => b + g.busySeconds, 0),
    0
  );
  const cells: EvalCell[] = [];
  const cost: EvaluationResult["cost"] = [];
  for (const { job, got } of results) {
    const label = job.source.label;
    const rep = plan.replicate.get(job.source) ?? 0;
    const jobCells = assembleCells(label, job.settings, got).map((c) => ({
      ...c,
      seed: rep * config.seeds + c.seed,
    }));
    cells.push(...jobCells);
    const episodes = got.reduce(
      (a, g) => a + g.slice.pairingCount * config.episodes,
      0
    );
    const busy = got.reduce((a, g) => a + g.busySeconds, 0);
    // Worker threads share one process, whose CPU cannot be told apart per thread: apportioned by busy time.
    const rowCpu = busyTotal > 0 ? (cpuSeconds * busy) / busyTotal : 0;
    const prev = cost.find((c) => c.agent === label);
    if (prev) {
      prev.cpuPerEpisode =
        (prev.cpuPerEpisode * prev.episodes + rowCpu) /
        (prev.episodes + episodes);
      prev.episodes += episodes;
      prev.wallSeconds += busy;
    } else
      cost.push({
        agent: label,
        episodes,
        cpuPerEpisode: rowCpu / Math.max(1, episodes),
        wallSeconds: busy,
      });
    log(
      `${job.settings.protocol}: ${label}: ${
        jobCells.length
      } cells, mean focal reward ${(
        jobCells.reduce((a, c) => a + c.mean, 0) / jobCells.length
      ).toFixed(3)} ` +
        `(${episodes} episodes, ${(rowCpu / Math.max(1, episodes)).toFixed(
          2
        )} CPU-s / episode)`
    );
  }
  return evaluationResult(runs, config, plan, cells, cost, {
    workers,
    wallSeconds,
    cpuSeconds,
    episodes: planned,
    cpuPerEpisode: cpuSeconds / Math.max(1, planned),
  });
}

/** Writes evaluation.json, tables.csv (and one CSV per protocol) and evaluation.html into `dir`. */
export async function writeEvaluation(
  dir: string,
  result: EvaluationResult
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(
    join(dir, "evaluation.json"),
    JSON.stringify(result, null, 1) + "\n"
  );
  await writeFileAtomic(join(dir, "tables.csv"), tablesCsv(result.tables.rows));
  for (const p of ["self-play", "adapt"] as const) {
    const rows = result.tables.rows.filter((r) => r.protocol === p);
    if (rows.length)
      await writeFileAtomic(join(dir, `table-${p}.csv`), tablesCsv(rows));
  }
  const players = resolveGame(
    result.env as Parameters<typeof resolveGame>[0]
  ).players;
  const { sections, plots } = evaluationSections(result.tables, players);
  for (const p of plots)
    await writeFileAtomic(join(dir, "plots", `${p.file}.svg`), p.svg);
  const page = htmlPage({
    title: `HOP evaluation on ${result.env}`,
    subtitle: `written ${new Date().toISOString()}`,
    sections,
  });
  const html = join(dir, "evaluation.html");
  await writeFileAtomic(html, page);
  return html;
}

/** `hop eval <runs...>`. */
export async function runEvalCommand(
  runs: string[],
  config: EvalConfig,
  log: (line: string) => void = (l) => process.stdout.write(l + "\n")
): Promise<number> {
  const dir = resolve(
    config.out ??
      (runs.length
        ? join(runs[0], "evaluation")
        : join(
            "runs",
            `eval-${new Date()
              .toISOString()
              .replace(/[-:]/g, "")
              .replace(/\..*/, "")
              .replace("T", "-")}`
          ))
  );
  // Checked before minutes of evaluation, not after them.
  checkOutputDir(dir, "evaluation");
  for (const r of runs) warnIfBeingWritten(r, log);
  await prepareEnvironment(log);
  const result = await evaluateRuns(
    runs,
    { ...config, workers: config.workers ?? defaultEvalWorkers() },
    log
  );
  const html = await writeEvaluation(dir, result);
  for (const r of result.tables.rows.filter(
    (x) => x.coPlayer === "overall" || x.coPlayer === "self"
  ))
    log(
      `${r.protocol} (${r.focal} focal) ${r.agent}: ${r.mean.toFixed(
        3
      )} ± ${r.se.toFixed(3)} SE (${
        r.units
      } pairings; std over seeds ${r.std.toFixed(3)})`
    );
  for (const c of result.cost.filter((x) => x.episodes > 0))
    log(
      `cost ${c.agent}: ${c.episodes} episodes, ${c.cpuPerEpisode.toFixed(
        2
      )} CPU-s per episode, ${c.wallSeconds.toFixed(0)} s busy`
    );
  const t = result.run;
  if (t)
    log(
      `cost overall: ${t.episodes} episodes on ${t.workers} worker${
        t.workers === 1 ? "" : "s"
      }, ${t.wallSeconds.toFixed(1)} s wall, ${t.cpuSeconds.toFixed(
        1
      )} CPU-s (${t.cpuPerEpisode.toFixed(3)} CPU-s per episode)`
    );
  log(`tables: ${join(dir, "tables.csv")}\nreport: ${html}`);
  return EXIT.ok;
}
