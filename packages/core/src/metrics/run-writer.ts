import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, fstatSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HopError } from '../errors';
import { writeFileAtomicSync } from '../io/atomic';
import { captureEnvironment, type RunEnvironment } from './environment';
import { TensorBoardWriter } from './tensorboard';

/** A logged value. Non-finite numbers are stored as the strings "NaN", "Infinity", "-Infinity". */
export type MetricValue = number | string | boolean | null;
export type MetricRecord = Record<string, MetricValue>;

export interface RunWriterOptions {
  /** Written to `config.json` at once (atomically); `writeConfig` can replace it later. */
  config?: unknown;
  /** fsync after every line: survives power loss, not just a crash of the process. Default false. */
  fsync?: boolean;
  /** Start `metrics.jsonl` empty instead of appending to what an earlier run left. Default false. */
  overwrite?: boolean;
  /**
   * Also write every record's numbers to a TensorBoard event file `events.out.tfevents.*` in the directory
   * (see `TensorBoardWriter`; a new file per writer, as TensorFlow does). Default false.
   */
  tensorboard?: boolean;
}

export const METRICS_FILE = 'metrics.jsonl';
export const CONFIG_FILE = 'config.json';
export const ENVIRONMENT_FILE = 'environment.json';

/**
 * A run directory:
 *
 *     dir/config.json        the run's config (atomic rewrite)
 *     dir/environment.json   node, platform, CPUs, tfjs backend, git commit at open (atomic)
 *     dir/metrics.jsonl      one JSON record per line, append-only
 *     dir/metrics.csv        `writeCsv()`: the records as a table, one column per key ever logged
 *     dir/events.out.tfevents.*  with `tensorboard: true`: the same numbers for TensorBoard
 *
 * Every record is one `write(2)` of a whole line to a file opened with O_APPEND, so a crashed process
 * leaves only complete lines; a power loss (without `fsync: true`) at most a torn last line, which
 * `readMetrics` ignores and the next RunWriter on the directory cuts off before appending.
 */
export class RunWriter {
  readonly dir: string;
  readonly environment: RunEnvironment;
  private fd: number | null;
  private readonly fsync: boolean;
  private written = 0;
  /** The event file writer when `tensorboard` is on. */
  readonly tensorboard: TensorBoardWriter | null;

  constructor(dir: string, options: RunWriterOptions = {}) {
    this.dir = resolve(dir);
    this.fsync = options.fsync ?? false;
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, METRICS_FILE);
    this.fd = openSync(path, options.overwrite ? 'w' : 'a+');
    if (!options.overwrite) cutTornTail(this.fd);
    this.environment = captureEnvironment();
    writeFileAtomicSync(join(this.dir, ENVIRONMENT_FILE), `${JSON.stringify(this.environment, null, 2)}\n`);
    if (options.config !== undefined) this.writeConfig(options.config);
    this.tensorboard = options.tensorboard ? new TensorBoardWriter(this.dir) : null;
  }

  /** Replaces `config.json` atomically. */
  writeConfig(config: unknown): void {
    let text: string;
    try {
      text = JSON.stringify(config, null, 2);
    } catch (e) {
      throw new HopError('E_METRICS', `${this.dir}: the config cannot be written as JSON (${(e as Error).message})`, { cause: e });
    }
    writeFileAtomicSync(join(this.dir, CONFIG_FILE), `${text}\n`);
  }

  /** Appends one record as one line. */
  log(record: MetricRecord): void {
    const fd = this.fd;
    if (fd === null) throw new HopError('E_METRICS', `${this.dir}: log() after close()`);
    writeSync(fd, formatMetricLine(record, this.dir));
    if (this.fsync) fsyncSync(fd);
    this.tensorboard?.addRecord(record);
    this.written++;
  }

  /** Records this writer appended (not counting earlier runs in the same directory). */
  get lines(): number {
    return this.written;
  }

  /** Every record in the directory, earlier runs included. */
  readMetrics(): MetricRecord[] {
    return readMetrics(this.dir);
  }

  toCsv(): string {
    return metricsToCsv(this.readMetrics());
  }

  /** Writes `metrics.csv` (atomically) and returns its path. */
  writeCsv(name = 'metrics.csv'): string {
    return this.writeFile(name, this.toCsv());
  }

  /** Writes any report artifact (an SVG chart, a summary) into the run directory, atomically. */
  writeFile(name: string, content: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
      throw new HopError('E_METRICS', `'${name}' is not a plain file name; use letters, digits, '_', '.', '-'`);
    const path = join(this.dir, name);
    writeFileAtomicSync(path, content);
    return path;
  }

  close(): void {
    if (this.fd === null) return;
    this.tensorboard?.close();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Drops a torn last line (no trailing newline) so the next record starts on a line of its own. */
function cutTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const chunk = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  // Find the last '\n', reading backwards in chunks.
  while (end > 0) {
    const len = Math.min(chunk.length, end);
    readSync(fd, chunk, 0, len, end - len);
    const i = chunk.subarray(0, len).lastIndexOf(0x0a);
    if (i >= 0) {
      const keep = end - len + i + 1;
      if (keep !== size) ftruncateSync(fd, keep);
      return;
    }
    end -= len;
  }
  ftruncateSync(fd, 0);
}

