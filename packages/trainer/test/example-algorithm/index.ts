// A tiny algorithm written against the `Algorithm` contract only, to show what adding one takes: this folder
// and one registration line (`ALGORITHMS.random = random`, in test/example-algorithm.test.ts). It learns
// nothing: every player takes a uniformly random legal action; the run still has everything a run has
// (config.json, metrics.jsonl with iteration and eval records, checkpoints, resume, an interrupt tail, a
// controller for `hop eval`), all from the shared lifecycle.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Rng, deriveSeed } from '@hop/core';
import { VecStagHunt, presetNames, type PresetName } from '@hop/env-staghunt';
import type { Algorithm } from '../../src/algos/types';
import { episodeMetrics } from '../../src/metrics/scalars';
import { checkpointIterations, pruneCheckpoints, readStateFile } from '../../src/run/checkpoints';
import {
  RunClock,
  checkpointDue,
  defaultLog,
  defaultRunName,
  evalDue,
  interruptOf,
  lastEvalOf,
  resumeRun,
  round,
  runEvent,
  spentMetrics,
  startRun,
  stopIfRequested,
  type RunOptions,
  type RunResult,
} from '../../src/run/lifecycle';
import type { RunDir } from '../../src/run/layout';

const RandomConfigSchema = z.strictObject({
  algo: z.literal('random').default('random'),
  budget: z.enum(['none', 'tiny', 'broken']).default('none').describe('Budget preset'),
  env: z.enum(presetNames as [PresetName, ...PresetName[]]).default('small-2p').describe('Environment preset'),
  seed: z.number().int().min(0).default(0).describe('Seed'),
  out: z.string().optional().describe('Run directory'),
  iterations: z.number().int().min(1).default(3).describe('Iterations (one episode per env each)'),
  numEnvs: z.number().int().min(1).default(4).describe('Environments per iteration'),
  evalEvery: z.number().int().min(0).default(2).describe('Evaluation every N iterations'),
  checkpointEvery: z.number().int().min(1).default(1).describe('Checkpoint every N iterations'),
});
type RandomConfig = z.infer<typeof RandomConfigSchema>;

interface RandomState {
  format: 'random-state';
  iteration: number;
  elapsed: number;
  cpuSeconds?: number;
}

/** One episode in every env, uniformly random legal actions from `rng`. */
function playEpisodes(config: RandomConfig, seed: number, rng: Rng) {
  const env = new VecStagHunt(config.env, { numEnvs: config.numEnvs, seed, observations: 'grid', autoReset: false });
  const N = env.numEnvs * env.numAgents;
  const A = env.numActions;
  const actions = new Int32Array(N);
  const episodes = [];
  const done = new Uint8Array(env.numEnvs);
  while (done.some((d) => !d)) {
    for (let j = 0; j < N; j++) {
      const legal = [];
      for (let a = 0; a < A; a++) if (env.masks[j * A + a]) legal.push(a);
      actions[j] = legal.length ? legal[Math.floor(rng.next() * legal.length)] : 0;
    }
    env.step(actions);
    for (let k = 0; k < env.numEnvs; k++)
      if (!done[k] && env.ended[k]) {
        done[k] = 1;
        const s = env.lastEpisode(k)!;
        episodes.push({ returns: s.returns, length: s.length, stags: s.stagsCaught, hares: s.haresCaught });
      }
  }
  return episodes;
}

