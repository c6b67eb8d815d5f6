/**
 * Throughput of the planning adapter's batched step (transitions per second) at batch 1, 64 and 1024 on
 * the hop-msh layout (4 players, 8x8, default direct model), against batch-1 calls and against the true
 * stag-hunt simulator measured in the same run; then the network under both inference engines (tfjs on the
 * active backend and ONNX Runtime when installed), rows per CPU-second and weight-refresh time, both archs. Run: `npm run bench` (build @hop/core and
 * @hop/env-staghunt first: `npx nx run @hop/env-staghunt:build`).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, describeBackend, initBackend } from '@hop/core';
import { StagHuntSimulator, VecStagHunt, stagHuntRewards } from '@hop/env-staghunt';
import { WorldModel, WorldModelSimulator, createWorldModelInference, stagHuntLayout, type ModelInputs } from '../src/index';

const info = await initBackend();
console.log(describeBackend(info));

const env = new StagHuntSimulator('hop-msh');
const model = new WorldModel({ layout: stagHuntLayout({ height: 8, width: 8, players: 4 }), finalTime: 35 });
const sim = new WorldModelSimulator(model, { rewards: stagHuntRewards('hop-msh') });
console.log(`model: direct, ${model.countParams()} weights`);

const POOL = 64;
const vec = new VecStagHunt('hop-msh', { numEnvs: POOL, seed: 1, observations: 'none' });
const envPool = env.allocate(POOL);
for (let k = 0; k < POOL; k++) vec.snapshot(k, envPool, k);
const grids = new Float32Array(POOL * 4 * env.observationSize);
env.observe({ states: envPool, slots: Int32Array.from({ length: POOL }, (_, k) => k), count: POOL }, grids);

/** An arena of `n` start states (from the true game) and stay-or-move actions for them. */
function setup(n: number, stateWords: number, fill: (arena: Int32Array, slot: number, src: number) => void) {
  const arena = new Int32Array(2 * n * stateWords);
  for (let k = 0; k < n; k++) fill(arena, k, k % POOL);
  const rng = new Rng(n);
  return {
    arena,
    from: Int32Array.from({ length: n }, (_, k) => k),
    to: Int32Array.from({ length: n }, (_, k) => n + k),
    actions: Int32Array.from({ length: n * 4 }, () => rng.int(5)),
    rewards: new Float32Array(n * 4),
    terminal: new Uint8Array(n),
  };
}

/** Transitions per second of repeated steps from the same states (best of 3 rounds after a warm-up). */
async function rate(step: () => unknown, n: number, minMs: number): Promise<number> {
  await step();
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < minMs) {
      await step();
      calls++;
    }
    best = Math.max(best, (calls * n * 1000) / (performance.now() - t0));
  }
  return best;
}

const results: Record<string, number> = {};
for (const n of [1, 64, 1024]) {
  const s = setup(n, sim.stateWords, (arena, slot, src) => sim.encodeObservation(grids.subarray(src * 4 * env.observationSize), 0, 0, arena, slot));
  results[`adapter/${n}`] = await rate(() => sim.step({ states: s.arena, from: s.from, to: s.to, actions: s.actions, count: n, rewards: s.rewards, terminal: s.terminal }), n, n === 1024 ? 3000 : 1500);
  console.log(`adapter batched step, batch ${String(n).padStart(4)}: ${results[`adapter/${n}`].toFixed(0).padStart(8)} transitions/s`);
}
const e = setup(1024, env.stateWords, (arena, slot, src) => env.copy(envPool, src, slot, arena));
results.env = await rate(() => env.step({ states: e.arena, from: e.from, to: e.to, actions: e.actions, count: 1024, rewards: e.rewards, terminal: e.terminal }), 1024, 1000);
console.log(`true stag-hunt simulator, batch 1024: ${results.env.toFixed(0).padStart(8)} transitions/s`);

// The network alone (4 views per transition) bounds what batching can give.
const views = 1024 * 4;
const obs = new Float32Array(views * env.observationSize);
const net = await rate(() => model.predict({ size: views, obs, jointAction: new Int32Array(views * 4), time: new Float32Array(views) }), 1024, 3000);
console.log(`network alone, 4096 views (1024 transitions): ${net.toFixed(0).padStart(8)} transitions/s`);

console.log(`ratio batch 64 / batch 1:   ${(results['adapter/64'] / results['adapter/1']).toFixed(1)}x`);
console.log(`ratio batch 1024 / batch 1: ${(results['adapter/1024'] / results['adapter/1']).toFixed(1)}x`);
console.log(`true simulator / adapter at batch 1024: ${(results.env / results['adapter/1024']).toFixed(0)}x`);
console.log(`adapter step / network alone at batch 1024: ${(results['adapter/1024'] / net).toFixed(2)} (1 = rendering and decoding cost nothing next to the network)`);
sim.dispose();
model.dispose();
console.log(`tensors left: ${tf.memory().numTensors}`);

// --- inference engines: rows per CPU-second of WorldModel.predict, tfjs vs ONNX Runtime, and refresh time ---
console.log('\ninference engines (predict at batch 256, rows per CPU-second; ONNX refresh = re-export + new session):');
const layout = stagHuntLayout({ height: 8, width: 8, players: 4 });
for (const arch of ['direct', 'latent'] as const) {
  const m = new WorldModel({ layout, finalTime: 35, arch, seed: 1 });
  const n = 256;
  const r = new Rng(1);
  const x: ModelInputs = {
    size: n,
    obs: Float32Array.from({ length: n * 64 * layout.channels }, () => (r.next() < 0.1 ? 1 : 0)),
    jointAction: Int32Array.from({ length: n * 4 }, () => r.int(8)),
    time: Float32Array.from({ length: n }, () => r.int(35)),
  };
  const rates: Record<string, number> = {};
  for (const engine of ['tfjs', 'onnx'] as const) {
    let inf;
    try {
      inf = await createWorldModelInference(m, { engine });
    } catch (e) {
      console.log(`  ${arch} ${engine}: not available (${(e as Error).message})`);
      continue;
    }
    await inf.predict(x);
    const c0 = process.cpuUsage();
    for (let i = 0; i < 8; i++) await inf.predict(x);
    const c = process.cpuUsage(c0);
    rates[engine] = (8 * n * 1e6) / (c.user + c.system);
    let refresh = 0;
    for (let i = 0; i < 3; i++) refresh += await inf.refresh();
    console.log(`  ${arch.padEnd(6)} ${engine.padEnd(4)}: ${rates[engine].toFixed(0).padStart(6)} rows/CPU-s` + (engine === 'onnx' ? `, refresh ${(refresh / 3).toFixed(1)} ms (${m.countParams()} weights)` : ''));
    await inf.dispose();
  }
  if (rates.onnx && rates.tfjs) console.log(`  ${arch}: ONNX Runtime / tfjs ${(rates.onnx / rates.tfjs).toFixed(2)}x`);
  m.dispose();
}
