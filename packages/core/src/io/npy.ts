import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HopError } from '../errors';
import { syncDir, tempSibling, writeFileAtomic } from './atomic';
import {
  DTYPES,
  LITTLE_ENDIAN_HOST,
  PREAMBLE_BYTES,
  boolBytes,
  checkData,
  checkShape,
  encodeHeader,
  encodeStreamHeader,
  fromLittleEndianBytes,
  isNpyDType,
  parseHeader,
  parsePreamble,
  product,
  toLittleEndianBytes,
  type NpyArray,
  type NpyDType,
  type NpyData,
  type ParsedHeader,
} from './npy-format';

export type { NpyArray, NpyDType, NpyData } from './npy-format';

function checkDType(where: string, dtype: unknown): asserts dtype is NpyDType {
  if (!isNpyDType(dtype))
    throw new HopError('E_NPY', `${where}: dtype ${String(dtype)} is not one of ${Object.keys(DTYPES).join(', ')}`);
}

/** File-system failures (missing directory, no permission, a directory given as a file) as HopErrors naming `path`. */
function fsError(path: string, doing: 'read' | 'write', e: unknown): HopError {
  if (e instanceof HopError) return e;
  const err = e as NodeJS.ErrnoException;
  const why = err.code ? `${err.code}: ${err.message.split(',')[0].replace(/^[A-Z]+: /, '')}` : err.message;
  return new HopError('E_NPY', `${path}: cannot ${doing} the .npy file (${why})`, { cause: e });
}

function dataBytes(dtype: NpyDType, data: NpyData): Uint8Array {
  return dtype === 'bool' ? boolBytes(data as Uint8Array) : toLittleEndianBytes(data);
}

/** Writes a whole array to `path` (version 1.0, C order), atomically: a reader never sees a partial file. */
export async function writeNpy(path: string, a: NpyArray): Promise<void> {
  checkDType(path, a.dtype);
  checkShape(path, a.shape);
  checkData(path, a.dtype, a.data);
  const n = product(a.shape);
  if (a.data.length !== n)
    throw new HopError('E_NPY', `${path}: shape [${a.shape.join(', ')}] holds ${n} elements, data has ${a.data.length}`);
  await writeFileAtomic(path, [encodeHeader(a.dtype, a.shape), dataBytes(a.dtype, a.data)]).catch((e: unknown) => {
    throw fsError(path, 'write', e);
  });
}

/** Checks the header, and that the file holds exactly the bytes the shape calls for. */
function checkSize(path: string, h: ParsedHeader, fileSize: number): void {
  const have = fileSize - h.dataOffset;
  const shape = `[${h.shape.join(', ')}]`;
  if (have < h.dataBytes)
    throw new HopError(
      'E_NPY',
      `${path}: truncated: shape ${shape} ${h.dtype} needs ${h.dataBytes} data bytes, the file has ${Math.max(0, have)}`,
    );
  if (have > h.dataBytes)
    throw new HopError(
      'E_NPY',
      `${path}: ${have - h.dataBytes} unexpected bytes after the data of shape ${shape} ${h.dtype}: the file is corrupt`,
    );
}

function headerFromBuffer(path: string, buf: Uint8Array): ParsedHeader {
  const { version, headerEnd } = parsePreamble(path, buf.subarray(0, PREAMBLE_BYTES));
  const dictStart = version[0] === 1 ? 10 : 12;
  if (buf.length < headerEnd)
    throw new HopError('E_NPY', `${path}: truncated .npy header (needs ${headerEnd} bytes, the file has ${buf.length})`);
  return parseHeader(path, version, headerEnd, buf.subarray(dictStart, headerEnd));
}

