import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, readMetrics } from '@hop/core';
import { splitTransitions } from '../src/data/dataset';
import { evaluateOffPolicy } from '../src/eval/offpolicy';
import { worldModelReportSection } from '../src/eval/report';
import { loadWorldModel } from '../src/model/checkpoint';
import { WorldModelSimulator } from '../src/sim/adapter';
import { trainWorldModel, type TrainWorldModelResult } from '../src/train/train';
import { TINY_WORLD_SIZES, simulatorContractTests } from './helpers/contract';
import { TinyWorld, collectTinyDataset, randomLegalActions, tinyLayout, tinyRewards } from './helpers/tiny-world';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hop-wm-train-'));
  dirs.push(d);
  return d;
};

// prey worth 2, shared: hunters get 2 alone and 1 each in pairs, so a regressed reward would be caught out
const world = new TinyWorld(tinyLayout({ rewards: [2] }), { minHunters: [1], reward: [2], finalTime: 8 });
const counts = { obstacles: 1, prey: [2] };
const config = {
  direct: { layers: [{ filters: 24, kernel: 3 }, { filters: 24, kernel: 1 }] },
  headUnits: 16,
  epochs: 12,
  batchSize: 32,
  learningRate: 5e-3,
  outcomeWeight: 1,
  timeScale: 0.1,
  pictureSamples: 1,
  scatterPoints: 50,
};

let trained: TrainWorldModelResult;
let runDir: string;

beforeAll(async () => {
  await initBackend();
  const data = splitTransitions(collectTinyDataset(world, new Rng(1), 400, counts), { valFraction: 0.1, seed: 0 });
  runDir = tmp();
  trained = await trainWorldModel({ config, data, outDir: runDir });
});

