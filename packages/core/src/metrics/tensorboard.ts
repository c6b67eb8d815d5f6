import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32c } from '@aws-crypto/crc32c';
import protobuf from 'protobufjs/light.js';
import { HopError } from '../errors';
import type { MetricRecord } from './run-writer';

/**
 * TensorBoard event files (`events.out.tfevents.*`), scalars only, so that `tensorboard --logdir runs/` shows a
 * run's metrics as CleanRL / SB3 / RLlib users expect. The file is a TFRecord stream of `tensorflow.Event`
 * protos: each record is
 *
 *     uint64 length (little endian) | uint32 masked crc32c(length bytes) | data | uint32 masked crc32c(data)
 *
 * the first Event carries `file_version: "brain.Event:2"`, the others a `Summary` of `simple_value`s (float32:
 * TensorBoard's scalar type, so a logged double arrives rounded to the nearest float32).
 */

/** The two messages of tensorflow/core/util/event.proto and framework/summary.proto that scalars need. */
const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['file_version', 'summary'] } },
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              fields: {
                tag: { type: 'string', id: 1 },
                simple_value: { type: 'float', id: 2 },
              },
            },
          },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorflow.Event');

/** The masked CRC-32C of TFRecord framing: rotate right by 15 bits, add 0xa282ead8 (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: the framing above around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** The bytes of an Event proto holding the scalars `values` (tag -> value) at `step`. */
export function scalarEvent(wallTime: number, step: number, values: ReadonlyArray<readonly [string, number]>): Uint8Array {
  return EventType.encode(
    EventType.fromObject({ wall_time: wallTime, step, summary: { value: values.map(([tag, v]) => ({ tag, simple_value: v })) } }),
  ).finish();
}

/** The bytes of the first Event of every file: the format version. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return EventType.encode(EventType.fromObject({ wall_time: wallTime, file_version: 'brain.Event:2' })).finish();
}

/** Keys of a metrics record that are its position, not a scalar to plot. */
const POSITION_KEYS = new Set(['step', 'global_step', 'epoch', 'time']);

/**
 * The scalars of a metrics record as TensorBoard sees them: every finite or non-finite number under its own
 * name, except the record's position (step, global_step, epoch, time: the event's step and wall time say it).
 * The step is `global_step` where the record has one (env steps, CleanRL's x axis), else `step`.
 */
export function scalarsOf(record: MetricRecord, fallbackStep: number): { step: number; values: [string, number][] } {
  const values: [string, number][] = [];
  for (const [k, v] of Object.entries(record)) if (typeof v === 'number' && !POSITION_KEYS.has(k)) values.push([k, v]);
  const step = typeof record.global_step === 'number' ? record.global_step : typeof record.step === 'number' ? record.step : fallbackStep;
  return { step, values };
}

export interface TensorBoardWriterOptions {
  /** File name (default `events.out.tfevents.<unix seconds>.<hostname>.<pid>`, TensorFlow's pattern). */
  fileName?: string;
  /** Wall clock in seconds (tests pin it). Default `Date.now() / 1000`. */
  clock?: () => number;
}

/**
 * Appends scalar Events to a new event file in `dir`. Each Event is one `write(2)` of a whole record, so a
 * crash leaves complete records (TensorBoard stops reading at a torn last one).
 */
export class TensorBoardWriter {
  readonly path: string;
  private fd: number | null;
  private readonly clock: () => number;
  private written = 0;

  constructor(dir: string, options: TensorBoardWriterOptions = {}) {
    const root = resolve(dir);
    mkdirSync(root, { recursive: true });
    this.clock = options.clock ?? (() => Date.now() / 1000);
    const name = options.fileName ?? `events.out.tfevents.${Math.floor(this.clock())}.${hostname()}.${process.pid}`;
    if (!name.startsWith('events.out.tfevents.') || name.includes('/'))
      throw new HopError('E_METRICS', `'${name}' is not an event file name; TensorBoard reads only files named events.out.tfevents.*`);
    this.path = join(root, name);
    this.fd = openSync(this.path, 'a');
    writeSync(this.fd, tfRecord(fileVersionEvent(this.clock())));
  }

  /** Writes the scalars `values` at `step` as one Event (nothing when `values` is empty). */
  addScalars(step: number, values: ReadonlyArray<readonly [string, number]>): void {
    if (this.fd === null) throw new HopError('E_METRICS', `${this.path}: addScalars() after close()`);
    if (values.length === 0) return;
    writeSync(this.fd, tfRecord(scalarEvent(this.clock(), step, values)));
    this.written++;
  }

  /** Writes a metrics record's scalars (see `scalarsOf`). */
  addRecord(record: MetricRecord): void {
    const { step, values } = scalarsOf(record, this.written);
    this.addScalars(step, values);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** One decoded Event of an event file. */
export interface TfEvent {
  wallTime: number;
  step: number;
  /** Set on the first Event of a file. */
  fileVersion?: string;
  /** Tag -> simple_value of the Event's Summary. */
  scalars: Record<string, number>;
}

/**
 * Reads an event file written by any TensorFlow-compatible writer, checking both CRCs of every record. A torn
 * last record (a crash mid-write) ends the list; a CRC mismatch anywhere is a HopError naming the offset.
 */
export function decodeTfEvents(bytes: Uint8Array, where = 'event file'): TfEvent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TfEvent[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8)))
      throw new HopError('E_METRICS', `${where}: the length CRC of the record at byte ${at} does not match; the file is corrupt`);
    if (at + 12 + length + 4 > bytes.length) break; // torn by a crash
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== maskedCrc32c(data))
      throw new HopError('E_METRICS', `${where}: the data CRC of the record at byte ${at} does not match; the file is corrupt`);
    const o = EventType.toObject(EventType.decode(data), { longs: Number, defaults: true }) as {
      wall_time: number;
      step: number;
      file_version?: string;
      summary?: { value: { tag: string; simple_value: number }[] };
    };
    const scalars: Record<string, number> = {};
    for (const v of o.summary?.value ?? []) scalars[v.tag] = v.simple_value;
    out.push({ wallTime: o.wall_time, step: o.step, ...(o.file_version ? { fileVersion: o.file_version } : {}), scalars });
    at += 12 + length + 4;
  }
  return out;
}
