/**
 * @hop/mcts benchmark on the hop-msh Stag Hunt with the reference networks (random weights):
 * (a) this package: all 4 agents' trees of 16 parallel environments in one lock-step search,
 *     numTrees 5 x 200 simulations per decision;
 * (b) the reference's structure: node objects, a snapshot restored per expansion, networks at batch 1;
 * and the bound (a) cannot beat: the network rows it evaluates divided by the networks' large-batch
 * throughput, measured in the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, describeBackend, describeInference, initBackend } from '@hop/core';
import type { CoPlayerModel, Evaluator } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, createMOAInference, toCoPlayerModel, toEvaluator, type MOAInference } from '@hop/moa';
import { HopPlanner, sampleGoalOrders } from '../src/index';
import type { SearchOutput } from '../src/index';
import { naiveDecision } from './naive';

const NUM_ENVS = Number(process.env.BENCH_ENVS ?? 16);
const SIMS = Number(process.env.BENCH_SIMS ?? 200);
const TREES = Number(process.env.BENCH_TREES ?? 5);
const NAIVE_DECISIONS = Number(process.env.BENCH_NAIVE_DECISIONS ?? 4);
/** Single-agent decisions planned one at a time per engine (the "one agent alone" column). */
const SINGLE_DECISIONS = Number(process.env.BENCH_SINGLE_DECISIONS ?? 4);
/** Skip the (slow) naive and cache-off runs, keeping the engine comparison only. */
const ENGINES_ONLY = process.env.BENCH_ENGINES_ONLY === '1';

const fmt = (x: number, d = 1) => x.toFixed(d);

/**
 * Wall-clock and CPU milliseconds of `fn`. The machine is shared with other jobs: CPU time (this
 * process's user + system time) measures the work done whatever the load, wall time what a user waits.
 */
interface Cost {
  wall: number;
  cpu: number;
}
async function measure<T>(fn: () => Promise<T> | T): Promise<{ cost: Cost; value: T }> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { cost: { wall: performance.now() - w0, cpu: (c.user + c.system) / 1000 }, value };
}
const both = (c: Cost, d = 1) => `${fmt(c.wall, d)} ms wall, ${fmt(c.cpu, d)} ms CPU`;
const scale = (c: Cost, k: number): Cost => ({ wall: c.wall * k, cpu: c.cpu * k });

