import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NpyDType, NpyData } from '../src/io/npy';

/** A fresh temp directory per test file; removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `hop-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic test data of `n` elements for `dtype`, covering signs, fractions and extremes. */
export function sampleData(dtype: NpyDType, n: number, salt = 0): NpyData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from({ length: n }, (_, i) => (i + salt) * 0.37 - 5.5);
    case 'float64':
      return Float64Array.from({ length: n }, (_, i) => Math.PI * (i - 3 + salt) * 1e-3);
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (i * 7919 + salt) * 1000);
    case 'int64':
      return BigInt64Array.from({ length: n }, (_, i) => (BigInt(i + salt) * 1234567890123n) * (i % 2 ? -1n : 1n));
    case 'uint8':
      return Uint8Array.from({ length: n }, (_, i) => (i * 37 + salt) % 256);
    case 'bool':
      return Uint8Array.from({ length: n }, (_, i) => ((i + salt) % 3 === 0 ? 1 : 0));
  }
}

/** Parses what Python prints for one element (`repr(float)`, `str(int)`, `True`) into the JS value. */
export function fromPy(dtype: NpyDType, s: string): number | bigint {
  if (dtype === 'int64') return BigInt(s);
  if (dtype === 'bool') return s === 'True' ? 1 : 0;
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}
