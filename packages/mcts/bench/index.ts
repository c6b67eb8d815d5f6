/**
 * @hop/mcts benchmark on the hop-msh Stag Hunt with the reference networks (random weights):
 * (a) this package: all 4 agents' trees of 16 parallel environments in one lock-step search,
 *     treeNum 5 x 200 simulations per decision;
 * (b) the reference's structure: node objects, a snapshot restored per expansion, networks at batch 1;
 * and the bound (a) cannot beat: the network rows it evaluates divided by the networks' large-batch
 * throughput, measured in the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, describeBackend, initBackend } from '@hop/core';
import type { CoPlayerModel, Evaluator } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, toCoPlayerModel, toEvaluator } from '@hop/moa';
import { HopPlanner, sampleGoalOrders } from '../src/index';
import type { SearchOutput } from '../src/index';
import { naiveDecision } from './naive';

const NUM_ENVS = Number(process.env.BENCH_ENVS ?? 16);
const SIMS = Number(process.env.BENCH_SIMS ?? 200);
const TREES = Number(process.env.BENCH_TREES ?? 5);
const NAIVE_DECISIONS = Number(process.env.BENCH_NAIVE_DECISIONS ?? 1);

const fmt = (x: number, d = 1) => x.toFixed(d);

async function main() {
  const backend = await initBackend();
  console.log(`@hop/mcts bench — ${describeBackend(backend)}\n${NUM_ENVS} envs x 4 agents, treeNum ${TREES} x ${SIMS} sims`);

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
  const beliefs = new Float32Array(P * G).fill(1 / G);
  const rng = new Rng(7);
  for (let e = 0; e < NUM_ENVS; e++)
    for (let i = 0; i < P; i++) {
      const d = e * P + i;
      slots[d] = e;
      focal[d] = i;
      sampleGoalOrders(beliefs, P, G, TREES, rng, goalOrders, d * TREES * P * G);
    }
  const input = { states: envs.states, slots, focal, goalOrders, seeds: Array.from({ length: D }, (_, d) => 100 + d) };

  // --- network throughput at large batch ---
  const throughput = async (name: string, call: (n: number) => unknown, n: number) => {
    await call(n); // warm-up (kernels, weights upload)
    let rows = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 4000) {
      await call(n);
      rows += n;
    }
    const perSec = rows / ((performance.now() - t0) / 1000);
    console.log(`  ${name}: ${fmt(perSec, 0)} rows/s at batch ${n}`);
    return perSec;
  };
  const obsN = (n: number) => {
    const r = new Rng(n);
    const o = new Float32Array(n * sim.observationSize);
    for (let i = 0; i < o.length; i++) o[i] = r.next() < 0.1 ? 1 : 0;
    return o;
  };
  const bigN = 1024;
  const bigObs = obsN(bigN);
  const bigMask = new Uint8Array(bigN * A).fill(1);
  const bigTime = new Float32Array(bigN).fill(3);
  const bigGoals = new Float32Array(bigN * G);
  for (let r = 0; r < bigN; r++) bigGoals[r * G + (r % G)] = 1;
  console.log('network throughput (large batch):');
  const evalRate = await throughput(
    'evaluator',
    (n) => evaluator({ batch: n, observations: bigObs, masks: bigMask, times: bigTime }),
    bigN,
  );
  const coRate = await throughput(
    'co-player model',
    (n) => coPlayer({ batch: n, observations: bigObs, masks: bigMask, times: bigTime, goals: bigGoals, goalDim: G }),
    bigN,
  );

  // --- (a) this package, cache on and off ---
  const runA = async (cache: boolean): Promise<SearchOutput> => {
    const planner = new HopPlanner({
      simulator: sim,
      evaluator,
      coPlayerModel: coPlayer,
      config: { numSimulations: SIMS, treeNum: TREES, cache },
    });
    return planner.plan(input);
  };
  const tensorsBefore = tf.memory().numTensors;
  const withCache = await runA(true);
  const noCache = await runA(false);
  if (tf.memory().numTensors !== tensorsBefore) console.log(`WARNING: tensors leaked (${tf.memory().numTensors - tensorsBefore})`);
  const perDecision = (o: SearchOutput) => o.timing.total / D;
  const rows = (o: SearchOutput) => (o.counts.evaluatorRows + o.counts.coPlayerRows) / D;
  const bound = (o: SearchOutput) =>
    ((o.counts.evaluatorRows / evalRate + o.counts.coPlayerRows / coRate) * 1000) / D;

  // --- (b) the naive node-based search, a few decisions of the same batch ---
  const naiveRng = new Rng(11);
  let naiveMs = 0;
  let naiveCalls = 0;
  for (let k = 0; k < NAIVE_DECISIONS; k++) {
    const d = k * P + (k % P);
    const root = envs.states.slice(slots[d] * sim.stateWords, (slots[d] + 1) * sim.stateWords);
    const t0 = performance.now();
    const r = await naiveDecision(
      { sim, evaluator, coPlayer, numSimulations: SIMS, treeNum: TREES, gamma: 0.95, cPuct: 1, beta: 2 },
      root,
      focal[d],
      goalOrders.subarray(d * TREES * P * G, (d + 1) * TREES * P * G),
      naiveRng,
    );
    naiveMs += performance.now() - t0;
    naiveCalls += r.calls;
  }
  naiveMs /= NAIVE_DECISIONS;
  naiveCalls /= NAIVE_DECISIONS;

  const a = perDecision(withCache);
  const t = withCache.timing;
  console.log('\nresults (per decision of one agent):');
  console.log(`  (a) @hop/mcts, ${D} decisions batched, cache on : ${fmt(a)} ms`);
  console.log(`      breakdown of the batch: select ${fmt(t.select)} ms, models ${fmt(t.models)} ms, simulator ${fmt(t.simulator)} ms, ` +
    `backup ${fmt(t.backup)} ms, bookkeeping ${fmt(t.bookkeeping)} ms, total ${fmt(t.total)} ms`);
  console.log(`  (a) cache off                                  : ${fmt(perDecision(noCache))} ms`);
  console.log(`  (b) naive node-based, batch-1 networks          : ${fmt(naiveMs)} ms (${NAIVE_DECISIONS} decision(s))`);
  console.log(`  speed-up (b) / (a)                              : ${fmt(naiveMs / a, 2)}x   (target >= 5x)`);
  console.log('network rows per decision:');
  console.log(`  cache on : ${fmt(rows(withCache), 0)} (evaluator ${fmt(withCache.counts.evaluatorRows / D, 0)}, co-player ${fmt(withCache.counts.coPlayerRows / D, 0)}); ` +
    `hits ${fmt((withCache.counts.evaluatorCacheHits + withCache.counts.coPlayerCacheHits) / D, 0)}`);
  console.log(`  cache off: ${fmt(rows(noCache), 0)} (evaluator ${fmt(noCache.counts.evaluatorRows / D, 0)}, co-player ${fmt(noCache.counts.coPlayerRows / D, 0)})`);
  console.log(`  naive (b): ${fmt(naiveCalls, 0)} calls at batch 1, ${fmt(naiveMs / naiveCalls, 3)} ms per call`);
  console.log('bound = rows / large-batch throughput:');
  console.log(`  cache on : ${fmt(bound(withCache))} ms -> (a) / bound = ${fmt(a / bound(withCache), 2)}   (target <= 1.5)`);
  console.log(`  cache off: ${fmt(bound(noCache))} ms -> (a, cache off) / bound = ${fmt(perDecision(noCache) / bound(noCache), 2)}`);
  console.log(`search depth: max ${Math.max(...withCache.maxDepth)}, mean leaf depth ${fmt(
    withCache.meanLeafDepth.reduce((s, x) => s + x, 0) / D, 2)}`);
  focalNet.dispose();
  coNet.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
