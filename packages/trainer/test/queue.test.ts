import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentCliSchema } from '../src/experiment/schema';
import { enqueueExperiment } from '../src/queue/enqueue';
import { trainerIdentity } from '../src/queue/identity';
import { markerPath, readMarker, writeMarker } from '../src/queue/marker';
import { parseQueueUrl } from '../src/queue/address';
import { queueStatus } from '../src/queue/status';
import { runQueueJob } from '../src/queue/job';
import { runWorker } from '../src/queue/worker';
import { PKG, runHop, tempDir } from './helpers';
import { TestRedis, freePort } from './redis';

// Workers run the built CLI (nx builds it before the tests): a child per job started through tsx would cost
// seconds of transpiling each.
const DIST = join(PKG, 'dist', 'cli.js');
const cli = (out?: string) => ExperimentCliSchema.parse(out ? { out } : {});

interface Proc {
  proc: ChildProcess;
  lines: string[];
  closed: Promise<number | null>;
}

/** The built hop CLI in a child process; `onLine` sees its stdout lines. */
function hop(args: string[], onLine?: (line: string) => void): Proc {
  const proc = spawn(process.execPath, [DIST, ...args], { cwd: PKG, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let pending = '';
  const take = (b: Buffer) => {
    pending += b.toString();
    const ls = pending.split('\n');
    pending = ls.pop() ?? '';
    for (const l of ls) {
      lines.push(l);
      onLine?.(l);
    }
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  return { proc, lines, closed: new Promise((r) => proc.on('close', (c) => r(c))) };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, seconds = 600): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const done = (url: string, name: string) => async () => (await queueStatus(url, name)).every((v) => v.done);

async function stopWorkers(ws: Proc[]): Promise<void> {
  for (const w of ws) if (w.proc.exitCode === null) w.proc.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.closed));
}

/** Learning records of a run (iterations, evaluations) without clock fields (wall time, SPS, the process's CPU seconds). */
function records(run: string): Record<string, unknown>[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.kind === 'iteration' || r.kind === 'eval')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time/') && !k.startsWith('charts/SPS') && k !== 'perf/cpu_seconds')));
}

const PPO = (extra = '') => `{ totalTimesteps: 384, numEnvs: 4, numSteps: 24, policyFilters: [8], policyHidden: 16, evalEpisodes: 2, evalEnvs: 2, progress: none${extra} }`;

