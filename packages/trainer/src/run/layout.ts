import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  CONFIG_FILE,
  HopError,
  METRICS_FILE,
  RunWriter,
  readMetrics,
  writeFileAtomic as coreWriteFileAtomic,
  writeFileAtomicSync,
  type MetricRecord,
  type RunEnvironment,
} from '@hop/core';
import { DirLock } from './lock';
import { removeStaleStaging } from './staging';
import { assertFreeSpace, assertWritable, fsErrorToHop, type FreeSpaceCheck } from './fs-errors';
import { refuseForeignArtifacts } from './artifacts';
import { configChanges, describeChanges, type ConfigChange } from './resume-budget';

/**
 * The layout of a run directory, the same for every command:
 *
 *   config.json            command, validated config (seed included), environment (backend and why, machine)
 *   environment.json       the same environment as @hop/core's RunWriter records it
 *   metrics.jsonl          one JSON record per line, append-only: kind "train" (every logEvery steps),
 *                          "epoch" (validation metrics), "event" (start, resume, interrupt, end)
 *   checkpoints/epoch-N/   a complete checkpoint after epoch N (written atomically; the two newest are kept)
 *   checkpoints/interrupt/ where Ctrl-C stopped inside an epoch
 *   eval/epoch-N.json|csv  the full validation evaluation (per-class table, confusion matrix)
 *   plots/*.svg            the pictures of the report, one file each
 *   pairs/                 per-pair models player_i_to_j (pretrain)
 *   report.html            self-contained report (`hop report`)
 *   .lock/, .lock.json     held while a command writes the run (proper-lockfile; the json names the holder's pid)
 */
export interface RunConfigFile<C = unknown> {
  format: 'hop-run';
  version: 1;
  command: string;
  config: C;
  /** The machine, tfjs version and backend (chosen and why) of the first invocation. */
  environment: RunEnvironment;
  /** Facts about the inputs (e.g. the dataset: size, split, class distribution). */
  inputs?: Record<string, unknown>;
  /** Environments of later resumes, appended. */
  resumes?: RunEnvironment[];
  /** Settings changed by resumes (e.g. a longer budget), appended: `config` is the current one. */
  configChanges?: { at: string; changes: ConfigChange[] }[];
}

/** The records this package writes (core's MetricRecord with the fields every record has). */
export interface RunMetric extends MetricRecord {
  /** `iteration` and `eval` are written by `hop train` (one per self-play iteration / greedy evaluation). */
  kind: 'train' | 'epoch' | 'event' | 'iteration' | 'eval';
  epoch: number;
  step: number;
  /** Seconds of wall time in the training loop since the run started (resumes continue the count). */
  time: number;
}

/** A run writes TensorBoard events unless its config says `tensorboard: false` (--no-tensorboard). */
function wantsTensorBoard(config: unknown): boolean {
  return !(typeof config === 'object' && config !== null && (config as { tensorboard?: unknown }).tensorboard === false);
}

export class RunDir {
  readonly root: string;
  private writer: RunWriter | null = null;
  private lock: DirLock | null = null;
  /** Entries of the directory before create() (null when create() made the directory): what a failed start keeps. */
  private before: Set<string> | null | undefined = undefined;
  constructor(root: string) {
    this.root = resolve(root);
  }
  get configPath(): string {
    return join(this.root, CONFIG_FILE);
  }
  get metricsPath(): string {
    return join(this.root, METRICS_FILE);
  }
  get checkpointsDir(): string {
    return join(this.root, 'checkpoints');
  }
  epochCheckpoint(epoch: number): string {
    return join(this.checkpointsDir, `epoch-${epoch}`);
  }
  get interruptCheckpoint(): string {
    return join(this.checkpointsDir, 'interrupt');
  }
  get plotsDir(): string {
    return join(this.root, 'plots');
  }
  get evalDir(): string {
    return join(this.root, 'eval');
  }
  evalPath(epoch: number, ext: 'json' | 'csv'): string {
    return join(this.evalDir, `epoch-${epoch}.${ext}`);
  }
  get pairsDir(): string {
    return join(this.root, 'pairs');
  }
  get reportPath(): string {
    return join(this.root, 'report.html');
  }

