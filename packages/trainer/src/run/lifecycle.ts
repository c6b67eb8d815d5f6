import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunEnvironment } from '@hop/core';
import { prepareEnvironment } from './environment';
import { InterruptFlag } from './interrupt';
import { checkResumeBudget } from './resume-budget';
import { RunDir, type RunConfigFile, type RunMetric } from './layout';
import { CHECKPOINTS_AT_ONCE, checkpointBytes, recordBytes } from './budget';
import { formatBytes } from './fs-errors';

/**
 * The life of a long command's run, written once for `hop train` (every algorithm), `hop pretrain` and
 * `hop world-model`: create or resume the run directory, its events, its wall and CPU clock, the evaluation
 * cadence, checkpoint pruning (run/checkpoints.ts), the interrupt tail with its "continue with" line, and
 * the status the CLI turns into an exit code. The loops keep only what defines their algorithm.
 */

/** How a long command ended: the CLI maps it to an exit code (cli/exit.ts). */
export type RunStatus = 'completed' | 'interrupted';

export interface RunOptions {
  log?: (line: string) => void;
  /** Ctrl-C handling; without one the run listens to SIGINT / SIGTERM itself. */
  interrupt?: InterruptFlag;
  /** Free bytes of the filesystem holding a path (tests simulate a small disk with it). */
  freeBytes?: (path: string) => number;
}

/** What `hop train` (any algorithm) returns. */
export interface RunResult {
  status: RunStatus;
  runDir: string;
  iterations: number;
  /** The last greedy evaluation record, if any. */
  lastEval: RunMetric | null;
  elapsed: number;
}

/** The counters every loop keeps in its checkpoints' state.json. */
export interface RunCounters {
  iteration: number;
  /** Seconds of wall time over every invocation. */
  elapsed: number;
  /** CPU seconds over the same spans; absent in checkpoints written before it was recorded. */
  cpuSeconds?: number;
}

export const defaultLog = (line: string): void => {
  process.stdout.write(line + '\n');
};

/** `runs/<command>-<name>-<time>` when no --out is given. */
export function defaultRunName(command: string, name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join('runs', `${command}-${name}-${stamp}`);
}

/**
 * Starts a fresh run: the backend and inference engine first, then `open` builds everything that can fail
 * on bad input before the directory exists, then the directory is created (config.json with `inputs(setup)`)
 * and `body` runs; a failure before the first checkpoint removes what the run wrote (RunDir.guardStart).
 * The checkpoints the run will keep are checked against the free space of `out` before the directory is made
 * (after its writability: a read-only --out is E_READ_ONLY, not E_DISK_FULL).
 */
export async function startRun<S>(p: {
  command: string;
  out: string;
  config: unknown;
  log: (line: string) => void;
  open: () => Promise<S>;
  inputs: (setup: S) => Record<string, unknown>;
  dispose: (setup: S) => void;
  hasCheckpoint: (run: RunDir) => boolean;
  seed: number;
  body: (run: RunDir, setup: S) => Promise<RunResult>;
  /**
   * The run's space check: its name in the error, its iterations (records), the bytes a checkpoint holds beyond
   * the tensors `open` leaves alive (online buffers, shared pairs; default none), the free-space probe (tests).
   */
  space?: { what: string; iterations: number; extraBytes?: (setup: S) => number; freeBytes?: (path: string) => number };
}): Promise<RunResult> {
  const environment = await prepareEnvironment(p.log);
  // The tensors `open` leaves alive (networks, co-player models, world model) are what a checkpoint saves, at most.
  const before = tf.memory().numBytes;
  const setup = await p.open();
  const tensorBytes = Math.max(0, tf.memory().numBytes - before);
  const run = new RunDir(p.out);
  try {
    const space = p.space ?? { what: `hop ${p.command}`, iterations: 0 };
    const extra = space.extraBytes?.(setup) ?? 0;
    const one = checkpointBytes(tensorBytes, extra);
    const records = recordBytes(space.iterations);
    run.create(p.command, p.config, environment, p.inputs(setup), {
      bytes: CHECKPOINTS_AT_ONCE * one + records,
      what:
        `${space.what}: ${CHECKPOINTS_AT_ONCE} checkpoints on disk at once (2 kept + 1 being written) of at most ${formatBytes(one)} each ` +
        `(${formatBytes(tensorBytes)} of weights x 3 with Adam's moments, ${formatBytes(extra)} of online buffers and co-player pairs), ` +
        `and ${formatBytes(records)} of records and report; an upper bound`,
      freeBytes: space.freeBytes,
    });
  } catch (e) {
    p.dispose(setup);
    throw e;
  }
  p.log(`seed ${p.seed}; run directory ${run.root}`);
  return run.guardStart(() => p.hasCheckpoint(run), () => p.body(run, setup), p.log);
}

/**
 * Continues a run from its newest complete checkpoint (`point(environment)` picks it, null: from the start):
 * warns when the inference engine changed, opens the setup, keeps the metric records up to the checkpoint and
 * records this invocation's environment in config.json (read once, by the command: `file`).
 */
