import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointIterations, pruneCheckpoints } from '../src/run/checkpoints';
import { RunDir, type RunMetric } from '../src/run/layout';
import { InterruptFlag } from '../src/run/interrupt';
import { RunClock, clockOfRecords, interruptTail, resumePoint, stopInsideUnit, unitCheckpointSaved } from '../src/run/lifecycle';
import { runWorldModelCommand } from '../src/world-model/command';
import { PretrainConfigSchema, WorldModelCliSchema } from '../src/config/schemas';
import { pretrain, resumePretrain } from '../src/pretrain/train';
import { tempDir, tinyDataset } from './helpers';

const ENV = { backend: 'cpu', reason: 'test' } as never;

/** A run directory with config.json and an open metrics writer. */
function openRun(name: string): RunDir {
  const run = new RunDir(join(tempDir(name), 'run'));
  run.create('pretrain', { seed: 1 }, ENV, {});
  return run;
}

/** A checkpoint directory `checkpoints/<name>` holding a state.json (and nothing that could fail verification). */
function checkpoint(run: RunDir, name: string, state: Record<string, unknown>): string {
  const dir = join(run.checkpointsDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  return dir;
}

const lines = (run: RunDir) => run.readMetrics();

describe('run lifecycle pieces shared by train, pretrain and world-model', () => {
  it('checkpoints by prefix: epoch-N listed newest first, only complete ones; pruning keeps the two newest of its prefix only', async () => {
    const run = openRun('ckpt-prefix');
    for (const e of [1, 2, 3, 10]) checkpoint(run, `epoch-${e}`, { epochsDone: e });
    checkpoint(run, 'iter-4', { iteration: 4 });
    mkdirSync(join(run.checkpointsDir, 'epoch-11')); // no state.json: incomplete
    expect(checkpointIterations(run.checkpointsDir, 'epoch')).toEqual([10, 3, 2, 1]);
    expect(checkpointIterations(run.checkpointsDir, 'epoch', false)).toEqual([11, 10, 3, 2, 1]);
    expect(checkpointIterations(run.checkpointsDir)).toEqual([4]);
    await pruneCheckpoints(run.checkpointsDir, 'epoch');
    expect(readdirSync(run.checkpointsDir).sort()).toEqual(['epoch-10', 'epoch-11', 'epoch-3', 'iter-4']);
    run.close();
  });

  it('unitCheckpointSaved prunes and removes the Ctrl-C checkpoint of an earlier unit', async () => {
    const run = openRun('unit-saved');
    for (const e of [1, 2, 3]) checkpoint(run, `epoch-${e}`, { epochsDone: e });
    checkpoint(run, 'interrupt', { epochsDone: 2 });
    await unitCheckpointSaved(run, 'epoch');
    expect(readdirSync(run.checkpointsDir).sort()).toEqual(['epoch-2', 'epoch-3']);
    run.close();
  });

  it('resumePoint: the Ctrl-C checkpoint when it is ahead of the last complete unit, else the newest unit; a damaged one is set aside', () => {
    const run = openRun('resume-point');
    const logged: string[] = [];
    const p = { prefix: 'epoch' as const, required: ['state.json'], unitsDone: (s: unknown) => (s as { epochsDone: number }).epochsDone, log: (l: string) => logged.push(l) };
    expect(resumePoint(run, p)).toBe(null);
    checkpoint(run, 'epoch-1', { epochsDone: 1 });
    const e2 = checkpoint(run, 'epoch-2', { epochsDone: 2 });
    expect(resumePoint(run, p)).toBe(e2);
    // inside epoch 3 (2 done): ahead of epoch-2
    const inside = checkpoint(run, 'interrupt', { epochsDone: 2 });
    expect(resumePoint(run, p)).toBe(inside);
    // a Ctrl-C checkpoint from inside epoch 2 (1 done) is behind epoch-2: not a candidate
    writeFileSync(join(inside, 'state.json'), JSON.stringify({ epochsDone: 1 }));
    expect(resumePoint(run, p)).toBe(e2);
    // epoch-2 damaged (state.json is not JSON): moved aside, epoch-1 chosen
    writeFileSync(join(e2, 'state.json'), '{');
    expect(resumePoint(run, p)).toBe(join(run.checkpointsDir, 'epoch-1'));
    expect(readdirSync(run.checkpointsDir).some((n) => n.startsWith('damaged-epoch-2-'))).toBe(true);
    expect(logged.join('\n')).toMatch(/resuming from the newest checkpoint that verifies: epoch-1/);
    run.close();
  });

  it('interruptTail: an interrupt event at the run clock, the line saying what was saved, and the command that continues', () => {
    const run = openRun('tail');
    const logged: string[] = [];
    const r = interruptTail({
      run,
      command: 'pretrain',
      log: (l) => logged.push(l),
      at: { epoch: 2, step: 17 },
      time: { elapsed: 12.34567, cpuSeconds: 20 },
      where: 'after epoch 2',
      saved: '/x/epoch-2',
      result: { status: 'completed' as const, runDir: run.root, elapsed: 12.34567 },
    });
    expect(r.status).toBe('interrupted');
    expect(logged).toEqual([`interrupted after epoch 2; checkpoint saved to /x/epoch-2\ncontinue with: hop pretrain --resume ${run.root}`]);
    const ev = lines(run).at(-1)!;
    expect([ev.kind, ev.event, ev.epoch, ev.step, ev.time, ev['perf/cpu_seconds']]).toEqual(['event', 'interrupt', 2, 17, 12.346, 20]);
    interruptTail({ run, command: 'world-model', log: (l) => logged.push(l), at: { epoch: 0, step: 0 }, time: { elapsed: 1 }, where: 'in epoch 1', saved: null, result: r });
    // A clock without CPU seconds (a run resumed from a checkpoint that did not record them) records none.
    expect('perf/cpu_seconds' in lines(run).at(-1)!).toBe(false);
    expect(logged[1]).toBe(`interrupted in epoch 1; no checkpoint yet (a resume starts from the beginning)\ncontinue with: hop world-model --resume ${run.root}`);
    run.close();
  });

  it('stopInsideUnit saves into checkpoints/interrupt before the tail', async () => {
    const run = openRun('inside');
    const logged: string[] = [];
    const r = await stopInsideUnit({
      run,
      command: 'pretrain',
      log: (l) => logged.push(l),
      at: { epoch: 1, step: 9 },
      time: { elapsed: 3 },
      where: 'in epoch 2 after batch 4/7',
      save: async (dir) => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'state.json'), '{"epochsDone":1}');
      },
      result: { status: 'completed' as const, runDir: run.root, elapsed: 3 },
    });
    expect(r.status).toBe('interrupted');
    expect(JSON.parse(readFileSync(join(run.interruptCheckpoint, 'state.json'), 'utf8'))).toEqual({ epochsDone: 1 });
    expect(logged[0]).toBe(`interrupted in epoch 2 after batch 4/7; checkpoint saved to ${run.interruptCheckpoint}\ncontinue with: hop pretrain --resume ${run.root}`);
    run.close();
  });

  it('the clock: CPU seconds only when the run records them; a resumed clock goes on from the last record that has them', () => {
    const old = { elapsed: 5 };
    new RunClock(old).tick();
    expect(old.elapsed).toBeGreaterThanOrEqual(5);
    expect('cpuSeconds' in old).toBe(false);
    const now = { elapsed: 0, cpuSeconds: 0 };
    // CPU of a busy loop: the process spends at least some of it.
    const clock = new RunClock(now);
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    const spent = clock.tick();
    expect(x).toBeGreaterThan(0);
    expect(now.cpuSeconds).toBe(spent.cpu);
    expect(now.elapsed).toBe(spent.wall);
    // A second tick adds only its own span: a clock that forgot where the last tick ended would count the first twice.
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    const spent2 = clock.tick();
    expect(now.elapsed).toBeCloseTo(spent.wall + spent2.wall, 9);
    expect(now.cpuSeconds).toBeCloseTo(spent.cpu + spent2.cpu, 9);
    const records = [
      { kind: 'event', time: 1 },
      { section: 'world-model', epoch: 1, time: 4.5, 'perf/cpu_seconds': 7.25 },
      { section: 'world-model', epoch: 2, time: 9 },
    ] as unknown as RunMetric[];
    expect(clockOfRecords(records)).toEqual({ elapsed: 9, cpuSeconds: 7.25 });
    expect(clockOfRecords(records.slice(0, 1))).toEqual({ elapsed: 1 });
    expect(clockOfRecords([])).toEqual({ elapsed: 0 });
  });
});