  /**
   * Starts a fresh run: refuses a directory that already holds one (use --resume or another --out). `space`:
   * what the run will write at most, refused (E_DISK_FULL) when the filesystem has less free space.
   */
  create<C>(command: string, config: C, environment: RunEnvironment, inputs?: Record<string, unknown>, space?: FreeSpaceCheck): void {
    // Before anything is made: a writable place (a read-only one says so, not "full") that holds no other
    // command's artifacts and has room for what the run will write.
    assertWritable(this.root, 'dir');
    refuseForeignArtifacts(this.root, 'run');
    if (space) assertFreeSpace(this.root, space.bytes, space.what, space.freeBytes);
    const existed = existsSync(this.root);
    const before = existed ? new Set(readdirSync(this.root)) : null;
    mkdirSync(this.root, { recursive: true });
    this.acquire(command);
    if (existsSync(this.configPath) || existsSync(this.metricsPath)) {
      this.releaseLock();
      throw new HopError(
        'E_RUN_EXISTS',
        `${this.root} already holds a run; continue it with --resume ${this.root}, or choose another --out`,
      );
    }
    this.before = before;
    const file: RunConfigFile<C> = { format: 'hop-run', version: 1, command, config, environment, ...(inputs ? { inputs } : {}) };
    try {
      this.writer = new RunWriter(this.root, { config: file, overwrite: true, tensorboard: wantsTensorBoard(config) });
    } catch (e) {
      // A full disk while writing config.json: nothing half-made stays behind to block the same --out.
      this.discardFailedStart();
      throw fsErrorToHop(e, this.configPath) ?? e;
    }
  }

  readConfig<C = unknown>(): RunConfigFile<C> {
    let text: string;
    try {
      text = readFileSync(this.configPath, 'utf8');
    } catch {
      throw new HopError('E_RUN_MISSING', `${this.root} is not a run directory (no config.json); give the directory a hop command wrote with --out`);
    }
    let parsed: RunConfigFile<C>;
    try {
      parsed = JSON.parse(text) as RunConfigFile<C>;
    } catch (e) {
      throw new HopError('E_RUN_CORRUPT', `${this.configPath} is not valid JSON (${(e as Error).message})`);
    }
    if (parsed.format !== 'hop-run')
      throw new HopError('E_RUN_CORRUPT', `${this.configPath} is not a hop run config (format ${String(parsed.format)})`);
    return parsed;
  }