/** Reads a whole .npy file (versions 1.0, 2.0, 3.0; little-endian, C order). */
export async function readNpy(path: string): Promise<NpyArray> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new HopError('E_NPY', `${path}: cannot read the .npy file (${(e as Error).message})`, { cause: e });
  }
  const h = headerFromBuffer(path, buf);
  checkSize(path, h, buf.length);
  const count = product(h.shape);
  return { dtype: h.dtype, shape: h.shape, data: fromLittleEndianBytes(h.dtype, buf.subarray(h.dataOffset), count) };
}

/**
 * Streams rows of a fixed inner shape into a .npy file of shape `[rows, ...innerShape]` without holding the
 * array: rows go to `<path>.tmp-<pid>-<n>` as they come; `close()` rewrites the header with the final row
 * count (space for 21 digits is reserved up front) and renames the file over `path`. `abort()` (or a crash)
 * leaves `path` untouched.
 */
export class NpyWriter {
  private fh: FileHandle | null;
  private pos: number;
  private count = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly rowSize: number;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    fh: FileHandle,
    headerLen: number,
    readonly dtype: NpyDType,
    readonly innerShape: readonly number[],
  ) {
    this.fh = fh;
    this.pos = headerLen;
    this.rowSize = product(innerShape);
  }

  static async open(path: string, dtype: NpyDType, innerShape: number[]): Promise<NpyWriter> {
    checkDType(path, dtype);
    checkShape(path, innerShape);
    const tmp = tempSibling(path);
    const header = encodeStreamHeader(dtype, 0, innerShape);
    const fh = await open(tmp, 'w').catch((e: unknown) => {
      throw fsError(path, 'write', e);
    });
    try {
      await writeAll(fh, header, 0);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    return new NpyWriter(path, tmp, fh, header.length, dtype, [...innerShape]);
  }

  /** Rows written so far. */
  get rows(): number {
    return this.count;
  }

  /**
   * Appends `rows.length / prod(innerShape)` rows. `count` is needed only when the inner shape has no
   * elements (e.g. `[0]`), where the data cannot say how many rows it holds. Appends are serialised, so
   * calls need not be awaited one by one.
   */
  async append(rows: NpyData, count?: number): Promise<void> {
    // Everything up to the first await runs synchronously, so rows land in call order.
    const fh = this.fh;
    if (!fh) throw new HopError('E_NPY', `${this.path}: append after close() / abort()`);
    checkData(this.path, this.dtype, rows);
    const shape = `[${this.innerShape.join(', ')}]`;
    let n: number;
    if (this.rowSize === 0) {
      if (count === undefined || rows.length !== 0)
        throw new HopError('E_NPY', `${this.path}: rows of inner shape ${shape} are empty; pass the row count`);
      n = count;
    } else {
      if (rows.length % this.rowSize !== 0)
        throw new HopError(
          'E_NPY',
          `${this.path}: ${rows.length} elements are not whole rows of shape ${shape} (${this.rowSize} each)`,
        );
      n = rows.length / this.rowSize;
      if (count !== undefined && count !== n)
        throw new HopError('E_NPY', `${this.path}: count ${count} but the data holds ${n} rows`);
    }
    // Copy now: the caller may reuse its buffer as soon as append returns.
    const bytes = dataBytes(this.dtype, rows).slice();
    const at = this.pos;
    this.pos += bytes.byteLength;
    this.count += n;
    this.queue = this.queue.then(() => writeAll(fh, bytes, at));
    await this.queue;
  }

  /** Writes the final header and renames the file into place. */
  async close(): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new HopError('E_NPY', `${this.path}: close() after close() / abort()`);
    this.fh = null;
    try {
      await this.queue;
      await writeAll(fh, encodeStreamHeader(this.dtype, this.count, this.innerShape), 0);
      await fh.sync();
      await fh.close();
      await rename(this.tmp, this.path);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(this.tmp, { force: true });
      throw e;
    }
    await syncDir(dirname(this.path));
  }

  /** Drops the temp file; `path` keeps whatever it held before. */
  async abort(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    this.fh = null;
    await this.queue.catch(() => undefined);
    await fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.byteLength - off, position + off);
    off += bytesWritten;
  }
}