async function loop(run: RunDir, config: RandomConfig, state: RandomState, options: RunOptions): Promise<RunResult> {
  const log = options.log ?? defaultLog;
  const { flag: interrupt, release } = interruptOf(options.interrupt);
  let lastEval = lastEvalOf(run);
  try {
    run.appendMetrics(runEvent(state, state.iteration === 0 ? 'start' : 'resume'));
    const clock = new RunClock(state);
    while (state.iteration < config.iterations) {
      const it = state.iteration + 1;
      const episodes = playEpisodes(config, deriveSeed(config.seed, 'rollout', it), new Rng(deriveSeed(config.seed, 'actions', it)));
      state.iteration = it;
      const spent = clock.tick();
      run.appendMetrics({ kind: 'iteration', epoch: it, step: it, time: round(state.elapsed), ...episodeMetrics(episodes, 'charts'), ...spentMetrics(spent, state) });
      if (evalDue(it, config.evalEvery, config.iterations)) {
        lastEval = { kind: 'eval', epoch: it, step: it, time: round(state.elapsed), ...episodeMetrics(playEpisodes(config, deriveSeed(config.seed, 'held-out-evaluation'), new Rng(deriveSeed(config.seed, 'eval', it))), 'eval') };
        run.appendMetrics(lastEval);
      }
      if (checkpointDue(it, config.checkpointEvery, config.iterations, interrupt)) {
        const dir = join(run.checkpointsDir, `iter-${it}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'state.json'), JSON.stringify(state));
        await pruneCheckpoints(run.checkpointsDir);
      }
      const stopped = stopIfRequested({ run, state, interrupt, log, last: config.iterations, lastEval, command: 'train' }, () => {});
      if (stopped) return stopped;
    }
    run.appendMetrics(runEvent(state, 'end'));
    return { status: 'completed', runDir: run.root, iterations: state.iteration, lastEval, elapsed: state.elapsed };
  } finally {
    run.close();
    release();
  }
}

export const random: Algorithm = {
  name: 'random',
  summary: 'uniformly random legal actions (an example of the Algorithm contract; learns nothing)',
  schema: RandomConfigSchema,
  // `broken` is there to show a bad preset value named by its layer.
  budgets: { none: {}, tiny: { iterations: 2, numEnvs: 2 }, broken: { numEnvs: 0 } },
  train: (raw, options) => {
    const config = { ...(raw as RandomConfig), out: (raw as RandomConfig).out ?? defaultRunName('train', 'random') };
    const state: RandomState = { format: 'random-state', iteration: 0, elapsed: 0, cpuSeconds: 0 };
    return startRun({
      command: 'train',
      out: config.out,
      config,
      seed: config.seed,
      log: options.log ?? defaultLog,
      open: async () => ({ state }),
      inputs: () => ({}),
      dispose: () => {},
      hasCheckpoint: (run) => checkpointIterations(run.checkpointsDir).length > 0,
      body: (run) => loop(run, config, state, options),
    });
  },
  // A checkpoint is its state.json: what a resume verifies before it continues from one.
  checkpointFiles: ['state.json'],
  resumeConfig: (saved, overrides) => RandomConfigSchema.parse({ ...saved, ...(overrides.iterations ? { iterations: overrides.iterations } : {}) }),
  resume: async (resume, options) => {
    const { run, file } = resume;
    const config = resume.config as RandomConfig;
    const { state } = await resumeRun<{ state: RandomState }>({
      run,
      done: (s) => s.state.iteration,
      file,
      config,
      seed: config.seed,
      log: options.log ?? defaultLog,
      // The shared resume point: inputs checked, the newest checkpoint that verifies.
      point: resume.point,
      budget: { requested: resume.requestedIterations, planned: Number(file.config.iterations) },
      open: async (point) => ({ state: point ? readStateFile<RandomState>(point, 'random-state', 'random') : { format: 'random-state' as const, iteration: 0, elapsed: 0, cpuSeconds: 0 } }),
    });
    return loop(run, config, state, options);
  },
  controller: async (_runDir, _dir, env, seed) => {
    const rng = new Rng(seed);
    const A = env.numActions;
    return {
      act: async (e, mine, out) => {
        for (let j = 0; j < mine.length; j++) {
          if (!mine[j]) continue;
          const legal = [];
          for (let a = 0; a < A; a++) if (e.masks[j * A + a]) legal.push(a);
          out[j] = legal.length ? legal[Math.floor(rng.next() * legal.length)] : 0;
        }
      },
      observe: async () => {},
      startEpisode: () => {},
      endEpisode: async () => {},
      dispose: async () => {},
    };
  },
};