  /**
   * Reopens a run to continue it: keeps the metric records `keep` accepts (those up to the checkpoint
   * resumed from; a kill between a metrics write and the next checkpoint leaves later ones), records the
   * environment of this invocation, and returns the kept records. `read` is config.json as the caller
   * already read it (a resume reads it once).
   */
  reopen(environment: RunEnvironment, keep: (r: RunMetric) => boolean, config?: unknown, read?: RunConfigFile<unknown>): RunMetric[] {
    const file = read ? { ...read } : this.readConfig();
    this.acquire(`${file.command} --resume`);
    const changes = config === undefined ? [] : configChanges(file.config, config);
    const at = new Date().toISOString();
    if (config !== undefined) file.config = config;
    file.resumes = [...(file.resumes ?? []), environment];
    if (changes.length) file.configChanges = [...(file.configChanges ?? []), { at, changes }];
    // A kill inside create() can leave config.json without metrics.jsonl: nothing to keep then.
    const kept = existsSync(this.metricsPath) ? this.readMetrics().filter(keep) : [];
    writeFileAtomicSync(this.metricsPath, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    this.writer = new RunWriter(this.root, { config: file, tensorboard: wantsTensorBoard(file.config) });
    if (changes.length) {
      const last = kept.at(-1);
      this.appendMetrics({ kind: 'event', event: 'config-change', changes: describeChanges(changes), epoch: last?.epoch ?? 0, step: last?.step ?? 0, time: last?.time ?? 0, at });
    }
    return kept;
  }

  /**
   * The run's RunWriter, for trainers of other packages that log their own records into the run; `stamp` adds
   * what the run's lifecycle puts on every record (its clock) to each one before it is written.
   */
  writerForExtensions(stamp?: (record: MetricRecord) => MetricRecord): RunWriter {
    const writer = this.writer;
    if (!writer) throw new HopError('E_RUN', `${this.root}: create() or reopen() the run first`);
    if (!stamp) return writer;
    // The same writer (its directory, file and counts) with `log` going through `stamp`.
    return Object.assign(Object.create(writer) as RunWriter, { log: (record: MetricRecord) => writer.log(stamp(record)) });
  }

  appendMetrics(record: RunMetric): void {
    if (!this.writer) throw new HopError('E_RUN', `${this.root}: create() or reopen() the run before logging`);
    this.writer.log(record);
  }

  /** All records (a torn last line from a kill is ignored). */
  readMetrics(): RunMetric[] {
    if (!existsSync(this.metricsPath)) throw new HopError('E_RUN_MISSING', `${this.root} has no metrics.jsonl; is it a run directory?`);
    return readMetrics(this.root) as RunMetric[];
  }

  /** Closes the metrics writer and releases the run lock. */
  close(): void {
    this.writer?.close();
    this.writer = null;
    this.releaseLock();
  }

  /**
   * Takes the run's lock (E_RUN_LOCKED naming the holder's pid when another process writes the run). Taken
   * by create() and reopen(); held until close() or the process exits.
   */
  acquire(command: string): void {
    if (this.lock?.held) return;
    this.lock = DirLock.acquire(this.root, {
      lockPath: join(this.root, '.lock'),
      what: `run directory ${this.root}`,
      command: `hop ${command}`,
      code: 'E_RUN_LOCKED',
    });
  }

  private releaseLock(): void {
    this.lock?.release();
    this.lock = null;
  }

  /**
   * Removes what create() made (the whole directory when create() made it, else only the entries it added),
   * so a start that failed before its first checkpoint does not block the same --out. Returns whether
   * anything was removed; does nothing for a run this object did not create.
   */
  discardFailedStart(): boolean {
    if (this.before === undefined) return false;
    this.close();
    const before = this.before;
    this.before = undefined;
    if (!existsSync(this.root)) return false;
    if (before === null) rmSync(this.root, { recursive: true, force: true });
    else for (const name of readdirSync(this.root)) if (!before.has(name)) rmSync(join(this.root, name), { recursive: true, force: true });
    return true;
  }

  /**
   * Runs the body of a fresh run; when it throws before `hasCheckpoint()` is true, the run directory is
   * removed again (see discardFailedStart) and the error is passed on with a note.
   */
  async guardStart<T>(hasCheckpoint: () => boolean, body: () => Promise<T>, log: (line: string) => void): Promise<T> {
    try {
      return await body();
    } catch (e) {
      if (!hasCheckpoint() && this.discardFailedStart())
        log(`the run failed before its first checkpoint; removed what it had written in ${this.root}`);
      throw e;
    }
  }

  /** Epoch numbers with a complete checkpoint, ascending. */
  completeEpochs(): number[] {
    if (!existsSync(this.checkpointsDir)) return [];
    return readdirSync(this.checkpointsDir)
      .map((n) => /^epoch-(\d+)$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }
}

/** Core's atomic write (temp file, fsync, rename), creating the run's sub-directory first. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await coreWriteFileAtomic(path, [data]);
  } catch (e) {
    // A write on a descriptor does not say which file: the named error does.
    throw fsErrorToHop(e, path) ?? e;
  }
}

/**
 * Writes a directory atomically: `fill` writes into a temporary sibling, which then replaces `dir`
 * (an old `dir` is removed first; a kill in between leaves the temporary, never a half directory).
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await fill(tmp);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  removeStaleStaging(dirname(dir));
}