/**
 * Random access to the rows of a .npy file without loading it: the header is parsed on open, rows are
 * read with `fs.readSync` at their offsets. A row is one index of the first axis (a 0-d file has one row).
 */
export class NpyReader {
  readonly dtype: NpyDType;
  readonly shape: number[];
  /** Elements per row: the product of `shape.slice(1)`. */
  readonly rowSize: number;
  /** Rows on the first axis (1 for a 0-d array). */
  readonly rows: number;
  readonly version: string;
  private fd: number | null;
  private readonly dataOffset: number;

  private constructor(
    readonly path: string,
    fd: number,
    h: ParsedHeader,
  ) {
    this.fd = fd;
    this.dtype = h.dtype;
    this.shape = h.shape;
    this.version = h.version;
    this.dataOffset = h.dataOffset;
    this.rowSize = product(h.shape.slice(1));
    this.rows = h.shape.length === 0 ? 1 : h.shape[0];
  }

  static open(path: string): NpyReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new HopError('E_NPY', `${path}: cannot open the .npy file (${(e as Error).message})`, { cause: e });
    }
    try {
      const size = fstatSync(fd).size;
      const pre = Buffer.alloc(Math.min(PREAMBLE_BYTES, size));
      readFully(fd, pre, 0, path);
      const { headerEnd } = parsePreamble(path, pre);
      if (size < headerEnd)
        throw new HopError('E_NPY', `${path}: truncated .npy header (needs ${headerEnd} bytes, the file has ${size})`);
      const head = Buffer.alloc(headerEnd);
      readFully(fd, head, 0, path);
      const h = headerFromBuffer(path, head);
      checkSize(path, h, size);
      return new NpyReader(path, fd, h);
    } catch (e) {
      closeSync(fd);
      throw fsError(path, 'read', e);
    }
  }

  /** Rows `[start, start + count)` as a fresh typed array of `count * rowSize` elements. */
  readRows(start: number, count: number): NpyData {
    const out = new DTYPES[this.dtype].ctor(this.checkRange(start, count) * this.rowSize);
    this.readRowsInto(start, count, out);
    return out;
  }

  /** Like `readRows` into a caller-owned array (no allocation on little-endian hosts). */
  readRowsInto(start: number, count: number, out: NpyData): void {
    const fd = this.fd;
    if (fd === null) throw new HopError('E_NPY', `${this.path}: read after close()`);
    this.checkRange(start, count);
    checkData(this.path, this.dtype, out);
    const n = count * this.rowSize;
    if (out.length < n) throw new HopError('E_NPY', `${this.path}: output holds ${out.length} elements, ${count} rows need ${n}`);
    const width = DTYPES[this.dtype].bytes;
    const bytes = new Uint8Array(out.buffer, out.byteOffset, n * width);
    readFully(fd, bytes, this.dataOffset + start * this.rowSize * width, this.path);
    if (width > 1 && !LITTLE_ENDIAN_HOST) out.set(fromLittleEndianBytes(this.dtype, bytes.slice(), n) as never);
    if (this.dtype === 'bool') for (let i = 0; i < n; i++) if (bytes[i] > 1) bytes[i] = 1;
  }

  /** The whole array. */
  readAll(): NpyArray {
    return { dtype: this.dtype, shape: [...this.shape], data: this.readRows(0, this.rows) };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private checkRange(start: number, count: number): number {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > this.rows)
      throw new HopError('E_NPY', `${this.path}: rows [${start}, ${start + count}) are out of range; the file has ${this.rows}`);
    return count;
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path = 'the .npy file'): void {
  let off = 0;
  while (off < into.byteLength) {
    const got = readSync(fd, into, off, into.byteLength - off, position + off);
    if (got === 0) throw new HopError('E_NPY', `${path}: unexpected end of file at byte ${position + off} (truncated while open?)`);
    off += got;
  }
}