/** World-model epoch records without the clock's fields: what must match between runs. */
function wmEpochs(run: string): Record<string, unknown>[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.section === 'world-model')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time/') && k !== 'perf/cpu_seconds')));
}

/** An interrupt flag that counts the stop callbacks registered on it. */
class CountingFlag extends InterruptFlag {
  registered = 0;
  ever = 0;
  override onRequest(f: () => void): this {
    this.registered++;
    this.ever++;
    return super.onRequest(f);
  }
  override offRequest(f: () => void): void {
    this.registered--;
    super.offRequest(f);
  }
}

describe('hop world-model on the lifecycle: Ctrl-C, the interrupt tail, resume to the uninterrupted run; the run clock', () => {
  it('stopped during epoch 2 of 3 (status interrupted), resumed: the records and weights of a straight run, and a different seed differs', { timeout: 600_000 }, async () => {
    const root = tempDir('wm-life');
    const data = await tinyDataset(join(root, 'data'), 12, 6, 0.5);
    const config = (out: string, seed: number) =>
      WorldModelCliSchema.parse({ data, out, epochs: 3, filters: 8, batchSize: 64, minLrFactor: 1, seed, progress: 'none', offPolicyEpisodes: 0 });
    const quiet = () => {};
    const straight = join(root, 'straight');
    const other = join(root, 'other');
    // Without a caller's flag the command listens to SIGINT / SIGTERM itself, and stops listening when it ends.
    const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listeners();
    let during: number[] = [];
    expect(await runWorldModelCommand({ config: config(straight, 3) }, (l) => {
      if (l.startsWith('epoch 1/3:')) during = listeners();
    })).toBe('completed');
    expect(during).toEqual([before[0] + 1, before[1] + 1]);
    expect(listeners()).toEqual(before);
    expect(await runWorldModelCommand({ config: config(other, 4) }, quiet)).toBe('completed');

    const run = join(root, 'run');
    // A caller's flag: the command listens on it while it runs and leaves no callback on it when it ends.
    const interrupt = new CountingFlag();
    const logged: string[] = [];
    const status = await runWorldModelCommand({ config: config(run, 3) }, (l) => {
      logged.push(l);
      if (l.startsWith('epoch 1/3:')) interrupt.request();
    }, { interrupt });
    expect(status).toBe('interrupted');
    expect(interrupt.registered).toBe(0);
    expect(interrupt.ever).toBe(1);
    expect(logged.join('\n')).toMatch(new RegExp(`interrupted in epoch 2 \\(a resume trains it again from its start\\); checkpoint saved to .*checkpoint\\ncontinue with: hop world-model --resume ${run}`));
    const stopped = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ev = stopped.at(-1);
    expect([ev.kind, ev.event, ev.epoch]).toEqual(['event', 'interrupt', 1]);
    expect(ev.time).toBeGreaterThan(0);

    const resumedLog: string[] = [];
    expect(await runWorldModelCommand({ resume: run, flags: {} }, (l) => resumedLog.push(l))).toBe('completed');
    expect(listeners()).toEqual(before);
    // A resume refused before its loop (the run is finished: --epochs 2 < 3 done) leaves no listener either.
    await expect(runWorldModelCommand({ resume: run, flags: { epochs: 2 } }, quiet)).rejects.toMatchObject({ code: 'E_RESUME_BUDGET' });
    expect(listeners()).toEqual(before);
    expect(resumedLog.join('\n')).toMatch(/resuming .* from checkpoint: epoch 2 \(seed 3\)/);
    expect(wmEpochs(run)).toEqual(wmEpochs(straight));
    expect(wmEpochs(other)).not.toEqual(wmEpochs(straight));
    for (const f of ['checkpoint/network/weights.bin', 'best/network/weights.bin']) {
      expect(readFileSync(join(run, f)).equals(readFileSync(join(straight, f))), f).toBe(true);
      expect(readFileSync(join(other, f)).equals(readFileSync(join(straight, f))), `${f} (seed 4)`).toBe(false);
    }
    // The clock on every epoch record, carried over the resume: wall and CPU seconds never go back.
    const records = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const epochs = records.filter((r) => r.section === 'world-model');
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const r of epochs) expect(r['perf/cpu_seconds']).toBeGreaterThan(0);
    for (let i = 1; i < epochs.length; i++) {
      expect(epochs[i].time).toBeGreaterThanOrEqual(epochs[i - 1].time);
      expect(epochs[i]['perf/cpu_seconds']).toBeGreaterThanOrEqual(epochs[i - 1]['perf/cpu_seconds']);
    }
    expect(records.filter((r) => r.kind === 'event').map((r) => `${r.event}@${r.epoch}`)).toEqual(['start@0', 'interrupt@1', 'resume@1', 'end@3']);
    // The time spent inside epoch 2 before the stop stays in the run clock: the resume starts where the interrupt
    // stood (wall and CPU), not at epoch 1's record, which is earlier.
    const interruptEv = records.find((r) => r.event === 'interrupt');
    const resumeEv = records.find((r) => r.event === 'resume');
    expect(interruptEv.time).toBeGreaterThan(epochs[0].time);
    expect(interruptEv['perf/cpu_seconds']).toBeGreaterThan(epochs[0]['perf/cpu_seconds']);
    expect(resumeEv.time).toBeGreaterThanOrEqual(interruptEv.time);
    expect(epochs[1]['perf/cpu_seconds']).toBeGreaterThanOrEqual(interruptEv['perf/cpu_seconds']);
    expect(existsSync(join(run, 'checkpoints'))).toBe(false);
  });
});