async function main() {
  const backend = await initBackend();
  console.log(`@hop/mcts bench — ${describeBackend(backend)}\n${NUM_ENVS} envs x 4 agents, numTrees ${TREES} x ${SIMS} sims`);

  const sim = createStagHuntSimulator('hop-msh');
  const P = sim.numAgents;
  const A = sim.numActions;
  const G = sim.numGoals;
  const [H, W, C] = sim.observationShape;
  const maxTime = sim.config.finalTime;
  // reference networks: conv 3x3 16-32-32 on 8x8x7, FC 512, 7 logits + value; the co-player model also
  // takes a one-hot goal. Random (seeded) weights.
  const focalNet = new MOAModel({ observationShape: [H, W, C], numActions: A, goalDim: 0, maxTime, seed: 1 });
  const coNet = new MOAModel({ observationShape: [H, W, C], numActions: A, goalDim: G, maxTime, seed: 2 });
  const evaluator: Evaluator = toEvaluator(focalNet);
  const coPlayer: CoPlayerModel = toCoPlayerModel(coNet);

  // roots: 16 fresh hop-msh episodes, a decision for each of the 4 agents
  const envs = new VecStagHunt('hop-msh', { numEnvs: NUM_ENVS, seed: 2024, observations: 'none' });
  const D = NUM_ENVS * P;
  const slots = new Int32Array(D);
  const focal = new Int32Array(D);
  const goalOrders = new Int32Array(D * TREES * P * G);
  const beliefs = new Float32Array((P - 1) * G).fill(1 / G); // [co-players, goals]
  const rng = new Rng(7);
  for (let e = 0; e < NUM_ENVS; e++)
    for (let i = 0; i < P; i++) {
      const d = e * P + i;
      slots[d] = e;
      focal[d] = i;
      sampleGoalOrders(beliefs, { focal: i, numGoals: G, numTrees: TREES, rng, out: goalOrders, outOffset: d * TREES * P * G });
    }
  const input = { states: envs.states, slots, focal, goalOrders, seeds: Array.from({ length: D }, (_, d) => 100 + d) };

  // --- network throughput at large batch: ms per row (wall and CPU), the best of two batch sizes ---
  const perRow = async (name: string, call: (n: number) => unknown, n: number): Promise<Cost> => {
    await call(n); // warm-up (kernels, weights upload)
    const reps = Math.max(3, Math.ceil(3000 / n));
    const { cost } = await measure(async () => {
      for (let i = 0; i < reps; i++) await call(n);
    });
    const c = scale(cost, 1 / (reps * n));
    console.log(`  ${name} at batch ${n}: ${fmt(1000 / c.wall, 0)} rows/s wall, ${fmt(1000 / c.cpu, 0)} rows/s CPU`);
    return c;
  };
  const obsN = (n: number) => {
    const r = new Rng(n);
    const o = new Float32Array(n * sim.observationSize);
    for (let i = 0; i < o.length; i++) o[i] = r.next() < 0.1 ? 1 : 0;
    return o;
  };
  if (ENGINES_ONLY) {
    await compareEngines({ focalNet, coNet, sim, input, D, obsN, A, G });
    focalNet.dispose();
    coNet.dispose();
    return;
  }
  const bigN = 1024;
  const bigObs = obsN(bigN);
  const bigMask = new Uint8Array(bigN * A).fill(1);
  const bigTime = new Float32Array(bigN).fill(3);
  const bigGoals = new Float32Array(bigN * G);
  for (let r = 0; r < bigN; r++) bigGoals[r * G + (r % G)] = 1;
  console.log('network throughput (large batch):');
  let evalRow: Cost = { wall: Infinity, cpu: Infinity };
  let coRow: Cost = { wall: Infinity, cpu: Infinity };
  const best = (x: Cost, y: Cost): Cost => ({ wall: Math.min(x.wall, y.wall), cpu: Math.min(x.cpu, y.cpu) });
  for (const n of [512, bigN]) {
    evalRow = best(evalRow, await perRow('evaluator', (m) => evaluator({ batch: m, observations: bigObs, masks: bigMask, times: bigTime }), n));
    coRow = best(
      coRow,
      await perRow(
        'co-player model',
        (m) => coPlayer({ batch: m, observations: bigObs, masks: bigMask, times: bigTime, goals: bigGoals, goalDim: G }),
        n,
      ),
    );
  }

  // --- (a) this package, cache on and off ---
  const runA = async (cache: boolean) => {
    const planner = new HopPlanner({
      simulator: sim,
      evaluator,
      coPlayerModel: coPlayer,
      config: { numSimulations: SIMS, numTrees: TREES, cache },
    });
    return measure(() => planner.plan(input));
  };
  const tensorsBefore = tf.memory().numTensors;
  const { cost: costOn, value: withCache } = await runA(true);
  const { cost: costOff, value: noCache } = await runA(false);
  if (tf.memory().numTensors !== tensorsBefore) console.log(`WARNING: tensors leaked (${tf.memory().numTensors - tensorsBefore})`);
  const rows = (o: SearchOutput) => (o.counts.evaluatorRows + o.counts.coPlayerRows) / D;
  const bound = (o: SearchOutput): Cost => ({
    wall: (o.counts.evaluatorRows * evalRow.wall + o.counts.coPlayerRows * coRow.wall) / D,
    cpu: (o.counts.evaluatorRows * evalRow.cpu + o.counts.coPlayerRows * coRow.cpu) / D,
  });

  // --- (b) the naive node-based search, a few decisions of the same batch ---
  const naiveRng = new Rng(11);
  let naive: Cost = { wall: 0, cpu: 0 };
  let naiveCalls = 0;
  for (let k = 0; k < NAIVE_DECISIONS; k++) {
    // spread over environments and agents: env k * NUM_ENVS / NAIVE_DECISIONS, agent k mod 4
    const d = Math.floor((k * NUM_ENVS) / NAIVE_DECISIONS) * P + (k % P);
    const root = envs.states.slice(slots[d] * sim.stateWords, (slots[d] + 1) * sim.stateWords);
    const { cost, value: r } = await measure(() => naiveDecision(
      { sim, evaluator, coPlayer, numSimulations: SIMS, numTrees: TREES, gamma: 0.95, cPuct: 1, beta: 2 },
      root,
      focal[d],
      goalOrders.subarray(d * TREES * P * G, (d + 1) * TREES * P * G),
      naiveRng,
    ));
    naive = { wall: naive.wall + cost.wall, cpu: naive.cpu + cost.cpu };
    naiveCalls += r.calls;
  }
  naive = scale(naive, 1 / NAIVE_DECISIONS);
  naiveCalls /= NAIVE_DECISIONS;

  const a = scale(costOn, 1 / D);
  const aOff = scale(costOff, 1 / D);
  const t = withCache.timing;
  const bOn = bound(withCache);
  const bOff = bound(noCache);
  console.log('\nresults (per decision of one agent):');
  console.log(`  (a) @hop/mcts, ${D} decisions batched, cache on : ${both(a)}`);
  console.log(`      phases of the whole batch (wall): select ${fmt(t.select)} ms, models ${fmt(t.models)} ms, ` +
    `simulator ${fmt(t.simulator)} ms, backup ${fmt(t.backup)} ms, bookkeeping ${fmt(t.bookkeeping)} ms, total ${fmt(t.total)} ms`);
  console.log(`  (a) cache off                                  : ${both(aOff)}`);
  console.log(`  (b) naive node-based, batch-1 networks          : ${both(naive)} (mean of ${NAIVE_DECISIONS} decisions)`);
  console.log(`  speed-up (b) / (a)                              : ${fmt(naive.wall / a.wall, 2)}x wall, ${fmt(naive.cpu / a.cpu, 2)}x CPU   (target >= 5x)`);
  console.log('network rows per decision:');
  console.log(`  (a) cache on : ${fmt(rows(withCache), 0)} (evaluator ${fmt(withCache.counts.evaluatorRows / D, 0)}, co-player ${fmt(withCache.counts.coPlayerRows / D, 0)}); ` +
    `cache hits ${fmt((withCache.counts.evaluatorCacheHits + withCache.counts.coPlayerCacheHits) / D, 0)}`);
  console.log(`  (a) cache off: ${fmt(rows(noCache), 0)} (evaluator ${fmt(noCache.counts.evaluatorRows / D, 0)}, co-player ${fmt(noCache.counts.coPlayerRows / D, 0)})`);
  console.log(`  (b) naive    : ${fmt(naiveCalls, 0)} calls at batch 1, ${fmt(naive.wall / naiveCalls, 3)} ms wall / ${fmt(naive.cpu / naiveCalls, 3)} ms CPU per call`);
  console.log('bound = rows x large-batch cost per row:');
  console.log(`  cache on : ${both(bOn)} -> (a) / bound = ${fmt(a.wall / bOn.wall, 2)} wall, ${fmt(a.cpu / bOn.cpu, 2)} CPU   (target <= 1.5)`);
  console.log(`  cache off: ${both(bOff)} -> (a) / bound = ${fmt(aOff.wall / bOff.wall, 2)} wall, ${fmt(aOff.cpu / bOff.cpu, 2)} CPU`);
  console.log(`search depth: max ${Math.max(...withCache.maxDepth)}, mean leaf depth ${fmt(
    withCache.meanLeafDepth.reduce((s, x) => s + x, 0) / D, 2)}`);
  await compareEngines({ focalNet, coNet, sim, input, D, obsN, A, G });
  focalNet.dispose();
  coNet.dispose();
}