describe('queue plan and status (pure)', () => {
  it('jobs: inputs, cells waiting for the inputs they name, shards per protocol x source x seed slice waiting for every cell, tables', async () => {
    const { ExperimentSchema } = await import('../src/experiment/schema');
    const { experimentCells } = await import('../src/experiment/command');
    const { EvalConfigSchema } = await import('../src/eval/schema');
    const { planExperiment, jobId } = await import('../src/queue/plan');
    const exp = ExperimentSchema.parse({
      name: 'p',
      env: 'small-2p',
      seeds: [0, 1],
      inputs: { d: { collect: { episodes: 4 } }, m: { pretrain: { data: 'input:d' } } },
      algos: { hop: { pretrained: 'input:m', warmStart: 'input:d' }, ppo: {} },
    });
    const cells = experimentCells(exp, '/r', 1);
    const evalConfig = EvalConfigSchema.parse({ protocol: 'both', seeds: 3, reference: true });
    const jobs = planExperiment(exp, '/r', cells, evalConfig, 2);
    expect(jobs.filter((j) => j.kind !== 'eval').map((j) => `${j.name} <- ${j.deps.join(',')}`)).toEqual([
      'input.d <- ',
      'input.m <- input.d',
      'cell.hop-s0 <- input.m,input.d',
      'cell.hop-s1 <- input.m,input.d',
      'cell.ppo-s0 <- ',
      'cell.ppo-s1 <- ',
      `tables <- ${jobs.filter((j) => j.kind === 'eval').map((j) => j.name).join(',')}`,
    ]);
    // 2 protocols x (4 runs + 5 rule populations) x 2 seed slices (0-1, 2) of 3 seeds.
    const shards = jobs.filter((j) => j.kind === 'eval');
    expect(shards).toHaveLength(2 * 9 * 2);
    expect(shards.slice(0, 3).map((j) => `${j.name} <- ${j.deps.join(',')} ${JSON.stringify(j.shard)}`)).toEqual([
      'eval.self-play.hop-s0.seeds-0-1 <- cell.hop-s0,cell.hop-s1,cell.ppo-s0,cell.ppo-s1 {"protocol":"self-play","source":0,"seeds":[0,1]}',
      'eval.self-play.hop-s0.seeds-2-2 <- cell.hop-s0,cell.hop-s1,cell.ppo-s0,cell.ppo-s1 {"protocol":"self-play","source":0,"seeds":[2]}',
      'eval.self-play.hop-s1.seeds-0-1 <- cell.hop-s0,cell.hop-s1,cell.ppo-s0,cell.ppo-s1 {"protocol":"self-play","source":1,"seeds":[0,1]}',
    ]);
    // A rule reference shard too: the evaluation's sources are made from every run.
    expect(shards.find((j) => j.name === 'eval.adapt.rule-mixed.seeds-2-2')?.deps).toEqual(['cell.hop-s0', 'cell.hop-s1', 'cell.ppo-s0', 'cell.ppo-s1']);
    expect(shards.find((j) => j.name === 'eval.adapt.rule-mixed.seeds-2-2')?.shard).toEqual({ protocol: 'adapt', source: 8, seeds: [2] });
    // Recipes see paths relative to the experiment: a moved experiment keeps its job ids; another setting does not.
    const moved = planExperiment(exp, '/elsewhere', experimentCells(exp, '/elsewhere', 1), evalConfig, 2);
    expect(moved.map((j) => jobId('p', j))).toEqual(jobs.map((j) => jobId('p', j)));
    const scaled = planExperiment({ ...exp, algos: { ...exp.algos, ppo: { totalTimesteps: 10 } } }, '/r', experimentCells({ ...exp, algos: { ...exp.algos, ppo: { totalTimesteps: 10 } } }, '/r', 1), evalConfig, 2);
    expect(scaled.map((j) => jobId('p', j) === jobId('p', jobs.find((x) => x.name === j.name)!))).toEqual(jobs.map((j) => !j.name.startsWith('cell.ppo')));
  });

  it('eval variants: a shard per variant row that applies to the cell\'s algorithm, in evaluationPlan\'s source order', async () => {
    const { ExperimentSchema } = await import('../src/experiment/schema');
    const { experimentCells } = await import('../src/experiment/command');
    const { EvalConfigSchema } = await import('../src/eval/schema');
    const { planExperiment } = await import('../src/queue/plan');
    const exp = ExperimentSchema.parse({ name: 'v', env: 'small-2p', seeds: [0], algos: { hop: {}, 'direct-om': {}, ppo: {} } });
    const evalConfig = EvalConfigSchema.parse({ protocol: 'adapt', seeds: 1, reference: true, variants: ['oracle-goals', 'no-search'], simulations: 8 });
    const shards = planExperiment(exp, '/r', experimentCells(exp, '/r', 1), evalConfig).filter((j) => j.kind === 'eval');
    // direct-om has no goal beliefs (no oracle-goals row), ppo does not plan (no row at all).
    expect(shards.map((j) => `${j.name} ${j.shard!.source}${j.shard!.variant ? ` ${j.shard!.variant}` : ''}`)).toEqual([
      'eval.adapt.hop-s0.seeds-0-0 0',
      'eval.adapt.hop-s0.oracle-goals.seeds-0-0 1 oracle-goals',
      'eval.adapt.hop-s0.no-search.seeds-0-0 2 no-search',
      'eval.adapt.direct-om-s0.seeds-0-0 3',
      'eval.adapt.direct-om-s0.no-search.seeds-0-0 4 no-search',
      'eval.adapt.ppo-s0.seeds-0-0 5',
      ...['random', 'stag', 'hare', 'switching', 'mixed'].map((p, i) => `eval.adapt.rule-${p}.seeds-0-0 ${6 + i}`),
    ]);
    // The shard's recipe holds the evaluation settings: another simulation count is another job.
    const deeper = planExperiment(exp, '/r', experimentCells(exp, '/r', 1), { ...evalConfig, simulations: 16 }).filter((j) => j.kind === 'eval');
    expect(deeper.map((j) => JSON.stringify(j.recipe) === JSON.stringify(shards.find((x) => x.name === j.name)!.recipe))).toEqual(shards.map(() => false));
  });

  it('status text: counts, where jobs run, failures, ETA = finished cells\' mean x cells left / jobs running', async () => {
    const { formatStatus } = await import('../src/queue/status');
    const now = Date.now();
    const text = formatStatus([
      {
        name: 'x',
        root: '/r',
        done: false,
        etaSeconds: 300,
        jobs: [
          { name: 'cell.a', id: '1', state: 'completed', attempts: 1, result: { host: 'h', pid: 1, wallSeconds: 100, cpuSeconds: 90 } },
          { name: 'cell.b', id: '2', state: 'active', attempts: 0, where: { host: 'm2', pid: 42, workerPid: 40, startedAt: now - 65_000 } },
          { name: 'cell.c', id: '3', state: 'failed', attempts: 2, failedReason: 'cell.c on h (pid 7) exited with code 2: error [E_CONFIG]: bad\nmore' },
          { name: 'tables', id: '4', state: 'waiting-children', attempts: 0 },
          { name: 'cell.d', id: '5', state: 'delayed', attempts: 0, waitingFor: 'run directory /r/d is in use by process 9 (`hop queue-job` on m3, since t)' },
          { name: 'cell.e', id: '6', state: 'delayed', attempts: 0 },
        ],
      },
    ]);
    expect(text.split('\n')).toEqual([
      'experiment x (/r): 6 jobs: 1 waiting-children, 2 delayed, 1 active, 1 completed, 1 failed; training ETA 5 min (from the finished cells\' mean)',
      '  running  cell.b on m2 pid 42 for 65 s',
      '  waiting  cell.d: run directory /r/d is in use by process 9 (`hop queue-job` on m3, since t)',
      '  failed   cell.c after 2 attempt(s): cell.c on h (pid 7) exited with code 2: error [E_CONFIG]: bad | more',
    ]);
  });
});