afterAll(() => {
  trained?.model.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a world model trained on a tiny deterministic world', () => {
  it('learns the validation transitions (every player position exact, nothing impossible)', () => {
    const m = trained.last!.val;
    expect(m.positionAccuracy).toBe(1);
    expect(m.presenceAccuracy).toBeGreaterThan(0.9);
    expect(m.impossibleRate).toBe(0);
    expect(m.outcomeAccuracy).toBe(1);
    expect(m.rewardExact).toBe(1);
    expect(m.obsMse).toBeLessThan(0.02);
  });

  it('steps exactly like the true world from fresh states, through the planning adapter', async () => {
    const sim = new WorldModelSimulator(trained.model, { rewards: tinyRewards(world.rules, world.numAgents) });
    const rng = new Rng(77);
    const n = 200;
    const W = world.stateWords;
    const arena = new Int32Array(3 * n * W);
    for (let k = 0; k < n; k++) world.randomState(rng, arena, k, counts);
    let hunts = 0;
    let shared = 0;
    for (let t = 0; t < 3; t++) {
      const slots = Int32Array.from({ length: n }, (_, k) => k);
      const actions = randomLegalActions(world, arena, slots, rng, 0.5);
      const r1 = new Float32Array(2 * n);
      const r2 = new Float32Array(2 * n);
      const d1 = new Uint8Array(n);
      const d2 = new Uint8Array(n);
      world.step({ states: arena, from: slots, to: Int32Array.from(slots, (k) => n + k), actions, count: n, rewards: r1, terminal: d1 });
      await sim.step({ states: arena, from: slots, to: Int32Array.from(slots, (k) => 2 * n + k), actions, count: n, rewards: r2, terminal: d2 });
      expect(arena.slice(2 * n * W)).toEqual(arena.slice(n * W, 2 * n * W));
      expect(d2).toEqual(d1);
      // rewards are summed by the rules from the predicted hunt outcome: exact, not regressed
      expect(r2).toEqual(r1);
      for (let i = 0; i < 2 * n; i++) {
        if (r1[i] > 0) hunts++;
        if (r1[i] === 1) shared++;
      }
      arena.copyWithin(0, n * W, 2 * n * W);
    }
    expect(hunts).toBeGreaterThan(20);
    expect(shared).toBeGreaterThan(0); // a shared catch (two hunters, 1 each) was among them
  });

  it('matches the true world off the data\'s policy: every step, rollouts, categories (compareWithTruth)', async () => {
    const sim = new WorldModelSimulator(trained.model, { rewards: tinyRewards(world.rules, world.numAgents) });
    const n = 60;
    const starts = new Int32Array(n * world.stateWords);
    const rng = new Rng(91);
    for (let k = 0; k < n; k++) world.randomState(rng, starts, k, counts);
    const [legal, uniform] = await evaluateOffPolicy(sim, { truth: world, starts, count: n, seed: 5, horizon: 4 });
    expect(legal.actions).toBe('legal');
    expect(uniform.actions).toBe('uniform');
    expect(legal.episodes).toBe(n);
    // the data held random legal actions: there the model is exact, step by step and over rollouts
    expect(legal.oneStep.overall.all).toBe(1);
    expect(legal.rollouts.allMatch).toBe(1);
    expect(legal.rollouts.rollouts).toBe(n);
    expect(legal.oneStep.byCategory.blocked.steps).toBe(0); // legal draws never try invalid actions
    for (const c of ['stay', 'stacked', 'hunt', 'catch'] as const) expect(legal.oneStep.byCategory[c].steps).toBeGreaterThan(5);
    // it never saw an invalid action: uniform draws try many, and the check shows the model fails on them
    // (rewards stay exact: the rules pay nothing for a move)
    const blocked = uniform.oneStep.byCategory.blocked;
    expect(blocked.steps).toBeGreaterThan(50);
    expect(blocked.state).toBeLessThan(0.9);
    expect(uniform.oneStep.overall.reward).toBe(1);
    expect(uniform.rollouts.allMatch).toBeLessThan(legal.rollouts.allMatch);

    // control: a truth paying 3 per prey differs on every catch (and only there) -> reward matches < 1
    const richer = new TinyWorld(world.layout, { ...world.rules, reward: [3] });
    const [other] = await evaluateOffPolicy(sim, { truth: richer, starts, count: n, seed: 5, horizon: 4, actions: ['legal'] });
    expect(other.oneStep.overall.state).toBe(1);
    expect(other.oneStep.byCategory.catch.reward).toBe(0);
    expect(other.oneStep.overall.reward).toBeCloseTo(1 - other.oneStep.byCategory.catch.steps / other.oneStep.overall.steps, 9);
    expect(other.rollouts.firstDivergence.reward).toBeGreaterThan(0);
    expect(other.rollouts.allMatch).toBeLessThan(1);
  });

  it('writes per-epoch metrics, checkpoints and a report section', () => {
    const lines = readMetrics(runDir).filter((r) => r.section === 'world-model');
    expect(lines.map((r) => r.epoch)).toEqual(Array.from({ length: config.epochs }, (_, i) => i + 1));
    expect(lines[lines.length - 1]['val/position_accuracy']).toBe(1);
    expect(Number(lines[0]['losses/total'])).toBeGreaterThan(Number(lines[lines.length - 1]['losses/total']));
    // best/ is the epoch of the lowest validation objective (the training loss on val), not of obs MSE alone
    const objective = lines.map((r) => Number(r['val/objective']));
    for (const r of lines) expect(Number(r['val/objective'])).toBeCloseTo(Number(r['val/recon']) + config.outcomeWeight * Number(r['val/outcome_loss']), 6);
    expect(trained.bestEpoch).toBe(objective.indexOf(Math.min(...objective)) + 1);
    const html = worldModelReportSection(runDir);
    expect(html).toContain('<h2>World model</h2>');
    expect(html).toContain('Reward: rules on the predicted outcome vs true');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThan(10);
    const ev = JSON.parse(readFileSync(join(runDir, 'world-model-eval.json'), 'utf8'));
    expect(ev.epoch).toBe(config.epochs);
    expect(ev.samples.length).toBe(1);
    expect(ev.scatter.truth.length).toBe(50);
    // Every line and bar chart names its y axis with a unit (a rotated axis label); the scatter names both.
    const charts = [...html.matchAll(/<svg[^>]*role="img"[\s\S]*?<\/svg>/g)].map((m) => m[0]).filter((svg) => !/class="cell"/.test(svg));
    expect(charts.length).toBeGreaterThanOrEqual(7);
    for (const svg of charts) expect(svg, /<title>([^<]*)/.exec(svg)?.[1]).toMatch(/class="axis-label" transform="translate\([^)]*\) rotate\(-90\)"/);
    // The spec's reference figures are drawn as lines on the MSE and PSNR charts.
    expect(html).toContain('data-label="reference obs MSE 0.0074"');
    expect(html).toContain('data-label="reference 24.08 dB"');
    // The position accuracy of the last epoch with its Wilson 95% interval over the epoch's validation
    // transitions (n: the count the evaluation section reports), worked out here from the score-interval
    // formula: centre (p + z²/2n) / (1 + z²/n), half-width z sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    const last = lines[lines.length - 1];
    const p = Number(last['val/position_accuracy']);
    const evaluated = /on (\d+) validation transitions/.exec(html);
    expect(evaluated, 'the evaluation section names its transitions').not.toBeNull();
    const n = Number(evaluated![1]);
    expect(n).toBeGreaterThan(0);
    const z = 1.959964;
    const d = 1 + (z * z) / n;
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
    const centre = (p + (z * z) / (2 * n)) / d;
    const row = /<tr><td>player positions exact<\/td><td>[^<]*<\/td><td>\[([\d.]+), ([\d.]+)\]<\/td>/.exec(html);
    expect(row, 'interval next to the position accuracy').not.toBeNull();
    expect(Number(row![1])).toBeCloseTo(Math.max(0, centre - half), 3);
    expect(Number(row![2])).toBeCloseTo(Math.min(1, centre + half), 3);
    expect(html).toContain(`95% interval (last, n = ${n})`);
    expect(worldModelReportSection(tmp())).toContain('No world-model epochs');
  });

  it('saves and loads to the same predictions (save -> load identity)', async () => {
    const { model } = await loadWorldModel(trained.checkpointDir);
    const data = collectTinyDataset(world, new Rng(5), 20, counts);
    const b = data.gather(Int32Array.from({ length: data.size }, (_, i) => i));
    const [p, q] = [await trained.model.predict(b), await model.predict(b)];
    expect(q.next).toEqual(p.next);
    expect(q.outcome).toEqual(p.outcome);
    model.dispose();
  });

  describe('simulator contract on the trained model', () => {
    simulatorContractTests(() => ({
      sim: new WorldModelSimulator(trained.model, { rewards: tinyRewards(world.rules, world.numAgents) }),
      maxSteps: 8,
      sizes: TINY_WORLD_SIZES, // the model was trained on tinyLayout()
      start: (rng, arena, slot) => world.randomState(rng, arena, slot, counts),
    }));
  });
});

