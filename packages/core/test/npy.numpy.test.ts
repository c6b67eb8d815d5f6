import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HopError } from '../src/errors';
import { NpyReader, NpyWriter, readNpy, writeNpy, type NpyDType, type NpyData } from '../src/io/npy';
import { fromPy, sampleData, tempDir } from './npy-helpers';

/**
 * Round trips against real NumPy (Debian's python3-numpy, served by /usr/bin/python3, or HOP_PYTHON: the python3 first on
 * PATH may be another interpreter). Where it is missing the suite says so loudly and is skipped, except
 * under HOP_REQUIRE_NUMPY=1 (set by .ci/run), where a missing NumPy fails.
 */
const PYTHON = process.env.HOP_PYTHON ?? '/usr/bin/python3';
const required = process.env.HOP_REQUIRE_NUMPY === '1';

function probeNumpy(): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync(PYTHON, ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `${PYTHON} cannot run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} has no numpy (${r.stderr.trim().split('\n').pop()})` };
  return { ok: true, version: r.stdout.trim() };
}

const numpy = probeNumpy();
if (!numpy.ok && !required)
  console.warn(
    `\n*** SKIPPING the NumPy .npy round-trip tests: ${numpy.reason}. ` +
      'Install Debian\'s numpy with `apt-get install python3-numpy` to run them (CI sets HOP_REQUIRE_NUMPY=1 and fails instead). ***\n',
  );