describe('hop experiment --queue: bad input is a named error, fast', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(() => redis?.dispose());

  const tiny = (root: string, name: string, hidden = 16) => {
    const file = join(root, `${name}.yaml`);
    writeFileSync(file, `name: ${name}\nenv: small-2p\nseeds: [0]\nout: ${join(root, 'exp')}\nalgos:\n  ppo: ${PPO().replace('policyHidden: 16', `policyHidden: ${hidden}`)}\neval: { protocol: adapt, episodes: 1, seeds: 1, pairings: 1, reference: false }\n`);
    return file;
  };

  it('a URL of another scheme, and a Redis nobody listens on, within 5 s', async () => {
    expect(() => parseQueueUrl('http://127.0.0.1:6379')).toThrow(/--queue http:\/\/127\.0\.0\.1:6379: the scheme is 'http', a queue is a Redis server: give redis:\/\/host:port\[\/db\]/);
    expect(() => parseQueueUrl('redis://127.0.0.1:6379/x')).toThrow(/'x' is not a database number/);
    expect(parseQueueUrl('redis://10.0.0.1:7000/3').shown).toBe('redis://10.0.0.1:7000/3');
    const file = tiny(tempDir('queue-bad'), 'unreachable');
    const port = await freePort();
    const t0 = performance.now();
    await expect(enqueueExperiment(file, cli(), 'http://127.0.0.1:6379', { log: () => {} })).rejects.toMatchObject({ code: 'E_QUEUE', message: expect.stringMatching(/the scheme is 'http'/) });
    await expect(runWorker('http://127.0.0.1:6379', { log: () => {} })).rejects.toMatchObject({ code: 'E_QUEUE', message: expect.stringMatching(/the scheme is 'http'/) });
    await expect(enqueueExperiment(file, cli(), `redis://127.0.0.1:${port}`, { log: () => {} })).rejects.toMatchObject({
      code: 'E_QUEUE',
      message: expect.stringMatching(new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/0 from .*ECONNREFUSED.*redis-server --port ${port}`)),
    });
    await expect(runWorker(`redis://127.0.0.1:${port}`, { log: () => {} })).rejects.toThrow(/cannot reach Redis/);
    // The acceptance asks for the error within 5 s (BullMQ alone would retry forever).
    expect(performance.now() - t0).toBeLessThan(5000);
    // What a user sees from the commands: the named error, exit code 2, no stack.
    for (const args of [['experiment', file, '--queue', 'ftp://127.0.0.1:6379'], ['worker', '--queue', 'ftp://127.0.0.1:6379']]) {
      const r = await runHop(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr.trim(), args[0]).toBe("error [E_QUEUE]: --queue ftp://127.0.0.1:6379: the scheme is 'ftp', a queue is a Redis server: give redis://host:port[/db] (or rediss:// for TLS)");
    }
  });

  it('a changed recipe is refused by name on enqueue; the same command twice adds nothing', async () => {
    const root = tempDir('queue-changed');
    const url = `${redis.url}/1`;
    const lines: string[] = [];
    expect(await enqueueExperiment(tiny(root, 'changed'), cli(), url, { log: (l) => lines.push(l) })).toBe(0);
    expect(lines[0]).toMatch(/experiment changed: enqueued 3 jobs .* \(0 inputs, 1 cells, 1 evaluation shards, 1 tables\)/);
    expect(await enqueueExperiment(tiny(root, 'changed'), cli(), url, { log: (l) => lines.push(l) })).toBe(0);
    expect(lines[1]).toMatch(/already on the queue .* with these 3 jobs .*; nothing new enqueued/);
    const [view] = await queueStatus(url, 'changed');
    expect(view.jobs.map((j) => j.name)).toEqual(['cell.ppo-s0', 'eval.adapt.ppo-s0.seeds-0-0', 'tables']);
    expect(view.jobs.map((j) => j.state)).toEqual(['waiting', 'waiting', 'waiting-children']);
    await expect(enqueueExperiment(tiny(root, 'changed', 24), cli(), url, { log: () => {} })).rejects.toThrow(
      /experiment 'changed' is already on the queue from another version of its file: changed recipe: cell\.ppo-s0 \(policyHidden: 16 -> 24\); .*hop queue remove changed/,
    );
  });

  it('a worker refuses jobs of another trainer version and experiments whose out: it cannot see, naming both versions, the path and the host', async () => {
    const root = tempDir('queue-refuse');
    const url = `${redis.url}/2`;
    const other = { version: '9.9.9', lockHash: 'abcdef123456' };
    await enqueueExperiment(tiny(root, 'other-version'), cli(), url, { identity: other, log: () => {} });
    const me = trainerIdentity();
    const t0 = performance.now();
    await expect(runWorker(url, { log: () => {} })).rejects.toThrow(
      new RegExp(`experiment 'other-version' on the queue was enqueued by @hop/trainer 9\\.9\\.9 \\(lockfile abcdef123456\\), this worker on ${hostname()} runs @hop/trainer ${me.version.replace(/\./g, '\\.')} \\(lockfile ${me.lockHash}\\)`),
    );
    const url3 = `${redis.url}/3`;
    const root3 = tempDir('queue-unseen');
    await enqueueExperiment(tiny(root3, 'unseen'), cli(), url3, { log: () => {} });
    rmSync(markerPath(join(root3, 'exp')));
    await expect(runWorker(url3, { log: () => {} })).rejects.toThrow(new RegExp(`${hostname()} cannot see ${join(root3, 'exp', 'hop-experiment.json')}, the marker of experiment 'unseen'`));
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a job whose cell recipe changed since it was enqueued is refused by name where it runs', async () => {
    const root = tempDir('queue-job-changed');
    const url = `${redis.url}/4`;
    await enqueueExperiment(tiny(root, 'jobchanged'), cli(), url, { log: () => {} });
    const exp = join(root, 'exp');
    const marker = readMarker(exp, 'jobchanged');
    const enqueued = marker.recipes['cell.ppo-s0'];
    // What a later enqueue of an edited file over the same out: would leave.
    const algos = marker.values.algos as Record<string, Record<string, unknown>>;
    writeMarker(exp, { ...marker, values: { ...marker.values, algos: { ppo: { ...algos.ppo, policyHidden: 24 } } } });
    const changed = new RegExp(`job cell\\.ppo-s0 of experiment 'jobchanged': its recipe changed since it was enqueued \\(enqueued ${enqueued}, .*hop-experiment\\.json now gives [0-9a-f]{12}\\)`);
    const t0 = performance.now();
    await expect(runQueueJob(exp, 'jobchanged', 'cell.ppo-s0', enqueued, () => {})).rejects.toMatchObject({ code: 'E_QUEUE', message: expect.stringMatching(changed) });
    expect(performance.now() - t0).toBeLessThan(5000);
    // Where it really runs, in a worker's child: the job fails with that error as its reason, and trains nothing.
    const worker = hop(['worker', '--queue', url, '--concurrency', '1']);
    try {
      await until('the refused job', async () => (await queueStatus(url, 'jobchanged'))[0].jobs[0].failedReason !== undefined, 90);
    } finally {
      await stopWorkers([worker]);
    }
    const [job] = (await queueStatus(url, 'jobchanged'))[0].jobs;
    expect(job.failedReason).toMatch(changed);
    expect(worker.lines.join('\n')).toMatch(/cell\.ppo-s0\.[0-9a-f]{12}: failed \(attempt 1 of 2\): cell\.ppo-s0 on .* exited with code 2/);
    expect(existsSync(join(exp, 'ppo-s0'))).toBe(false);
  }, 120_000);
});

describe('hop worker: the grid through the queue', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start(true);
  });
  afterAll(() => redis?.dispose());

  it('two workers give the same tables (byte-equal table-*.csv) and the same per-cell records as the in-process run', async () => {
    const root = tempDir('queue-equal');
    const file = join(root, 'equal.yaml');
    writeFileSync(
      file,
      `name: equal
env: small-2p
seeds: [0, 1]
inputs:
  data: { collect: { population: mixed, episodes: 12, seed: 2, progress: none } }
  pre: { pretrain: { data: input:data, goalInput: 'true', epochs: 1, batchSize: 32, moaFilters: [8], moaHidden: 32, vaeFilters: [8], latentDim: 4, progress: none } }
algos:
  hop-onestep: { pretrained: input:pre, totalTimesteps: 192, numEnvs: 4, numSteps: 24, policyFilters: [8], policyHidden: 16, evalEpisodes: 2, evalEnvs: 2, progress: none }
eval: { protocol: both, episodes: 2, seeds: 2, pairings: 1, reference: false }
`,
    );
    const inproc = join(root, 'inproc');
    const queued = join(root, 'queued');
    const url = `${redis.url}/5`;
    const ref = await runHop(['experiment', file, '--out', inproc]);
    expect(ref.code, ref.stderr).toBe(0);
    // One seed per shard (the default): the tables job merges two slices of every source, as on a real grid.
    const enq = hop(['experiment', file, '--out', queued, '--queue', url]);
    expect(await enq.closed, enq.lines.join('\n')).toBe(0);
    const workers = [hop(['worker', '--queue', url, '--concurrency', '1']), hop(['worker', '--queue', url, '--concurrency', '1'])];
    try {
      await until('the queued grid', done(url, 'equal'));
    } finally {
      await stopWorkers(workers);
    }
    const [view] = await queueStatus(url, 'equal');
    expect(view.jobs.map((j) => `${j.name} ${j.state}`)).toEqual(
      [
        'input.data',
        'input.pre',
        'cell.hop-onestep-s0',
        'cell.hop-onestep-s1',
        ...['self-play', 'adapt'].flatMap((p) => ['s0', 's1'].flatMap((c) => [0, 1].map((seed) => `eval.${p}.hop-onestep-${c}.seeds-${seed}-${seed}`))),
        'tables',
      ].map((n) => `${n} completed`),
    );
    // Both workers took jobs.
    expect(new Set(view.jobs.map((j) => j.result?.pid)).size).toBeGreaterThan(1);
    for (const t of ['table-self-play.csv', 'table-adapt.csv', 'tables.csv']) expect(readFileSync(join(queued, 'evaluation', t), 'utf8'), t).toBe(readFileSync(join(inproc, 'evaluation', t), 'utf8'));
    const cellsOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'evaluation', 'evaluation.json'), 'utf8')) as { cells: unknown[] }).cells;
    expect(cellsOf(queued)).toEqual(cellsOf(inproc));
    for (const c of ['hop-onestep-s0', 'hop-onestep-s1']) expect(records(join(queued, c)), c).toEqual(records(join(inproc, c)));
    // Different seeds train different cells: the comparison above can fail.
    expect(records(join(queued, 'hop-onestep-s1'))).not.toEqual(records(join(queued, 'hop-onestep-s0')));
    expect(existsSync(join(queued, 'compare.html'))).toBe(true);
  }, 900_000);

  it('diagnosis variants through the queue: one shard per variant row, the rows equal the in-process ones, with simulations, prior alpha, co-players and focal counts honoured', async () => {
    const root = tempDir('queue-variants');
    const file = join(root, 'variants.yaml');
    writeFileSync(
      file,
      `name: variants
env: small-2p
seeds: [0]
algos:
  hop: { iterations: 1, numEnvs: 2, numTrees: 1, numSimulations: 4, evalEnvs: 1, evalEpisodes: 1, replayEvery: 0, policyFilters: [8], policyHidden: 16, moaFilters: [8], moaHidden: 16, sgdPasses: 1, minibatch: 32, progress: none }
eval: { protocol: adapt, episodes: 2, seeds: 1, pairings: 1, reference: false, variants: [oracle-goals, no-search], simulations: 6, priorAlpha: 0.5, coPlayers: [stag, hare], focal: [1] }
`,
    );
    const inproc = join(root, 'inproc');
    const queued = join(root, 'queued');
    const url = `${redis.url}/8`;
    const ref = await runHop(['experiment', file, '--out', inproc]);
    expect(ref.code, ref.stderr).toBe(0);
    const enq = hop(['experiment', file, '--out', queued, '--queue', url]);
    expect(await enq.closed, enq.lines.join('\n')).toBe(0);
    const worker = hop(['worker', '--queue', url, '--concurrency', '1']);
    try {
      await until('the queued grid with variants', done(url, 'variants'));
    } finally {
      await stopWorkers([worker]);
    }
    const [view] = await queueStatus(url, 'variants');
    expect(view.jobs.map((j) => `${j.name} ${j.state}`)).toEqual(
      ['cell.hop-s0', 'eval.adapt.hop-s0.seeds-0-0', 'eval.adapt.hop-s0.oracle-goals.seeds-0-0', 'eval.adapt.hop-s0.no-search.seeds-0-0', 'tables'].map((n) => `${n} completed`),
    );
    const evaluation = (dir: string) => JSON.parse(readFileSync(join(dir, 'evaluation', 'evaluation.json'), 'utf8')) as { cells: { agent: string; coPlayer: string; focal: number }[]; settings: Record<string, unknown> };
    const [q, p] = [evaluation(queued), evaluation(inproc)];
    // The options reached the cells: only the chosen co-players and focal count, one row per variant (rows by algorithm: the experiment's groupByAlgo).
    expect([...new Set(q.cells.map((c) => `${c.agent} ${c.coPlayer} ${c.focal}`))].sort()).toEqual(
      ['hop', 'hop [no-search]', 'hop [oracle-goals]'].flatMap((a) => [`${a} hare 1`, `${a} stag 1`]).sort(),
    );
    expect(q.settings).toMatchObject({ simulations: 6, priorAlpha: 0.5, coPlayers: ['stag', 'hare'], focal: [1], variants: ['oracle-goals', 'no-search'] });
    expect(q.cells).toEqual(p.cells);
    for (const t of ['table-adapt.csv', 'tables.csv']) expect(readFileSync(join(queued, 'evaluation', t), 'utf8'), t).toBe(readFileSync(join(inproc, 'evaluation', t), 'utf8'));
  }, 900_000);

  it('a worker SIGKILLed in the middle of a training cell: another resumes it from its checkpoint, and weights and records equal an uninterrupted run', async () => {
    const root = tempDir('queue-kill');
    const file = join(root, 'kill.yaml');
    writeFileSync(file, `name: kill\nenv: small-2p\nseeds: [3]\nalgos:\n  ppo: ${PPO().replace('totalTimesteps: 384', 'totalTimesteps: 768')}\n`);
    const ref = join(root, 'ref');
    const queued = join(root, 'queued');
    const url = `${redis.url}/6`;
    const straight = await runHop(['experiment', file, '--skip-eval', '--out', ref]);
    expect(straight.code, straight.stderr).toBe(0);
    const enq = hop(['experiment', file, '--skip-eval', '--out', queued, '--queue', url]);
    expect(await enq.closed, enq.lines.join('\n')).toBe(0);
    let childPid = 0;
    const first = hop(['worker', '--queue', url, '--lock-seconds', '3'], (l) => {
      const started = /started on .* pid (\d+)/.exec(l);
      if (started) childPid = Number(started[1]);
      if (l.startsWith('[cell.ppo-s3] iteration 3/')) first.proc.kill('SIGKILL');
    });
    await first.closed;
    expect(first.proc.signalCode).toBe('SIGKILL');
    // The killed worker's child goes with it (no orphan training beside the worker that resumes).
    await until('the orphaned child to exit', () => !alive(childPid), 30);
    // As a lost machine leaves it: the run locked by a process on another host, fresh enough not to be stale yet.
    // The job waits for the lock without using an attempt, and resumes once the lock is gone.
    const run = join(queued, 'ppo-s3');
    mkdirSync(join(run, '.lock'), { recursive: true });
    writeFileSync(join(run, '.lock.json'), JSON.stringify({ pid: 1, host: 'lab-node-7', command: 'hop queue-job', since: new Date().toISOString() }));
    let unlocked = false;
    const second = hop(['worker', '--queue', url, '--lock-seconds', '3', '--locked-retry-seconds', '2'], (l) => {
      if (!unlocked && /\(trying again in 2 s\)$/.test(l)) {
        unlocked = true;
        rmSync(join(run, '.lock'), { recursive: true, force: true });
        rmSync(join(run, '.lock.json'), { force: true });
      }
    });
    try {
      await until('the resumed cell', done(url, 'kill'));
    } finally {
      await stopWorkers([second]);
    }
    const log = second.lines.join('\n');
    expect(log).toMatch(
      new RegExp(`kill\\.cell\\.ppo-s3\\.[0-9a-f]{12}: run directory ${escapeRe(run)} is in use by process 1 \\(\`hop queue-job\` on lab-node-7, since .*\\); wait for it .*remove ${escapeRe(join(run, '.lock'))} \\(trying again in 2 s\\)`),
    );
    expect(log).not.toMatch(/failed \(attempt/);
    // Resumed from its checkpoint, not restarted ("no checkpoint ...: restarting" is the other branch).
    expect(log).toMatch(/\[cell\.ppo-s3\] resuming .*ppo-s3 from checkpoints\/iter-[1-9]\d*: iteration/);
    const [view] = await queueStatus(url, 'kill');
    expect(view.jobs.map((j) => j.state)).toEqual(['completed']);
    // The waits used no attempt: the SIGKILLed one is a stall, not an attempt, and the completion counts 1.
    expect(view.jobs[0].attempts).toBe(1);
    expect(records(join(queued, 'ppo-s3'))).toEqual(records(join(ref, 'ppo-s3')));
    const last = (run: string) => `iter-${Math.max(...readdirSync(join(run, 'checkpoints')).map((d) => Number(d.replace('iter-', ''))))}`;
    expect(last(join(queued, 'ppo-s3'))).toBe(last(join(ref, 'ppo-s3')));
    for (const p of ['player_0', 'player_1']) {
      const w = (run: string) => readFileSync(join(run, 'checkpoints', last(run), 'policy', p, 'weights.bin'));
      expect(w(join(queued, 'ppo-s3')).equals(w(join(ref, 'ppo-s3'))), p).toBe(true);
    }
  }, 600_000);

  it('Redis SIGKILLed mid-grid and restarted from its append-only file: the grid completes, nothing run twice to completion', async () => {
    const root = tempDir('queue-redis');
    const file = join(root, 'crash.yaml');
    writeFileSync(file, `name: crash\nenv: small-2p\nseeds: [0, 1]\nalgos:\n  ppo: ${PPO()}\neval: { protocol: adapt, episodes: 1, seeds: 1, pairings: 1, reference: false }\n`);
    const url = `${redis.url}/7`;
    const enq = hop(['experiment', file, '--out', join(root, 'exp'), '--queue', url]);
    expect(await enq.closed, enq.lines.join('\n')).toBe(0);
    let crashed = false;
    let restarted: Promise<void> | null = null;
    const worker = hop(['worker', '--queue', url, '--concurrency', '2', '--lock-seconds', '20'], (l) => {
      if (!crashed && /^\[cell\.ppo-s\d\] iteration 2\//.test(l)) {
        crashed = true;
        restarted = redis.stop('SIGKILL').then(() => new Promise((r) => setTimeout(r, 2000))).then(() => redis.restart());
      }
    });
    try {
      await until('the crash', () => crashed);
      await restarted;
      await until('the grid after the crash', done(url, 'crash'));
    } finally {
      await stopWorkers([worker]);
    }
    const [view] = await queueStatus(url, 'crash');
    expect(view.jobs.every((j) => j.state === 'completed'), JSON.stringify(view.jobs)).toBe(true);
    const log = worker.lines.join('\n');
    for (const j of view.jobs) expect(log.split(`${j.id}: done in`).length - 1, j.name).toBe(1);
    expect(log).not.toMatch(/finished, skipped|resuming/);
    for (const c of ['ppo-s0', 'ppo-s1']) expect(readFileSync(join(root, 'exp', c, 'metrics.jsonl'), 'utf8').match(/"event":"end"/g), c).toHaveLength(1);
    expect(existsSync(join(root, 'exp', 'evaluation', 'table-adapt.csv'))).toBe(true);
  }, 600_000);
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
