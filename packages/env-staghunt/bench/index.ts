/**
 * Throughput of the Markov Stag-Hunt (issue 3): env-steps/s with random valid actions for the single-env
 * ParallelEnv face vs VecStagHunt (N = 1, 64, 1024), with and without writing observations, and the planner's
 * inner loop (snapshot + step through the simulator contract). Run `npx nx run @hop/env-staghunt:build` first.
 */
import { StagHuntEnv, VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';

const PRESET = 'hop-msh';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

/** xorshift32: cheap action sampling so the bench measures the environment, not the sampler. */
let rs = 0x9e3779b9;
function rand(n: number): number {
  rs ^= rs << 13;
  rs ^= rs >>> 17;
  rs ^= rs << 5;
  return ((rs >>> 0) % n) | 0;
}

/** Random valid actions from `[rows, 7]` masks into `out[rows]`. */
function randomValid(masks: Uint8Array, out: Int32Array, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * 7;
    let n = 0;
    for (let a = 0; a < 7; a++) n += masks[o + a];
    let j = rand(n);
    for (let a = 0; a < 7; a++) {
      if (masks[o + a] && j-- === 0) {
        out[i] = a;
        break;
      }
    }
  }
}

/**
 * Runs `body` (returning the env-steps it did) repeatedly for SECONDS, 3 runs; returns the best wall-clock rate
 * and the best rate per CPU-second of this process (user + system time). On a machine shared with other jobs
 * the wall-clock figure counts time spent waiting for a core; the CPU-time figure is the one-core throughput.
 */
function measure(body: () => number): { wall: number; cpu: number } {
  let wall = 0;
  let cpu = 0;
  for (let rep = 0; rep < 3; rep++) {
    let steps = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let dt = 0;
    while (dt < (SECONDS * 1000) / 3) {
      steps += body();
      dt = performance.now() - t0;
    }
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, (steps * 1000) / dt);
    cpu = Math.max(cpu, (steps * 1e6) / Math.max(1, c.user + c.system));
  }
  return { wall, cpu };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(11);
const rows: { name: string; rate: { wall: number; cpu: number } }[] = [];
function report(name: string, rate: { wall: number; cpu: number }, baseline?: { wall: number; cpu: number }): void {
  rows.push({ name, rate });
  const ratio = baseline ? `   x${(rate.cpu / baseline.cpu).toFixed(1)} vs single env` : '';
  console.log(`${name.padEnd(56)} ${fmt(rate.wall)} /s wall ${fmt(rate.cpu)} /s cpu${ratio}`);
}

console.log(`@hop/env-staghunt bench: preset ${PRESET} (4 players, 8x8), node ${process.version}, ${SECONDS}s per figure\n`);

// 1. Single env through the PettingZoo-style face (dicts, observation objects): the baseline.
const env = new StagHuntEnv(PRESET, { seed: 1 });
let res = env.reset();
const single = measure(() => {
  let n = 0;
  for (let i = 0; i < 200; i++) {
    if (env.agents.length === 0) res = env.reset();
    const acts: Record<string, number> = {};
    for (const a of env.agents) {
      const m = res.observations[a].actionMask;
      const valid: number[] = [];
      for (let k = 0; k < 7; k++) if (m[k]) valid.push(k);
      acts[a] = valid[rand(valid.length)];
    }
    const r = env.step(acts);
    res = { observations: r.observations, infos: r.infos };
    n++;
  }
  return n;
});
report('StagHuntEnv (ParallelEnv face, grid observations)', single);

// 2. VecStagHunt, with and without observations.
for (const mode of ['grid', 'flat', 'none'] as const) {
  for (const N of [1, 64, 1024]) {
    const vec = new VecStagHunt(PRESET, { numEnvs: N, seed: 2, observations: mode });
    const actions = new Int32Array(N * 4);
    const iters = Math.max(1, Math.floor(4096 / N));
    const rate = measure(() => {
      for (let i = 0; i < iters; i++) {
        randomValid(vec.masks, actions, N * 4);
        vec.step(actions);
      }
      return iters * N;
    });
    report(`VecStagHunt N=${String(N).padEnd(4)} observations=${mode}`, rate, single);
  }
}

