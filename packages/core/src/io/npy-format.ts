import { endianness } from 'node:os';
import { HopError } from '../errors';

/**
 * The .npy format (numpy/lib/format.py, "NEP 1"): magic `\x93NUMPY`, a version byte pair, a little-endian
 * header length (u16 in 1.0, u32 in 2.0 / 3.0), then an ASCII (3.0: UTF-8) Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a final newline so
 * the data starts on a 64-byte boundary, then the raw C-order data.
 */

export type NpyDType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
/** `bool` arrays are Uint8Array of 0 / 1. */
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: NpyData;
}

export const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ALIGN = 64;
/** Digits reserved for the row count of a streamed file, as NumPy does for its growth axis. */
const GROWTH_AXIS_DIGITS = 21;

interface DTypeInfo {
  descr: string;
  bytes: number;
  ctor: { new (n: number): NpyData; name: string };
}

export const DTYPES: Record<NpyDType, DTypeInfo> = {
  float32: { descr: '<f4', bytes: 4, ctor: Float32Array },
  float64: { descr: '<f8', bytes: 8, ctor: Float64Array },
  int32: { descr: '<i4', bytes: 4, ctor: Int32Array },
  int64: { descr: '<i8', bytes: 8, ctor: BigInt64Array },
  uint8: { descr: '|u1', bytes: 1, ctor: Uint8Array },
  bool: { descr: '|b1', bytes: 1, ctor: Uint8Array },
};

/** Type code + size -> dtype; the byte-order character is checked separately. */
const BY_CODE: Record<string, NpyDType> = {
  f4: 'float32',
  f8: 'float64',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  b1: 'bool',
};

export const LITTLE_ENDIAN_HOST = endianness() === 'LE';

export function isNpyDType(d: unknown): d is NpyDType {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, d);
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(where: string, shape: readonly number[]): void {
  for (const d of shape)
    if (!Number.isSafeInteger(d) || d < 0)
      throw new HopError('E_NPY', `${where}: shape [${shape.join(', ')}] must hold non-negative integers`);
}

/** Throws unless `data` is the typed array that holds `dtype`. */
export function checkData(where: string, dtype: NpyDType, data: NpyData): void {
  const want = DTYPES[dtype].ctor;
  if (!(data instanceof want))
    throw new HopError(
      'E_NPY',
      `${where}: dtype ${dtype} needs a ${want.name}, got ${(data as object)?.constructor?.name ?? typeof data}`,
    );
}

function pyShape(shape: readonly (number | string)[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

function headerBytes(dtype: NpyDType, shape: readonly (number | string)[], totalLen?: number): Buffer {
  const dict = `{'descr': '${DTYPES[dtype].descr}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  // magic(6) + version(2) + u16 length(2) + dict + padding + '\n'
  const unpadded = 10 + dict.length + 1;
  const total = totalLen ?? Math.ceil(unpadded / ALIGN) * ALIGN;
  if (total < unpadded || total - 10 > 0xffff)
    throw new HopError('E_NPY', `.npy header for shape ${pyShape(shape)} does not fit in ${total} bytes`);
  const buf = Buffer.alloc(total, 0x20);
  NPY_MAGIC.copy(buf, 0);
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(total - 10, 8);
  buf.write(dict, 10, 'latin1');
  buf[total - 1] = 0x0a;
  return buf;
}

/** Header of a version 1.0 file holding exactly `shape`. */
export function encodeHeader(dtype: NpyDType, shape: readonly number[]): Buffer {
  return headerBytes(dtype, shape);
}

/**
 * Header length that fits any row count a stream can reach, so the header can be rewritten in place with
 * the final count on close.
 */
export function streamHeaderLength(dtype: NpyDType, innerShape: readonly number[]): number {
  return headerBytes(dtype, ['9'.repeat(GROWTH_AXIS_DIGITS), ...innerShape]).length;
}

export function encodeStreamHeader(dtype: NpyDType, rows: number, innerShape: readonly number[]): Buffer {
  return headerBytes(dtype, [rows, ...innerShape], streamHeaderLength(dtype, innerShape));
}

export interface ParsedHeader {
  dtype: NpyDType;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes of data the shape calls for. */
  dataBytes: number;
  version: string;
}

/** Bytes to read before `parsePreamble` can say how long the whole header is. */
export const PREAMBLE_BYTES = 12;

/** Reads magic and version; returns the total header length (data offset). */
export function parsePreamble(file: string, head: Uint8Array): { version: [number, number]; headerEnd: number } {
  const magicLen = Math.min(6, head.length);
  if (!NPY_MAGIC.subarray(0, magicLen).equals(Buffer.from(head.subarray(0, magicLen))) || head.length === 0)
    throw new HopError('E_NPY', `${file}: not a .npy file (it does not start with the magic bytes \\x93NUMPY)`);
  if (head.length < 10) throw new HopError('E_NPY', `${file}: truncated .npy header (the file is ${head.length} bytes long)`);
  const major = head[6];
  const minor = head[7];
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (major === 1) return { version: [major, minor], headerEnd: 10 + buf.readUInt16LE(8) };
  if (major === 2 || major === 3) {
    if (head.length < 12) throw new HopError('E_NPY', `${file}: truncated .npy header (${head.length} bytes)`);
    return { version: [major, minor], headerEnd: 12 + buf.readUInt32LE(8) };
  }
  throw new HopError('E_NPY', `${file}: .npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
}

/** Parses the header dict `header` (the bytes between the length field and the data). */
export function parseHeader(file: string, version: [number, number], headerEnd: number, dictBytes: Uint8Array): ParsedHeader {
  const text = Buffer.from(dictBytes.buffer, dictBytes.byteOffset, dictBytes.byteLength).toString(
    version[0] === 3 ? 'utf8' : 'latin1',
  );
  let dict: unknown;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    throw new HopError('E_NPY', `${file}: the .npy header is not a valid dict literal (${(e as Error).message}): ${clip(text)}`);
  }
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict))
    throw new HopError('E_NPY', `${file}: the .npy header is not a dict: ${clip(text)}`);
  const d = dict as Record<string, unknown>;
  for (const key of ['descr', 'fortran_order', 'shape'])
    if (!(key in d)) throw new HopError('E_NPY', `${file}: the .npy header has no '${key}' key: ${clip(text)}`);
  const extra = Object.keys(d).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length) throw new HopError('E_NPY', `${file}: the .npy header has unknown keys ${extra.join(', ')}`);
  if (d.fortran_order !== false)
    throw new HopError(
      'E_NPY',
      `${file}: fortran_order is ${String(d.fortran_order)}; only C-order arrays are supported (save np.ascontiguousarray(a))`,
    );
  const dtype = parseDescr(file, d.descr);
  const shape = d.shape;
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0))
    throw new HopError('E_NPY', `${file}: the .npy shape ${JSON.stringify(shape)} is not a tuple of non-negative integers`);
  const v = `${version[0]}.${version[1]}`;
  return { dtype, shape: shape as number[], dataOffset: headerEnd, dataBytes: product(shape as number[]) * DTYPES[dtype].bytes, version: v };
}

