import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { HopError, type MetricRecord, type RunEnvironment } from '@hop/core';
import { prepareEnvironment } from './environment';
import { InterruptFlag } from './interrupt';
import { checkResumeBudget } from './resume-budget';
import { RunDir, type RunConfigFile, type RunMetric } from './layout';
import { CHECKPOINTS_AT_ONCE, checkpointBytes, recordBytes } from './budget';
import { formatBytes, type FreeSpaceCheck } from './fs-errors';
import { checkpointIterations, pruneCheckpoints, type CheckpointPrefix } from './checkpoints';
import { newestVerifiedCheckpoint } from './verify';

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

/** What a run counts in: `hop train` in iterations, `hop pretrain` and `hop world-model` in epochs. */
export type RunUnit = 'iteration' | 'epoch';

/** What every long command returns; each command adds its own counts. */
export interface RunOutcome {
  status: RunStatus;
  runDir: string;
  /** Seconds of wall time over every invocation of the run. */
  elapsed: number;
}

/** What `hop train` (any algorithm) returns. */
export interface RunResult extends RunOutcome {
  iterations: number;
  /** The last greedy evaluation record, if any. */
  lastEval: RunMetric | null;
}

/** The run clock's totals, kept in every checkpoint (state.json) and carried over by a resume. */
export interface RunTime {
  /** Seconds of wall time over every invocation. */
  elapsed: number;
  /** CPU seconds over the same spans; absent in checkpoints written before it was recorded. */
  cpuSeconds?: number;
}

/** The counters of `hop train`'s loops (state.json). */
export interface RunCounters extends RunTime {
  iteration: number;
}

/** Where a run stands, as its records say it: `epoch` is the unit count (iterations for `hop train`), `step` the optimiser steps. */
export interface RunAt {
  epoch: number;
  step: number;
}

/**
 * The free space a fresh run needs: the checkpoints on disk at once (each the tensors `open` left alive x 3 with
 * Adam's moments, plus `extraBytes`) and the records of `length` units; or a command's own estimate (`check`).
 */
export type RunSpace<S> =
  | {
      what: string;
      /** Units of the run (iterations or epochs): its records grow with them. */
      length: number;
      /** Checkpoint directories on disk at once (default: 2 kept + 1 being written). */
      copies?: number;
      /** Why that many, in the error (default: "2 kept + 1 being written"). */
      copiesWhy?: string;
      extraBytes?: (setup: S) => number;
      freeBytes?: (path: string) => number;
    }
  | { check: (setup: S, tensorBytes: number) => FreeSpaceCheck };

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
export async function startRun<S, R extends RunOutcome = RunResult>(p: {
  command: string;
  out: string;
  config: unknown;
  log: (line: string) => void;
  open: () => Promise<S>;
  inputs: (setup: S) => Record<string, unknown>;
  dispose: (setup: S) => void;
  hasCheckpoint: (run: RunDir) => boolean;
  seed: number;
  body: (run: RunDir, setup: S) => Promise<R>;
  /** The run's space check (default: `hop <command>`, no records counted). */
  space?: RunSpace<S>;
}): Promise<R> {
  const environment = await prepareEnvironment(p.log);
  // The tensors `open` leaves alive (networks, co-player models, world model) are what a checkpoint saves, at most.
  const before = tf.memory().numBytes;
  const setup = await p.open();
  const tensorBytes = Math.max(0, tf.memory().numBytes - before);
  const run = new RunDir(p.out);
  try {
    run.create(p.command, p.config, environment, p.inputs(setup), spaceCheck(p.space ?? { what: `hop ${p.command}`, length: 0 }, setup, tensorBytes));
  } catch (e) {
    p.dispose(setup);
    throw e;
  }
  p.log(`seed ${p.seed}; run directory ${run.root}`);
  return run.guardStart(() => p.hasCheckpoint(run), () => p.body(run, setup), p.log);
}

function spaceCheck<S>(space: RunSpace<S>, setup: S, tensorBytes: number): FreeSpaceCheck {
  if ('check' in space) return space.check(setup, tensorBytes);
  const extra = space.extraBytes?.(setup) ?? 0;
  const one = checkpointBytes(tensorBytes, extra);
  const records = recordBytes(space.length);
  const copies = space.copies ?? CHECKPOINTS_AT_ONCE;
  const extraText = space.extraBytes ? `, ${formatBytes(extra)} of online buffers and co-player pairs` : '';
  return {
    bytes: copies * one + records,
    what:
      `${space.what}: ${copies} checkpoints on disk at once (${space.copiesWhy ?? '2 kept + 1 being written'}) of at most ${formatBytes(one)} each ` +
      `(${formatBytes(tensorBytes)} of weights x 3 with Adam's moments${extraText}), ` +
      `and ${formatBytes(records)} of records and report; an upper bound`,
    freeBytes: space.freeBytes,
  };
}

