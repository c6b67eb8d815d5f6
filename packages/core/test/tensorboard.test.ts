import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunWriter, TensorBoardWriter, type MetricRecord, decodeTfEvents, maskedCrc32c, readMetrics, scalarEvent, tfRecord } from '../src/index';

/**
 * CRC-32C restated bit by bit from its definition (reflected polynomial 0x82F63B78, init and final XOR
 * 0xFFFFFFFF), independent of the npm library the writer uses.
 */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const referenceMask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

describe('TensorBoard event files', () => {
  it('masked CRC-32C: the standard check values, masked by hand', () => {
    // CRC-32C("123456789") = 0xE3069283 (the catalogue's check value); 32 zero bytes: 0x8A9136AA (RFC 3720 B.4).
    expect(referenceCrc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(referenceCrc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    // Mask of 0xE3069283: rotate right 15 -> (c >>> 15) = 0x0001C60D, (c << 17) mod 2^32 = 0x25060000,
    // OR = 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5 (mod 2^32). Catches a wrong rotation or a missing constant.
    expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe(0xc78ab0e5);
    expect(maskedCrc32c(new Uint8Array(32))).toBe(referenceMask(0x8a9136aa));
  });

  it('a one-scalar Event and its TFRecord framing, byte for byte from event.proto / summary.proto', () => {
    // Event { wall_time: 1.5 (field 1, fixed64), step: 3 (field 2, varint), summary (field 5, bytes) {
    //   value (field 1, bytes) { tag: "a" (field 1, bytes), simple_value: 0.5 (field 2, fixed32) } } }
    const value = [0x0a, 0x01, 0x61, 0x15, 0x00, 0x00, 0x00, 0x3f]; // 0.5f = 0x3F000000
    const summary = [0x0a, value.length, ...value];
    const event = [0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 0x03, 0x2a, summary.length, ...summary]; // 1.5 = 0x3FF8000000000000
    expect(event.length).toBe(23);
    const bytes = scalarEvent(1.5, 3, [['a', 0.5]]);
    expect(Array.from(bytes)).toEqual(event);
    const len = [23, 0, 0, 0, 0, 0, 0, 0];
    const framed = [...len, ...u32(referenceMask(referenceCrc32c(Uint8Array.from(len)))), ...event, ...u32(referenceMask(referenceCrc32c(Uint8Array.from(event))))];
    expect(Array.from(tfRecord(bytes))).toEqual(framed);
    expect(decodeTfEvents(Uint8Array.from(framed))).toEqual([{ wallTime: 1.5, step: 3, scalars: { a: 0.5 } }]);
  });

  it('RunWriter(tensorboard): the event file holds exactly the numbers of metrics.jsonl (as float32), at global_step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hop-tb-'));
    const w = new RunWriter(dir, { tensorboard: true });
    const records: MetricRecord[] = [
      { kind: 'train', step: 1, epoch: 0, 'losses/policy': 1.2345678901, 'charts/alpha': 0 },
      { kind: 'iteration', step: 1, global_step: 240, time: 3.5, 'charts/episodic_return': -0.1, 'perf/note': 'text', ok: true },
      { kind: 'eval', step: 2, global_step: 480, 'eval/episodic_return': Number.NaN, 'x/inf': Number.POSITIVE_INFINITY },
    ];
    for (const r of records) w.log(r);
    w.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    const events = decodeTfEvents(readFileSync(join(dir, files[0])));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events[0].scalars).toEqual({});
    const back = readMetrics(dir);
    expect(events.slice(1).map((e) => e.step)).toEqual([1, 240, 480]);
    events.slice(1).forEach((e, i) => {
      const expected = Object.fromEntries(
        Object.entries(back[i])
          .filter(([k, v]) => typeof v === 'number' && !['step', 'global_step', 'epoch', 'time'].includes(k))
          .map(([k, v]) => [k, Math.fround(v as number)]),
      );
      expect(e.scalars).toEqual(expected);
    });
    // 1.2345678901 is not a float32: the event holds its nearest float32, not the double.
    expect(events[1].scalars['losses/policy']).not.toBe(1.2345678901);
    expect(Number.isNaN(events[3].scalars['eval/episodic_return'])).toBe(true);
  });

  it('a corrupted byte is caught by a CRC (length or data), a torn tail is not an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hop-tb-'));
    const w = new TensorBoardWriter(dir, { fileName: 'events.out.tfevents.1.test', clock: () => 7 });
    w.addScalars(5, [['loss', 0.25]]);
    w.close();
    const good = readFileSync(w.path);
    expect(decodeTfEvents(good).map((e) => [e.wallTime, e.step, e.scalars])).toEqual([
      [7, 0, {}],
      [7, 5, { loss: 0.25 }],
    ]);
    let caught = 0;
    for (let at = 0; at < good.length; at++) {
      const bad = Uint8Array.from(good);
      bad[at] ^= 0x10;
      let threw = false;
      try {
        decodeTfEvents(bad);
      } catch (e) {
        threw = /CRC/.test((e as Error).message);
      }
      // A flip in a length field may instead make the record look torn (longer than the file): also no silent value.
      if (threw) caught++;
    }
    // Every byte of both records is covered by one of the two CRCs (or is a CRC): all flips are caught.
    expect(caught).toBe(good.length);
    writeFileSync(join(dir, 'torn'), good.subarray(0, good.length - 3));
    expect(decodeTfEvents(readFileSync(join(dir, 'torn')))).toHaveLength(1);
  });
});
