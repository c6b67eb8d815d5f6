import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HopError } from '../src/errors';
import { NpyReader, NpyWriter, readNpy, writeNpy, type NpyDType, type NpyData } from '../src/io/npy';
import { sampleData, tempDir } from './npy-helpers';

const { dir, cleanup } = tempDir('npy');
afterAll(cleanup);
let n = 0;
const file = (name = 'a') => join(dir, `${name}-${n++}.npy`);

/** A hand-made .npy file: `dict` is the header text, padded to 64 bytes like NumPy does. */
function rawNpy(dict: string, data: Uint8Array = new Uint8Array(0), version: 1 | 2 | 3 = 1): Buffer {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const head = Buffer.alloc(total, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(total - pre, 8);
  else head.writeUInt32LE(total - pre, 8);
  head.write(dict, pre, 'utf8');
  head[total - 1] = 0x0a;
  return Buffer.concat([head, data]);
}

const f32bytes = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

async function expectNpyError(path: string, pattern: RegExp): Promise<void> {
  const err = await readNpy(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HopError);
  expect((err as HopError).message).toContain(path);
  expect((err as HopError).message).toMatch(pattern);
  // The streaming reader checks the same things when it opens the file.
  expect(() => NpyReader.open(path)).toThrow(pattern);
}

describe('writeNpy', () => {
  it('writes the exact NumPy 1.0 layout: magic, 64-byte aligned header, little-endian C-order data', async () => {
    const p = file();
    await writeNpy(p, { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    const b = readFileSync(p);
    expect([...b.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLen = b.readUInt16LE(8);
    expect((10 + headerLen) % 64).toBe(0);
    const header = b.subarray(10, 10 + headerLen).toString('latin1');
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith('\n')).toBe(true);
    expect(b.length).toBe(10 + headerLen + 24);
    expect(b.readFloatLE(10 + headerLen + 4 * 5)).toBe(6);
  });

  it('writes 1-d shapes as Python 1-tuples and 0-d as ()', async () => {
    const p1 = file();
    const p0 = file();
    await writeNpy(p1, { dtype: 'int32', shape: [3], data: Int32Array.from([1, -2, 3]) });
    await writeNpy(p0, { dtype: 'float64', shape: [], data: Float64Array.from([2.5]) });
    expect(readFileSync(p1).toString('latin1')).toContain("'shape': (3,), }");
    expect(readFileSync(p0).toString('latin1')).toContain("'shape': (), }");
    expect(await readNpy(p0)).toEqual({ dtype: 'float64', shape: [], data: Float64Array.from([2.5]) });
  });

  it('rejects data that does not match the dtype or shape, and leaves no temp files', async () => {
    const p = file();
    await expect(writeNpy(p, { dtype: 'float32', shape: [2], data: Float64Array.from([1, 2]) })).rejects.toThrow(
      /float32 needs a Float32Array, got Float64Array/,
    );
    await expect(writeNpy(p, { dtype: 'int32', shape: [2, 2], data: new Int32Array(3) })).rejects.toThrow(
      /holds 4 elements, data has 3/,
    );
    await expect(writeNpy(p, { dtype: 'int32', shape: [-1], data: new Int32Array(0) })).rejects.toThrow(/non-negative/);
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('stores bool as 0 / 1 bytes whatever non-zero value the caller used', async () => {
    const p = file();
    await writeNpy(p, { dtype: 'bool', shape: [4], data: Uint8Array.from([0, 1, 7, 255]) });
    expect(readFileSync(p).toString('latin1')).toContain("'descr': '|b1'");
    expect((await readNpy(p)).data).toEqual(Uint8Array.from([0, 1, 1, 1]));
  });
});

describe('NpyWriter', () => {
  it('streams rows, rewrites the header with the final count and renames into place on close', async () => {
    const p = file();
    const w = await NpyWriter.open(p, 'float32', [2, 3]);
    await w.append(Float32Array.from({ length: 6 }, (_, i) => i));
    const chunk = Float32Array.from({ length: 12 }, (_, i) => 100 + i);
    const pending = w.append(chunk);
    chunk.fill(-1); // the writer copied the rows; reusing the buffer at once is safe
    await pending;
    expect(w.rows).toBe(3);
    expect(existsSync(p)).toBe(false); // nothing at the final name until close
    await w.close();
    const a = await readNpy(p);
    expect(a.shape).toEqual([3, 2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, ...Array.from({ length: 12 }, (_, i) => 100 + i)]);
    expect((10 + readFileSync(p).readUInt16LE(8)) % 64).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('closes an empty stream as shape (0, ...inner), and handles inner shapes without elements', async () => {
    const p = file();
    const w = await NpyWriter.open(p, 'int64', [4]);
    await w.close();
    expect(await readNpy(p)).toEqual({ dtype: 'int64', shape: [0, 4], data: new BigInt64Array(0) });
    const q = file();
    const z = await NpyWriter.open(q, 'uint8', [0, 2]);
    await expect(z.append(new Uint8Array(0))).rejects.toThrow(/pass the row count/);
    await z.append(new Uint8Array(0), 5);
    await z.close();
    expect((await readNpy(q)).shape).toEqual([5, 0, 2]);
  });

  it('rejects partial rows and writes after close', async () => {
    const p = file();
    const w = await NpyWriter.open(p, 'int32', [3]);
    await expect(w.append(new Int32Array(4))).rejects.toThrow(/4 elements are not whole rows of shape \[3\]/);
    await expect(w.append(new Float32Array(3))).rejects.toThrow(/Int32Array/);
    await w.close();
    await expect(w.append(new Int32Array(3))).rejects.toThrow(/after close/);
  });

  it('abort() leaves the previous file untouched and removes the temp file', async () => {
    const p = file();
    await writeNpy(p, { dtype: 'uint8', shape: [2], data: Uint8Array.from([9, 8]) });
    const w = await NpyWriter.open(p, 'uint8', [2]);
    await w.append(Uint8Array.from([1, 2, 3, 4]));
    await w.abort();
    expect((await readNpy(p)).data).toEqual(Uint8Array.from([9, 8]));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('NpyReader', () => {
  it('reads any rows at their offsets without loading the file', async () => {
    const p = file();
    const data = Int32Array.from({ length: 50 }, (_, i) => i * 3 - 7);
    await writeNpy(p, { dtype: 'int32', shape: [10, 5], data });
    const r = NpyReader.open(p);
    expect([r.dtype, r.shape, r.rows, r.rowSize, r.version]).toEqual(['int32', [10, 5], 10, 5, '1.0']);
    expect(r.readRows(7, 2)).toEqual(data.slice(35, 45));
    expect(r.readRows(0, 0)).toEqual(new Int32Array(0));
    const out = new Int32Array(5);
    r.readRowsInto(9, 1, out);
    expect(out).toEqual(data.slice(45, 50));
    expect(() => r.readRows(9, 2)).toThrow(/rows \[9, 11\) are out of range; the file has 10/);
    expect(r.readAll().data).toEqual(data);
    r.close();
    expect(() => r.readRows(0, 1)).toThrow(/after close/);
  });

  it('treats a 0-d array as one row', async () => {
    const p = file();
    await writeNpy(p, { dtype: 'int64', shape: [], data: BigInt64Array.from([-(2n ** 62n)]) });
    const r = NpyReader.open(p);
    expect([r.rows, r.rowSize]).toEqual([1, 1]);
    expect(r.readRows(0, 1)).toEqual(BigInt64Array.from([-(2n ** 62n)]));
    r.close();
  });

  it('reads format versions 2.0 and 3.0 (u32 header length; 3.0 is UTF-8)', async () => {
    for (const version of [2, 3] as const) {
      const p = file();
      writeFileSync(p, rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32bytes([1.5, -2]), version));
      const a = await readNpy(p);
      expect(a).toEqual({ dtype: 'float32', shape: [2], data: Float32Array.from([1.5, -2]) });
      expect(NpyReader.open(p).version).toBe(`${version}.0`);
    }
  });

  it("accepts key order, quotes and spacing NumPy's parser accepts", async () => {
    const p = file();
    writeFileSync(p, rawNpy('{"shape":(1,1),"fortran_order":False,"descr":"<i8"}', new Uint8Array(8).fill(1)));
    const a = await readNpy(p);
    expect(a.shape).toEqual([1, 1]);
    expect(a.data).toEqual(BigInt64Array.from([0x0101010101010101n]));
  });
});

describe('corrupt and truncated files', () => {
  const good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const cases: [string, () => Buffer, RegExp][] = [
    ['bad magic', () => Buffer.concat([Buffer.from('PK\x03\x04'), rawNpy(good, f32bytes([1, 2]))]), /not a \.npy file/],
    ['empty file', () => Buffer.alloc(0), /not a \.npy file/],
    ['cut inside the preamble', () => rawNpy(good).subarray(0, 8), /truncated \.npy header/],
    ['cut inside the header', () => rawNpy(good).subarray(0, 40), /truncated \.npy header \(needs 128 bytes, the file has 40\)/],
    ['unknown version', () => { const b = rawNpy(good, f32bytes([1, 2])); b[6] = 9; return b; }, /version 9\.0 is not supported/],
    ['header not a dict', () => rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", f32bytes([1, 2])), /not a valid dict literal/],
    ['header missing shape', () => rawNpy("{'descr': '<f4', 'fortran_order': False}", f32bytes([1, 2])), /has no 'shape' key/],
    ['negative dim', () => rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}"), /not a tuple of non-negative integers/],
    ['fortran order', () => rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", f32bytes([1, 2])), /fortran_order is true; only C-order/],
    ['big-endian', () => rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}", f32bytes([1, 2])), /'>f4' is big-endian/],
    ['unicode dtype', () => rawNpy("{'descr': '<U8', 'fortran_order': False, 'shape': (2,)}", new Uint8Array(64)), /dtype '<U8' is not supported/],
    ['complex dtype', () => rawNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", new Uint8Array(8)), /dtype '<c8' is not supported/],
    ['structured dtype', () => rawNpy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,)}", new Uint8Array(4)), /structured dtype/],
    ['data too short', () => rawNpy(good, f32bytes([1])), /truncated: shape \[2\] float32 needs 8 data bytes, the file has 4/],
    ['data too long', () => rawNpy(good, f32bytes([1, 2, 3])), /4 unexpected bytes after the data/],
  ];
  it.each(cases)('%s is a HopError naming the file and the problem', async (_name, make, pattern) => {
    const p = file('bad');
    writeFileSync(p, make());
    await expectNpyError(p, pattern);
  });

  it('a missing file is a HopError naming it', async () => {
    const p = join(dir, 'missing.npy');
    await expect(readNpy(p)).rejects.toThrow(/missing\.npy: cannot read/);
    expect(() => NpyReader.open(p)).toThrow(/missing\.npy: cannot open/);
  });
});

const dtypes: NpyDType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool'];

function dataArb(dtype: NpyDType, len: number): fc.Arbitrary<NpyData> {
  switch (dtype) {
    case 'float32':
      return fc.float32Array({ minLength: len, maxLength: len });
    case 'float64':
      return fc.float64Array({ minLength: len, maxLength: len });
    case 'int32':
      return fc.int32Array({ minLength: len, maxLength: len });
    case 'int64':
      return fc.bigInt64Array({ minLength: len, maxLength: len });
    case 'uint8':
      return fc.uint8Array({ minLength: len, maxLength: len });
    case 'bool':
      return fc.array(fc.boolean(), { minLength: len, maxLength: len }).map((b) => Uint8Array.from(b, Number));
  }
}

const arrayArb = fc
  .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) })
  .chain(({ dtype, shape }) =>
    dataArb(dtype, shape.reduce((a, b) => a * b, 1)).map((data) => ({ dtype, shape, data })),
  );

/** Equal element by element, NaN payloads and -0 included (bit-exact for floats). */
function sameBits(a: NpyData, b: NpyData): boolean {
  return (
    a.constructor === b.constructor &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0
  );
}

describe('round trip (property)', () => {
  it('writeNpy -> readNpy / NpyReader returns the same dtype, shape and bits', async () => {
    await fc.assert(
      fc.asyncProperty(arrayArb, async (a) => {
        const p = file('prop');
        await writeNpy(p, a);
        const b = await readNpy(p);
        const r = NpyReader.open(p);
        const rows = r.readAll();
        r.close();
        return b.dtype === a.dtype && JSON.stringify(b.shape) === JSON.stringify(a.shape) && sameBits(a.data, b.data) && sameBits(a.data, rows.data);
      }),
      { numRuns: 80 },
    );
  });

  it('NpyWriter in random chunks -> the same file contents as writeNpy', async () => {
    await fc.assert(
      fc.asyncProperty(
        arrayArb.filter((a) => a.shape.length > 0 && a.shape.slice(1).every((d) => d > 0)),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (a, cuts) => {
          const rowSize = a.shape.slice(1).reduce((x, y) => x * y, 1);
          const bounds = [...new Set([0, ...cuts.map((c) => c % (a.shape[0] + 1)), a.shape[0]])].sort((x, y) => x - y);
          const p = file('stream');
          const w = await NpyWriter.open(p, a.dtype, a.shape.slice(1));
          for (let i = 0; i + 1 < bounds.length; i++) await w.append(a.data.subarray(bounds[i] * rowSize, bounds[i + 1] * rowSize));
          await w.close();
          const b = await readNpy(p);
          return JSON.stringify(b.shape) === JSON.stringify(a.shape) && sameBits(a.data, b.data);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the sample data of every dtype survives a streamed write and random row reads', async () => {
    for (const dtype of dtypes) {
      const data = sampleData(dtype, 7 * 3);
      const p = file(dtype);
      const w = await NpyWriter.open(p, dtype, [3]);
      await w.append(data.subarray(0, 9));
      await w.append(data.subarray(9));
      await w.close();
      const r = NpyReader.open(p);
      expect(r.readRows(4, 2)).toEqual(data.slice(12, 18));
      r.close();
    }
  });
});

describe('paths that cannot be read or written (review)', () => {
  it('a directory given as a .npy file is a HopError naming it, for readNpy and NpyReader alike', async () => {
    await expect(readNpy(dir)).rejects.toThrow(HopError);
    let err: unknown;
    try {
      NpyReader.open(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HopError);
    expect((err as HopError).message).toContain(dir);
    expect((err as HopError).message).toMatch(/cannot read the \.npy file \(EISDIR/);
  });

  it('writing into a directory that does not exist is a HopError naming the file, not its temp sibling', async () => {
    const p = join(dir, 'no-such-dir', 'x.npy');
    for (const attempt of [
      () => writeNpy(p, { dtype: 'int32', shape: [1], data: new Int32Array(1) }),
      () => NpyWriter.open(p, 'int32', [1]),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HopError);
      expect((err as HopError).message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot write the \\.npy file \\(ENOENT`));
    }
  });
});
