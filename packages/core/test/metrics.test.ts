import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init';
import { HopError } from '../src/errors';
import { RunWriter, formatMetricLine, metricsToCsv, readMetrics } from '../src/metrics/index';
import { tempDir } from './npy-helpers';

const { dir: root, cleanup } = tempDir('metrics');
let n = 0;
const runDir = () => join(root, `run-${n++}`);
const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initBackend();
});
afterAll(cleanup);

describe('RunWriter', () => {
  it('writes config.json, environment.json and one metrics.jsonl line per record', () => {
    const dir = runDir();
    const w = new RunWriter(dir, { config: { lr: 0.001, layers: [16, 32] } });
    w.log({ step: 0, loss: 1.5, phase: 'warmup' });
    w.log({ step: 1, loss: 1.25, done: true, note: null });
    expect(w.lines).toBe(2);
    w.close();
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ lr: 0.001, layers: [16, 32] });
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(
      '{"step":0,"loss":1.5,"phase":"warmup"}\n{"step":1,"loss":1.25,"done":true,"note":null}\n',
    );
    expect(readMetrics(dir)).toEqual([
      { step: 0, loss: 1.5, phase: 'warmup' },
      { step: 1, loss: 1.25, done: true, note: null },
    ]);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'environment.json', 'metrics.jsonl']);
  });

  it('snapshots the environment: node, platform, CPUs, the chosen backend and the git commit', () => {
    const dir = runDir();
    const w = new RunWriter(dir);
    w.close();
    const env = JSON.parse(readFileSync(join(dir, 'environment.json'), 'utf8'));
    expect(env).toEqual(w.environment);
    expect(env.node).toBe(process.version);
    expect(env.platform).toBe(process.platform);
    expect(env.cpuCount).toBe(cpus().length);
    expect(env.tfjs).toMatch(/^4\.\d+\.\d+$/);
    expect(env.backend.name).toMatch(/^(wasm|cpu|tensorflow)$/);
    let commit: string | null = null;
    try {
      commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      // not a git checkout (e.g. an unpacked tarball): the snapshot says null
    }
    expect(env.git?.commit ?? null).toBe(commit);
  });

  it('keeps NaN and infinities (as strings in the file, numbers when read back)', () => {
    const dir = runDir();
    const w = new RunWriter(dir);
    w.log({ loss: NaN, grad: Infinity, low: -Infinity, ok: 2 });
    w.close();
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"loss":"NaN","grad":"Infinity","low":"-Infinity","ok":2}\n');
    expect(readMetrics(dir)).toEqual([{ loss: NaN, grad: Infinity, low: -Infinity, ok: 2 }]);
    // rewriting what was read keeps them too
    writeFileSync(join(dir, 'metrics.jsonl'), readMetrics(dir).map((r) => formatMetricLine(r)).join(''));
    expect(readMetrics(dir)).toEqual([{ loss: NaN, grad: Infinity, low: -Infinity, ok: 2 }]);
  });

  it('rejects values that are not scalars, logging after close, and odd artifact names', () => {
    const w = new RunWriter(runDir());
    expect(() => w.log({ loss: [1, 2] as unknown as number })).toThrow(/metric 'loss' is an object; log numbers, strings, booleans or null/);
    expect(() => w.log({ n: 1n as unknown as number })).toThrow(/metric 'n' is a bigint/);
    expect(() => w.writeFile('../escape.svg', '')).toThrow(HopError);
    w.close();
    expect(() => w.log({ a: 1 })).toThrow(/after close/);
    expect(() => new RunWriter(runDir(), { config: { big: 1n } })).toThrow(/config cannot be written as JSON/);
  });

  it('ignores a torn last line, and the next writer cuts it off before appending', () => {
    const dir = runDir();
    const w = new RunWriter(dir);
    w.log({ step: 0 });
    w.log({ step: 1 });
    w.close();
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step": 2, "lo'); // a write cut short by a power loss
    expect(readMetrics(dir)).toEqual([{ step: 0 }, { step: 1 }]);
    const again = new RunWriter(dir);
    again.log({ step: 2 });
    again.close();
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"step":0}\n{"step":1}\n{"step":2}\n');
  });

  it('a bad line before the last is corruption, reported with its line number', () => {
    const dir = runDir();
    new RunWriter(dir).close();
    writeFileSync(join(dir, 'metrics.jsonl'), '{"a":1}\n{"a":\n{"a":3}\n');
    expect(() => readMetrics(dir)).toThrow(/metrics\.jsonl:2: not a JSON record/);
    expect(() => readMetrics(join(root, 'none'))).toThrow(/cannot read the metrics \(ENOENT\)/);
  });

  it('overwrite: true starts an empty log; the default appends to an earlier run', () => {
    const dir = runDir();
    const a = new RunWriter(dir);
    a.log({ run: 1 });
    a.close();
    const b = new RunWriter(dir);
    b.log({ run: 2 });
    b.close();
    expect(readMetrics(dir)).toEqual([{ run: 1 }, { run: 2 }]);
    const c = new RunWriter(dir, { overwrite: true, fsync: true });
    c.log({ run: 3 });
    c.close();
    expect(readMetrics(dir)).toEqual([{ run: 3 }]);
  });

  it('writeConfig and writeFile replace files atomically (no temp files left)', () => {
    const dir = runDir();
    const w = new RunWriter(dir, { config: { a: 1 } });
    w.writeConfig({ a: 2 });
    const svg = w.writeFile('loss.svg', '<svg/>');
    w.close();
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ a: 2 });
    expect(readFileSync(svg, 'utf8')).toBe('<svg/>');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a process killed while logging leaves only whole lines', async () => {
    const dir = runDir();
    const writer = resolve(here, '../src/metrics/run-writer.ts');
    const script = `
      const { RunWriter } = await import(${JSON.stringify(writer)});
      const w = new RunWriter(${JSON.stringify(dir)});
      for (let i = 0; ; i++) w.log({ step: i, loss: 1 / (i + 1), tag: 'x'.repeat(i % 700) });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(here, '..'),
      stdio: 'ignore',
    });
    const file = join(dir, 'metrics.jsonl');
    const deadline = Date.now() + 60_000;
    while (!(existsSync(file) && statSync(file).size > 400_000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBeGreaterThan(400_000);
    expect(text.endsWith('\n')).toBe(true);
    const records = readMetrics(dir);
    expect(records.length).toBe(text.split('\n').length - 1);
    records.forEach((r, i) => {
      expect(r.step).toBe(i);
      expect(r.tag).toBe('x'.repeat(i % 700));
    });
  });
});

describe('CSV export', () => {
  it('has one column per key ever logged, in first-seen order, RFC 4180 quoting', () => {
    const csv = metricsToCsv([
      { step: 0, loss: 1.5 },
      { step: 1, acc: 0.25, note: 'a, "b"' },
      { step: 2, loss: NaN, note: 'two\nlines', done: true },
    ]);
    expect(csv).toBe(
      'step,loss,acc,note,done\r\n' + '0,1.5,,,\r\n' + '1,,0.25,"a, ""b""",\r\n' + '2,NaN,,"two\nlines",true\r\n',
    );
    expect(metricsToCsv([])).toBe('\r\n');
  });

  it('RunWriter.toCsv / writeCsv export the directory', () => {
    const dir = runDir();
    const w = new RunWriter(dir);
    w.log({ step: 0, loss: 2 });
    w.log({ step: 1, kl: 0.5 });
    const path = w.writeCsv();
    w.close();
    expect(readFileSync(path, 'utf8')).toBe('step,loss,kl\r\n0,2,\r\n1,,0.5\r\n');
    expect(w.toCsv()).toBe(readFileSync(path, 'utf8'));
  });
});