interface EngineContext {
  focalNet: MOAModel;
  coNet: MOAModel;
  sim: ReturnType<typeof createStagHuntSimulator>;
  input: Parameters<HopPlanner['plan']>[0];
  D: number;
  obsN: (n: number) => Float32Array;
  A: number;
  G: number;
}

/**
 * Engine column: the same search with the networks run by tfjs (the active backend, wasm here) and by
 * ONNX Runtime, in this process: CPU-seconds per decision batched (all D decisions in one lock-step
 * search) and for one agent alone (a search of one decision), network throughput at batch 1024, and
 * the time a weight refresh takes.
 */
async function compareEngines(c: EngineContext) {
  const engines: ('tfjs' | 'onnx')[] = ['tfjs', 'onnx'];
  const results: Record<string, { batched: Cost; single: Cost; rowsPerCpuS: number; refresh: number; netShare: number }> = {};
  console.log(`\nengine comparison (${c.D} decisions batched; ${SINGLE_DECISIONS} single-agent decisions, each alone):`);
  for (const engine of engines) {
    let focal: MOAInference;
    let co: MOAInference;
    try {
      focal = await createMOAInference(c.focalNet, { engine });
      co = await createMOAInference(c.coNet, { engine });
    } catch (e) {
      console.log(`  ${engine}: not available (${(e as Error).message})`);
      continue;
    }
    console.log(`  ${describeInference(focal.info)}`);
    const planner = new HopPlanner({
      simulator: c.sim,
      evaluator: focal.evaluator,
      coPlayerModel: co.coPlayerModel,
      config: { numSimulations: SIMS, numTrees: TREES, cache: true },
    });
    await planner.plan({ ...c.input, slots: c.input.slots.subarray(0, 1), focal: c.input.focal.subarray(0, 1), goalOrders: c.input.goalOrders.subarray(0, TREES * 4 * c.G), seeds: [1] }); // warm-up
    const { cost: batched, value: out } = await measure(() => planner.plan(c.input));
    // share of the search's wall time spent in the two networks (the rest: tree, simulator, bookkeeping)
    const netShare = out.timing.models / out.timing.total;
    let single: Cost = { wall: 0, cpu: 0 };
    const per = TREES * 4 * c.G;
    for (let k = 0; k < SINGLE_DECISIONS; k++) {
      const d = Math.floor((k * c.D) / SINGLE_DECISIONS);
      const one = {
        states: c.input.states,
        slots: c.input.slots.subarray(d, d + 1),
        focal: c.input.focal.subarray(d, d + 1),
        goalOrders: c.input.goalOrders.subarray(d * per, (d + 1) * per),
        seeds: [c.input.seeds[d]],
      };
      const { cost } = await measure(() => planner.plan(one));
      single = { wall: single.wall + cost.wall, cpu: single.cpu + cost.cpu };
    }
    // network throughput of the co-player model at batch 1024
    const n = 1024;
    const obs = c.obsN(n);
    const goals = new Float32Array(n * c.G);
    for (let r = 0; r < n; r++) goals[r * c.G + (r % c.G)] = 1;
    const batch = { batch: n, observations: obs, masks: new Uint8Array(n * c.A).fill(1), times: new Float32Array(n).fill(3), goals, goalDim: c.G };
    await co.coPlayerModel(batch);
    const { cost: thr } = await measure(async () => {
      for (let i = 0; i < 4; i++) await co.coPlayerModel(batch);
    });
    const refresh = await co.refresh();
    results[engine] = { batched: scale(batched, 1 / c.D), single: scale(single, 1 / SINGLE_DECISIONS), rowsPerCpuS: (4 * n * 1000) / thr.cpu, refresh, netShare };
    await focal.dispose();
    await co.dispose();
  }
  console.log('  engine | batched: CPU s / decision (wall) | network share | single agent: CPU s / decision (wall) | co-player rows per CPU-s @1024 | weight refresh');
  for (const [engine, r] of Object.entries(results))
    console.log(
      `  ${engine.padEnd(6)} | ${fmt(r.batched.cpu / 1000, 3)} (${fmt(r.batched.wall / 1000, 3)} s) | ${fmt(100 * r.netShare, 0)}% | ${fmt(r.single.cpu / 1000, 3)} (${fmt(r.single.wall / 1000, 3)} s) | ` +
        `${fmt(r.rowsPerCpuS, 0)} | ${engine === 'onnx' ? `${fmt(r.refresh, 1)} ms (co-player MOA: export + 3 sessions)` : 'none (live weights)'}`,
    );
  const t = results.tfjs;
  const o = results.onnx;
  if (t && o)
    console.log(
      `  tfjs / onnx CPU per decision: batched ${fmt(t.batched.cpu / o.batched.cpu, 2)}x (target >= 3x), single ${fmt(t.single.cpu / o.single.cpu, 2)}x (target >= 2x); ` +
        `network throughput ${fmt(o.rowsPerCpuS / t.rowsPerCpuS, 2)}x`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