function encodeRecord(dir: string, record: MetricRecord): Record<string, MetricValue> {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    throw new HopError('E_METRICS', `${dir}: log() takes an object of name -> value, got ${JSON.stringify(record)}`);
  const out: Record<string, MetricValue> = {};
  for (const [k, v] of Object.entries(record)) {
    if (typeof v === 'number') out[k] = Number.isFinite(v) ? v : String(v);
    else if (v === null || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else
      throw new HopError(
        'E_METRICS',
        `${dir}: metric '${k}' is ${typeof v === 'object' ? 'an object' : `a ${typeof v}`}; log numbers, strings, booleans or null`,
      );
  }
  return out;
}

/**
 * One record as its metrics.jsonl line (newline included), non-finite numbers as strings. Use it to
 * rewrite a log (e.g. keep the records up to a checkpoint) in the format `readMetrics` reads back.
 */
export function formatMetricLine(record: MetricRecord, where = 'metrics'): string {
  return `${JSON.stringify(encodeRecord(where, record))}\n`;
}

const NON_FINITE: Record<string, number> = { NaN, Infinity, '-Infinity': -Infinity };

/**
 * Reads `dir/metrics.jsonl`. A last line without its newline that does not parse is a write cut short
 * and is ignored; a bad line anywhere else is a HopError naming the line.
 */
export function readMetrics(dir: string): MetricRecord[] {
  const path = join(resolve(dir), METRICS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HopError('E_METRICS', `${path}: cannot read the metrics (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const lines = text.split('\n');
  const out: MetricRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const last = i === lines.length - 1; // only the final piece can lack its newline
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      if (last) return; // torn by a crash mid-write
      throw new HopError('E_METRICS', `${path}:${i + 1}: not a JSON record (${(e as Error).message}); the file is corrupt`, { cause: e });
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      if (last) return;
      throw new HopError('E_METRICS', `${path}:${i + 1}: not a JSON object`);
    }
    const r = rec as MetricRecord;
    for (const [k, v] of Object.entries(r)) if (typeof v === 'string' && v in NON_FINITE) r[k] = NON_FINITE[v];
    out.push(r);
  });
  return out;
}

function csvCell(v: MetricValue | undefined): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV: one column per key that appears in any record (first-seen order), empty where absent. */
export function metricsToCsv(records: readonly MetricRecord[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records)
    for (const k of Object.keys(r))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  const rows = [columns.map(csvCell).join(',')];
  for (const r of records) rows.push(columns.map((c) => csvCell(r[c])).join(','));
  return `${rows.join('\r\n')}\r\n`;
}