// 3. Planner inner loop: snapshot (restore a node's state into a slot) + step, through the simulator contract.
const sim = createStagHuntSimulator(PRESET);
const vec = new VecStagHunt(PRESET, { numEnvs: 256, seed: 3, observations: 'none' });
const B = 256;
const arena = sim.allocate(2 * B);
for (let k = 0; k < B; k++) vec.snapshot(k, arena, k);
const pool = new Int32Array(1 << 16);
for (let i = 0; i < pool.length; i++) pool[i] = rand(7);
const rewards = new Float32Array(B * 4);
const terminal = new Uint8Array(B);
{
  // one transition per call: copy root slot -> scratch slot, step in place
  const from = new Int32Array(1);
  const to = new Int32Array(1);
  const actions = new Int32Array(4);
  let cursor = 0;
  const W = sim.stateWords;
  const rate = measure(() => {
    for (let i = 0; i < 4096; i++) {
      const k = i & (B - 1);
      arena.copyWithin((B + k) * W, k * W, (k + 1) * W); // snapshot/restore: a copy of stateWords words
      from[0] = B + k;
      to[0] = B + k;
      for (let p = 0; p < 4; p++) actions[p] = pool[(cursor++ & 0xffff)];
      sim.step({ states: arena, from, to, actions, count: 1, rewards, terminal });
    }
    return 4096;
  });
  report('simulator snapshot + step, 1 per call (no observations)', rate);
}
{
  // batched: 256 transitions from root slots into child slots per call (the step copies from -> to)
  const from = Int32Array.from({ length: B }, (_, k) => k);
  const to = Int32Array.from({ length: B }, (_, k) => B + k);
  const actions = new Int32Array(B * 4);
  let cursor = 0;
  const rate = measure(() => {
    for (let it = 0; it < 16; it++) {
      for (let i = 0; i < actions.length; i++) actions[i] = pool[(cursor++ & 0xffff)];
      sim.step({ states: arena, from, to, actions, count: B, rewards, terminal });
    }
    return 16 * B;
  });
  report(`simulator batched step from->to, count=${B} (no observations)`, rate);
}
{
  // with the planner's reads: legal actions + observations of every agent after each step
  const from = Int32Array.from({ length: B }, (_, k) => k);
  const to = Int32Array.from({ length: B }, (_, k) => B + k);
  const actions = new Int32Array(B * 4);
  const legal = new Uint8Array(B * 4 * 7);
  const obs = new Float32Array(B * 4 * sim.observationSize);
  const view = { states: arena, slots: to, count: B };
  let cursor = 0;
  const rate = measure(() => {
    for (let it = 0; it < 4; it++) {
      for (let i = 0; i < actions.length; i++) actions[i] = pool[(cursor++ & 0xffff)];
      sim.step({ states: arena, from, to, actions, count: B, rewards, terminal });
      sim.legalActions(view, legal);
      sim.observe(view, obs);
    }
    return 4 * B;
  });
  report(`simulator step + legalActions + observe, count=${B}`, rate);
}

const vecObs = rows.find((r) => r.name.startsWith('VecStagHunt N=1024 observations=grid'))?.rate.cpu ?? 0;
const snap = rows.find((r) => r.name.startsWith('simulator snapshot + step'))?.rate.cpu ?? 0;
console.log('\ntargets (one core = per CPU-second):');
console.log(`  >= 300,000 env-steps/s, grid observations for all players (N=1024): ${fmt(vecObs)}  ${vecObs >= 3e5 ? 'met' : 'NOT met'}`);
console.log(`  >= 2,000,000 snapshot+step/s without observations:                 ${fmt(snap)}  ${snap >= 2e6 ? 'met' : 'NOT met'}`);