function python(script: string, ...args: string[]): unknown {
  const out = execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

/** Python side: every element as the string Python prints for it (repr for floats keeps all bits). */
const DESCRIBE_PY = `
import json, sys
import numpy as np
def show(a):
    flat = a.reshape(-1)
    if a.dtype.kind == 'f':
        vals = [repr(float(x)) for x in flat]
    elif a.dtype.kind == 'b':
        vals = [str(bool(x)) for x in flat]
    else:
        vals = [str(int(x)) for x in flat]
    return {'dtype': str(a.dtype), 'shape': list(a.shape), 'values': vals, 'c_contiguous': bool(a.flags.c_contiguous)}
`;

interface PyArray {
  dtype: string;
  shape: number[];
  values: string[];
}

function expectSameValues(dtype: NpyDType, data: NpyData, py: PyArray): void {
  expect(py.values.length).toBe(data.length);
  const want = Array.from(data as ArrayLike<number | bigint>);
  const got = py.values.map((s) => fromPy(dtype, s));
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect([i, got[i]]).toEqual([i, want[i]]);
}

describe.runIf(numpy.ok || required)('.npy against real NumPy', () => {
  let dir = '';
  let cleanup = () => {};
  beforeAll(() => {
    if (!numpy.ok) throw new Error(`HOP_REQUIRE_NUMPY=1 but ${numpy.reason}; install Debian's python3-numpy`);
    ({ dir, cleanup } = tempDir('npy-numpy'));
  });
  afterAll(() => cleanup());

  const cases: { dtype: NpyDType; shape: number[] }[] = [
    { dtype: 'float32', shape: [3, 4] },
    { dtype: 'float64', shape: [2, 3, 2] },
    { dtype: 'int32', shape: [7] },
    { dtype: 'int64', shape: [2, 2, 1, 3] },
    { dtype: 'uint8', shape: [300] },
    { dtype: 'bool', shape: [4, 5] },
    { dtype: 'float64', shape: [] },
    { dtype: 'int32', shape: [0, 3] },
  ];

  it('numpy.load reads what writeNpy writes: values, dtypes, shapes', () => {
    const files = cases.map((c, i) => {
      const path = join(dir, `ours-${i}.npy`);
      return { ...c, path, data: sampleData(c.dtype, c.shape.reduce((a, b) => a * b, 1), i) };
    });
    return (async () => {
      for (const f of files) await writeNpy(f.path, f);
      const script = `${DESCRIBE_PY}\nprint(json.dumps([show(np.load(p, allow_pickle=False)) for p in sys.argv[1:]]))`;
      const loaded = python(script, ...files.map((f) => f.path)) as PyArray[];
      files.forEach((f, i) => {
        expect(loaded[i].dtype).toBe(f.dtype);
        expect(loaded[i].shape).toEqual(f.shape);
        expectSameValues(f.dtype, f.data, loaded[i]);
      });
    })();
  });

  it('numpy.load (also memory-mapped) reads a streamed NpyWriter file with its rewritten header', async () => {
    const path = join(dir, 'stream.npy');
    const w = await NpyWriter.open(path, 'float32', [2, 3]);
    const data = sampleData('float32', 5 * 6) as Float32Array;
    for (let r = 0; r < 5; r++) await w.append(data.subarray(r * 6, (r + 1) * 6));
    await w.close();
    const script = `${DESCRIBE_PY}\na = np.load(sys.argv[1], mmap_mode='r')\nprint(json.dumps(show(np.array(a))))`;
    const py = python(script, path) as PyArray;
    expect(py.shape).toEqual([5, 2, 3]);
    expect(py.dtype).toBe('float32');
    expectSameValues('float32', data, py);
  });

  it('reads what numpy.save writes, including specials, extremes, 0-d, empty and format 2.0 / 3.0', async () => {
    const script = `${DESCRIBE_PY}
import os
d = sys.argv[1]
arrays = {
  'f4': (np.arange(24, dtype='<f4').reshape(2, 3, 4) * np.float32(0.1) - np.float32(1.3)),
  'f8': np.array([np.nan, np.inf, -np.inf, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, 1/3]),
  'i4': np.array([[-2**31, 2**31 - 1], [0, -1]], dtype=np.int32),
  'i8': np.array([-2**63, 2**63 - 1, 0, 123456789012345678], dtype=np.int64),
  'u1': np.arange(256, dtype=np.uint8).reshape(16, 16),
  'b1': (np.arange(10) % 3 == 0).reshape(2, 5),
  'scalar': np.array(3.25),
  'empty': np.zeros((0, 3), dtype=np.float32),
  'strided': np.arange(30, dtype=np.int32).reshape(5, 6)[:, ::2],
}
out = {}
for name, a in arrays.items():
    p = os.path.join(d, 'np-' + name + '.npy')
    np.save(p, a)
    out[p] = show(a)
for version in [(2, 0), (3, 0)]:
    p = os.path.join(d, 'np-v%d.npy' % version[0])
    a = np.arange(6, dtype=np.float64).reshape(3, 2) / 7
    with open(p, 'wb') as f:
        np.lib.format.write_array(f, a, version=version)
    out[p] = show(a)
print(json.dumps(out))
`;
    const expected = python(script, dir) as Record<string, PyArray>;
    expect(Object.keys(expected)).toHaveLength(11);
    for (const [path, py] of Object.entries(expected)) {
      const a = await readNpy(path);
      const dtype = py.dtype as NpyDType;
      expect([path, a.dtype, a.shape]).toEqual([path, dtype, py.shape]);
      expectSameValues(dtype, a.data, py);
      // the streaming reader agrees row by row
      const r = NpyReader.open(path);
      for (let row = 0; row < r.rows; row++)
        expect(r.readRows(row, 1)).toEqual(a.data.slice(row * r.rowSize, (row + 1) * r.rowSize));
      r.close();
    }
  });

  it('files NumPy writes that we cannot read are clear HopErrors', async () => {
    const script = `
import json, os, sys
import numpy as np
d = sys.argv[1]
files = {
  'fortran': np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
  'bigendian': np.arange(3, dtype='>f4'),
  'unicode': np.array(['a', 'bc']),
  'structured': np.zeros(2, dtype=[('x', '<f4'), ('y', '<i4')]),
  'float16': np.zeros(2, dtype=np.float16),
}
out = {}
for name, a in files.items():
    p = os.path.join(d, 'bad-' + name + '.npy')
    np.save(p, a)
    out[name] = p
print(json.dumps(out))
`;
    const paths = python(script, dir) as Record<string, string>;
    const expectations: Record<string, RegExp> = {
      fortran: /fortran_order is true; only C-order/,
      bigendian: /'>f4' is big-endian/,
      unicode: /dtype '<U2' is not supported/,
      structured: /structured dtype/,
      float16: /dtype '<f2' is not supported/,
    };
    for (const [name, pattern] of Object.entries(expectations)) {
      const err = await readNpy(paths[name]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HopError);
      expect((err as Error).message).toContain(paths[name]);
      expect((err as Error).message).toMatch(pattern);
    }
  });
});