function parseDescr(file: string, descr: unknown): NpyDType {
  const supported = 'float32 (<f4), float64 (<f8), int32 (<i4), int64 (<i8), uint8 (|u1), bool (|b1)';
  if (typeof descr !== 'string')
    throw new HopError('E_NPY', `${file}: structured dtype ${JSON.stringify(descr)} is not supported; supported: ${supported}`);
  const m = /^([<>|=]?)([a-zA-Z]\d+)$/.exec(descr);
  const dtype = m ? BY_CODE[m[2]] : undefined;
  if (!m || !dtype) throw new HopError('E_NPY', `${file}: dtype '${descr}' is not supported; supported: ${supported}`);
  const order = m[1];
  const single = DTYPES[dtype].bytes === 1;
  // '=' is native order; NumPy writes '<' or '|' itself, but a LE host writing '=' means little-endian too.
  if (order === '>' && !single)
    throw new HopError('E_NPY', `${file}: dtype '${descr}' is big-endian; only little-endian data is supported (save a.astype('<${m[2]}'))`);
  return dtype;
}

function clip(s: string): string {
  const t = s.trim();
  return JSON.stringify(t.length > 120 ? `${t.slice(0, 120)}...` : t);
}

/** The subset of Python literals a .npy header uses: dicts, tuples, lists, strings, ints, True/False/None. */
export function parsePyLiteral(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i}`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return out;
        }
        const k = value();
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        out[k as string] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: unknown[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return out;
        }
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(i));
    if (!m) return fail(`unexpected ${c === undefined ? 'end of header' : JSON.stringify(c)}`);
    i += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/** The bytes of `data` in little-endian order (a view on little-endian hosts, a swapped copy otherwise). */
export function toLittleEndianBytes(data: NpyData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return bytes;
  return swapped(bytes, data.BYTES_PER_ELEMENT);
}

function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j];
  return out;
}

/** A fresh, aligned typed array holding `count` elements decoded from little-endian `bytes`. */
export function fromLittleEndianBytes(dtype: NpyDType, bytes: Uint8Array, count: number): NpyData {
  const info = DTYPES[dtype];
  const out = new info.ctor(count);
  const src = LITTLE_ENDIAN_HOST || info.bytes === 1 ? bytes : swapped(bytes, info.bytes);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(src.subarray(0, count * info.bytes));
  if (dtype === 'bool') normaliseBool(out as Uint8Array);
  return out;
}

/** NumPy treats any non-zero byte as True; we promise 0 / 1. */
function normaliseBool(a: Uint8Array): void {
  for (let i = 0; i < a.length; i++) if (a[i] > 1) a[i] = 1;
}

/** Bool data to write: a 0 / 1 copy if the caller passed other non-zero bytes. */
export function boolBytes(a: Uint8Array): Uint8Array {
  for (let i = 0; i < a.length; i++) {
    if (a[i] > 1) {
      const c = new Uint8Array(a.length);
      for (let j = 0; j < a.length; j++) c[j] = a[j] ? 1 : 0;
      return c;
    }
  }
  return a;
}