export async function resumeRun<S extends { state: RunCounters }>(p: {
  run: RunDir;
  file: RunConfigFile<unknown>;
  config: unknown;
  log: (line: string) => void;
  point: () => string | null;
  open: (point: string | null) => Promise<S>;
  seed: number;
  /** `--iterations` on resume against what the run planned: never below what it has done (E_RESUME_BUDGET). */
  budget?: { requested: number | undefined; planned: number };
  /** Releases what `open` built when the resume is refused after it. */
  dispose?: (setup: S) => void;
}): Promise<S> {
  const { run, log } = p;
  const environment = await prepareEnvironment(log);
  warnEngineChange(p.file.resumes?.at(-1) ?? p.file.environment, environment, log);
  const point = p.point();
  let setup: S;
  try {
    setup = await p.open(point);
  } catch (e) {
    run.close();
    throw e;
  }
  const done = setup.state.iteration;
  if (p.budget)
    try {
      checkResumeBudget({ run: run.root, flag: '--iterations', unit: 'iterations', requested: p.budget.requested, done, planned: p.budget.planned });
    } catch (e) {
      p.dispose?.(setup);
      run.close();
      throw e;
    }
  run.reopen(environment, (r) => (r.kind === 'event' ? true : r.step <= done), p.config, p.file);
  if (!point) log(`no checkpoint in ${run.checkpointsDir}: restarting the run from iteration 1 (seed ${p.seed})`);
  else log(`resuming ${run.root} from ${relative(run.root, point)}: iteration ${done + 1} (seed ${p.seed})`);
  return setup;
}

/**
 * ONNX Runtime and tfjs agree to float rounding, not bit for bit, so a resume on another engine can turn
 * near-ties and continues a different run than the one interrupted: said, not refused (a machine may have
 * lost onnxruntime-node). The resume's engine is recorded in config.json's resumes.
 */
export function warnEngineChange(before: RunEnvironment, now: RunEnvironment, log: (line: string) => void): void {
  const [a, b] = [before.inference, now.inference];
  if (a && b && a.engine !== b.engine)
    log(`warning: this run was last trained on the ${a.engine} inference engine and resumes on ${b.engine}; results can differ from an uninterrupted run from here on (HOP_INFERENCE=${a.engine} resumes on the same engine)`);
}

/** The interrupt flag of a loop: the caller's, or one listening to signals until `release`. */
export function interruptOf(given: InterruptFlag | undefined): { flag: InterruptFlag; release(): void } {
  const flag = given ?? new InterruptFlag().listen();
  return { flag, release: () => (given ? undefined : flag.dispose()) };
}

/** A run's event record (start, resume, warm-start, interrupt, end). */
export function runEvent(state: RunCounters, name: string): RunMetric {
  return { kind: 'event', event: name, epoch: state.iteration, step: state.iteration, time: round(state.elapsed), at: new Date().toISOString() };
}

/** The last evaluation record of a run (reopened runs keep theirs). */
export function lastEvalOf(run: RunDir): RunMetric | null {
  return [...run.readMetrics()].reverse().find((r) => r.kind === 'eval') ?? null;
}

/** Evaluations every `every` iterations (0: none on the way) and always after the last one. */
export function evalDue(iteration: number, every: number, last: number): boolean {
  return (every > 0 && iteration % every === 0) || iteration === last;
}

/** Checkpoints every `every` iterations, after the last one, and when a stop was asked for. */
export function checkpointDue(iteration: number, every: number, last: number, interrupt: InterruptFlag): boolean {
  return iteration % every === 0 || iteration === last || interrupt.stopRequested;
}

/**
 * The interrupt tail: after a checkpointed iteration, a requested stop ends the run with its "continue with"
 * line. Returns the result to hand back, or null to go on.
 */
export function stopIfRequested(
  p: { run: RunDir; state: RunCounters; interrupt: InterruptFlag; log: (line: string) => void; last: number; lastEval: RunMetric | null; command: string },
  stopProgress: (why: string) => void,
): RunResult | null {
  const { run, state } = p;
  if (!p.interrupt.stopRequested || state.iteration >= p.last) return null;
  stopProgress('interrupted');
  run.appendMetrics(runEvent(state, 'interrupt'));
  p.log(`interrupted after iteration ${state.iteration}; checkpoint saved\ncontinue with: ${continueWith(p.command, run.root)}`);
  return { status: 'interrupted', runDir: run.root, iterations: state.iteration, lastEval: p.lastEval, elapsed: state.elapsed };
}

/** The command line that continues an interrupted run. */
export function continueWith(command: string, root: string): string {
  return `hop ${command} --resume ${root}`;
}

export const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Adds the wall and CPU time since the last tick to the run's totals. CPU is `process.cpuUsage`, which counts
 * every thread of the process (the rollout workers too); on a machine shared with other jobs it is the honest
 * measure of what the run cost, and CPU / cores bounds the wall time it would take alone.
 */
export class RunClock {
  private wall = performance.now();
  private cpu = process.cpuUsage();

  constructor(private readonly state: RunCounters) {}

  tick(): { wall: number; cpu: number } {
    const now = performance.now();
    const d = process.cpuUsage(this.cpu);
    const spent = { wall: (now - this.wall) / 1000, cpu: (d.user + d.system) / 1e6 };
    this.wall = now;
    this.cpu = process.cpuUsage();
    this.state.elapsed += spent.wall;
    if (this.state.cpuSeconds !== undefined) this.state.cpuSeconds += spent.cpu;
    return spent;
  }
}

/** The clock's scalars of a record: CPU seconds of the span, and of the run so far when recorded. */
export function spentMetrics(spent: { wall: number; cpu: number }, state: RunCounters): Record<string, number> {
  return { 'time/cpu': spent.cpu, ...(state.cpuSeconds !== undefined ? { 'perf/cpu_seconds': round(state.cpuSeconds) } : {}) };
}