/** A Ctrl-C that comes once the run has written a train record of epoch `epoch` (logEvery 1: after its first batch). */
class StopInEpoch extends InterruptFlag {
  constructor(
    private readonly run: string,
    private readonly epoch: number,
  ) {
    super();
  }

  override get stopRequested(): boolean {
    const path = join(this.run, 'metrics.jsonl');
    if (!existsSync(path)) return false;
    return readFileSync(path, 'utf8').trim().split('\n').some((l) => {
      const r = JSON.parse(l);
      return r.kind === 'train' && r.epoch === this.epoch;
    });
  }
}

describe('hop pretrain on the lifecycle: a Ctrl-C inside an epoch keeps that epoch\'s CPU time', () => {
  it('the resumed epoch reports the CPU of the whole epoch (before the stop and after), as the run clock counts it', { timeout: 300_000 }, async () => {
    const root = tempDir('pre-cpu');
    const data = await tinyDataset(join(root, 'data'), 12, 3);
    const run = join(root, 'run');
    const config = PretrainConfigSchema.parse({ data, out: run, epochs: 2, seed: 11, moaFilters: [8], moaHidden: 32, vaeFilters: [8], latentDim: 4, batchSize: 32, logEvery: 1, progress: 'none' });
    const quiet = () => {};
    const stopped = await pretrain(config, { log: quiet, interrupt: new StopInEpoch(run, 2) });
    expect(stopped.status).toBe('interrupted');
    expect(existsSync(run + '/checkpoints/interrupt/state.json')).toBe(true);
    const resumed = await resumePretrain(run, {}, { log: quiet });
    expect(resumed.status).toBe('completed');

    const records = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const epochs = records.filter((r) => r.kind === 'epoch');
    const stop = records.find((r) => r.event === 'interrupt');
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2]);
    // Stopped after batch 1 of epoch 2, with CPU spent in it (the batch, epoch 1's checkpoint before it).
    expect(stop.step).toBe(epochs[0].step + 1);
    const before = stop['perf/cpu_seconds'] - epochs[0]['perf/cpu_seconds'];
    expect(before).toBeGreaterThan(0.005);
    // Each epoch's CPU is the run clock's difference across it, to the rounding of the three figures (1 ms each).
    expect(Math.abs(epochs[0]['perf/epoch_cpu_seconds'] - epochs[0]['perf/cpu_seconds'])).toBeLessThanOrEqual(0.0015);
    expect(Math.abs(epochs[1]['perf/epoch_cpu_seconds'] - (epochs[1]['perf/cpu_seconds'] - epochs[0]['perf/cpu_seconds']))).toBeLessThanOrEqual(0.0015);
    // The epoch checkpoints carry no partial count: only the Ctrl-C one did.
    expect(JSON.parse(readFileSync(join(run, 'checkpoints/epoch-2/state.json'), 'utf8')).epochCpuSeconds).toBeUndefined();
  });
});