/**
 * Reads a run's config.json for `--resume`, once (the command hands it on), checks that `command` made the run
 * (E_RUN otherwise), locks the run (E_RUN_LOCKED when another process writes it) and resolves the config the
 * resume runs with (`resolve`: the saved one with the flags a resume may change; the lock is released when it throws).
 */
export function openForResume<C, R>(dir: string, command: string, what: string, resolve: (file: RunConfigFile<C>, run: RunDir) => R): { run: RunDir; file: RunConfigFile<C>; config: R } {
  const run = new RunDir(dir);
  const file = run.readConfig<C>();
  if (file.command !== command) throw new HopError('E_RUN', `${run.root} is a '${file.command}' run, not ${what}`);
  run.acquire(`${command} --resume`);
  try {
    return { run, file, config: resolve(file, run) };
  } catch (e) {
    run.close();
    throw e;
  }
}

/**
 * Continues a run from its newest complete checkpoint (`point()` picks it, null: from the start): warns when
 * the inference engine changed, opens the setup, checks the requested length against what is done, keeps the
 * metric records up to the checkpoint (`keep`) and records this invocation's environment in config.json (read
 * once, by the command: `file`). `done` is the count of `unit`s the setup's checkpoint holds.
 */
export async function resumeRun<S>(p: {
  run: RunDir;
  file: RunConfigFile<unknown>;
  config: unknown;
  log: (line: string) => void;
  point: () => string | null;
  open: (point: string | null) => Promise<S>;
  seed: number;
  done: (setup: S) => number;
  /** iteration (default) or epoch: the resume's log line and its budget flag (--iterations / --epochs). */
  unit?: RunUnit;
  /** The records kept (default: events, and the others up to step `done`). */
  keep?: (record: RunMetric, setup: S) => boolean;
  /** Where inside the next unit the checkpoint stands (", batch 3"); default nothing. */
  detail?: (setup: S) => string;
  /** What "no checkpoint in ..." names (default: the run's checkpoints/). */
  checkpointsDir?: string;
  /** The requested length on resume against what the run planned: never below what it has done (E_RESUME_BUDGET). */
  budget?: { requested: number | undefined; planned: number };
  /** Releases what `open` built when the resume is refused after it. */
  dispose?: (setup: S) => void;
}): Promise<S> {
  const { run, log } = p;
  const unit = p.unit ?? 'iteration';
  let setup: S | undefined;
  // Anything that throws from here on (the environment probe, open, the budget check, reopen rewriting
  // metrics.jsonl on a full disk) must not leave the run locked or its models alive for in-process callers.
  try {
    const environment = await prepareEnvironment(log);
    warnEngineChange(p.file.resumes?.at(-1) ?? p.file.environment, environment, log);
    const point = p.point();
    const opened = await p.open(point);
    setup = opened;
    const done = p.done(opened);
    if (p.budget) checkResumeBudget({ run: run.root, flag: `--${unit}s`, unit: `${unit}s`, requested: p.budget.requested, done, planned: p.budget.planned });
    const keep = p.keep ?? ((r: RunMetric) => r.kind === 'event' || r.step <= done);
    run.reopen(environment, (r) => keep(r, opened), p.config, p.file);
    if (!point) log(`no checkpoint in ${p.checkpointsDir ?? run.checkpointsDir}: restarting the run from ${unit} 1 (seed ${p.seed})`);
    else log(`resuming ${run.root} from ${relative(run.root, point)}: ${unit} ${done + 1}${p.detail?.(opened) ?? ''} (seed ${p.seed})`);
    return opened;
  } catch (e) {
    if (setup !== undefined) p.dispose?.(setup);
    run.close();
    throw e;
  }
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

/** A run's event record (start, resume, warm-start, interrupt, end) of `hop train`. */
export function runEvent(state: RunCounters, name: string): RunMetric {
  return eventRecord(name, { epoch: state.iteration, step: state.iteration }, state);
}

/** An event record of any run: where it stands and its clock. */
export function eventRecord(name: string, at: RunAt, time: RunTime): RunMetric {
  return { kind: 'event', event: name, epoch: at.epoch, step: at.step, time: round(time.elapsed), at: new Date().toISOString() };
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
  return interruptTail({
    run,
    command: p.command,
    log: p.log,
    at: { epoch: state.iteration, step: state.iteration },
    time: state,
    where: `after iteration ${state.iteration}`,
    result: { status: 'interrupted', runDir: run.root, iterations: state.iteration, lastEval: p.lastEval, elapsed: state.elapsed },
  });
}

/**
 * How every long command ends on Ctrl-C, once its checkpoint is saved: an `interrupt` event (at the run clock,
 * wall and CPU), the line saying
 * where it stopped and what was saved, and the command that continues it. `where` is "after epoch 2" at a
 * unit's end, or "in epoch 2 after batch 5/9" when a command saved a checkpoint inside a unit (`saved`: where).
 */
export function interruptTail<R extends RunOutcome>(p: {
  run: RunDir;
  command: string;
  log: (line: string) => void;
  at: RunAt;
  time: RunTime;
  where: string;
  /** Where the checkpoint went; null: the run stopped before its first one (a resume starts from the beginning). */
  saved?: string | null;
  result: R;
}): R {
  // The CPU clock too: a command whose checkpoint is behind the stop (world-model: the last complete epoch) goes on from this record.
  const event = eventRecord('interrupt', p.at, p.time);
  if (p.time.cpuSeconds !== undefined) event['perf/cpu_seconds'] = round(p.time.cpuSeconds);
  p.run.appendMetrics(event);
  const saved = p.saved === null ? 'no checkpoint yet (a resume starts from the beginning)' : `checkpoint saved${p.saved ? ` to ${p.saved}` : ''}`;
  p.log(`interrupted ${p.where}; ${saved}\ncontinue with: ${continueWith(p.command, p.run.root)}`);
  return { ...p.result, status: 'interrupted' };
}

/**
 * A stop inside a unit (a pretraining epoch is minutes of batches on real data): the command's `save` writes
 * its state into the run's Ctrl-C checkpoint (`checkpoints/interrupt/`), then the interrupt tail. A resume
 * starts from it when it is ahead of the last complete unit (resumePoint); the next unit's checkpoint removes
 * it (unitCheckpointSaved). Nothing trained is lost, and the resumed run ends as the uninterrupted one.
 */
export async function stopInsideUnit<R extends RunOutcome>(
  p: Omit<Parameters<typeof interruptTail<R>>[0], 'saved'> & { save: (dir: string) => Promise<void> },
): Promise<R> {
  await p.save(p.run.interruptCheckpoint);
  return interruptTail({ ...p, saved: p.run.interruptCheckpoint });
}

/** After a unit's checkpoint is written: the two newest are kept, and a Ctrl-C checkpoint from inside an earlier unit goes. */
export async function unitCheckpointSaved(run: RunDir, prefix: CheckpointPrefix): Promise<void> {
  await pruneCheckpoints(run.checkpointsDir, prefix);
  await rm(run.interruptCheckpoint, { recursive: true, force: true });
}

/** A fresh run has something to resume from: a unit's checkpoint or a Ctrl-C one. */
export function hasRunCheckpoint(run: RunDir, prefix: CheckpointPrefix): boolean {
  return checkpointIterations(run.checkpointsDir, prefix).length > 0 || existsSync(run.interruptCheckpoint);
}

/**
 * The newest checkpoint that verifies: the Ctrl-C one when it is ahead of the last complete unit (`unitsDone`
 * reads that from its state.json), then the units' newest first. Damaged ones are moved aside
 * (`checkpoints/damaged-*`) and said so.
 */
export function resumePoint(
  run: RunDir,
  p: { prefix: CheckpointPrefix; required: readonly string[]; unitsDone: (state: unknown) => number; log: (line: string) => void },
): string | null {
  const units = checkpointIterations(run.checkpointsDir, p.prefix, false);
  const candidates: string[] = [];
  if (existsSync(run.interruptCheckpoint)) {
    let ahead = true;
    try {
      ahead = p.unitsDone(JSON.parse(readFileSync(join(run.interruptCheckpoint, 'state.json'), 'utf8'))) >= (units[0] ?? 0);
    } catch {
      // Unreadable: a candidate that verification will reject and move aside.
    }
    if (ahead) candidates.push(run.interruptCheckpoint);
  }
  for (const u of units) candidates.push(join(run.checkpointsDir, `${p.prefix}-${u}`));
  return newestVerifiedCheckpoint(candidates, p.required, p.log);
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

  constructor(private readonly state: RunTime) {}

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
export function spentMetrics(spent: { wall: number; cpu: number }, state: RunTime): Record<string, number> {
  return { 'time/cpu': spent.cpu, ...(state.cpuSeconds !== undefined ? { 'perf/cpu_seconds': round(state.cpuSeconds) } : {}) };
}

/** The clock a run's records end on (`time`, `perf/cpu_seconds` of the last that has them): where a resumed run's clock goes on from. */
export function clockOfRecords(records: readonly MetricRecord[]): RunTime {
  let elapsed = 0;
  let cpuSeconds: number | undefined;
  for (const r of records) {
    if (typeof r.time === 'number') elapsed = r.time;
    if (typeof r['perf/cpu_seconds'] === 'number') cpuSeconds = r['perf/cpu_seconds'];
  }
  return { elapsed, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) };
}