describe('resume', () => {
  it('continues a stopped run exactly as if it had not stopped', async () => {
    const data = splitTransitions(collectTinyDataset(world, new Rng(3), 40, counts), { valFraction: 0.2, seed: 1 });
    const small = { ...config, epochs: 3, direct: { layers: [{ filters: 8, kernel: 3 }] } };
    const straight = await trainWorldModel({ config: small, data, outDir: tmp() });
    const dir = tmp();
    const stop = new AbortController();
    const first = await trainWorldModel({
      config: small,
      data,
      outDir: dir,
      signal: stop.signal,
      onEpoch: (e) => {
        if (e.epoch === 1) stop.abort();
      },
    });
    expect(first.aborted).toBe(true);
    expect(first.completedEpochs).toBe(1);
    first.model.dispose();
    const resumed = await trainWorldModel({ config: small, data, outDir: dir, resumeFrom: true });
    expect(resumed.completedEpochs).toBe(3);
    const a = straight.model.network.getWeights();
    const b = resumed.model.network.getWeights();
    for (let i = 0; i < a.length; i++) expect(b[i].dataSync()).toEqual(a[i].dataSync());
    // one metrics line per epoch, none lost or doubled
    expect(readMetrics(dir).map((r) => r.epoch)).toEqual([1, 2, 3]);
    straight.model.dispose();
    resumed.model.dispose();
  });

  it('an abort from an event-loop callback (a Ctrl-C handler) stops the run inside the epoch, at the next batch', async () => {
    const data = splitTransitions(collectTinyDataset(world, new Rng(5), 40, counts), { valFraction: 0.2, seed: 1 });
    const small = { ...config, epochs: 2, batchSize: 8, direct: { layers: [{ filters: 4, kernel: 3 }] } };
    const stop = new AbortController();
    const seen: number[] = [];
    let batches = 0;
    const run = await trainWorldModel({
      config: small,
      data,
      outDir: tmp(),
      signal: stop.signal,
      onBatch: ({ batch, batches: total }) => {
        seen.push(batch);
        batches = total;
        if (batch === 2) setImmediate(() => stop.abort());
      },
    });
    expect(batches).toBeGreaterThan(4);
    expect(seen).toEqual([1, 2]);
    expect(run.aborted).toBe(true);
    expect(run.completedEpochs).toBe(0);
    run.model.dispose();
  });

  it('does not leak tensors across a training run', async () => {
    const data = splitTransitions(collectTinyDataset(world, new Rng(4), 20, counts), { valFraction: 0.2, seed: 1 });
    const small = { ...config, epochs: 1, direct: { layers: [{ filters: 4, kernel: 3 }] } };
    const warm = await trainWorldModel({ config: small, data, outDir: tmp() });
    warm.model.dispose();
    const before = tf.memory().numTensors;
    const run = await trainWorldModel({ config: { ...small, epochs: 2 }, data, outDir: tmp() });
    run.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
