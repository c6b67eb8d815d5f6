import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { HopError, initBackend } from '@hop/core';
import { VecStagHunt, createStagHuntSimulator } from '@hop/env-staghunt';
import { MOAModel, PairRegistry } from '@hop/moa';
import { CoPlayerInference } from '../src/beliefs/inference';
import { goalVectorOf } from '../src/beliefs/online-feed';
import { discreteGoals } from '../src/team/goals';
import { TARGET_GOAL_DIM, fillTargetGoals, targetGoalModel, targetGoalRows, targetGoals, writeTargetGoal } from '../src/team/target-goals';
import { HopAgent } from '../src/algos/hop/agent';
import { HopTeam } from '../src/team/team';
import { writeConditions } from '../src/algos/hop-onestep/extension';
import { runHopInProcess, tempDir, tinyDataset, TINY_NET } from './helpers';

const game = createStagHuntSimulator('small-2p');
const shape = [...game.observationShape];
// Player 0 top-left beside an obstacle, a hare top-right, a stag bottom-left, player 1 at (2,1).
const PICTURE = `0 # . H\n. . . .\n. 1 . .\nS . . .`;

function views(picture: string): { arena: Int32Array; obs: Float32Array; legal: Uint8Array } {
  const arena = game.allocate(2);
  game.parse(picture, arena, 0);
  const view = { states: arena, slots: Int32Array.of(0), count: 1 };
  const obs = new Float32Array(game.numAgents * game.observationSize);
  game.observe(view, obs);
  const legal = new Uint8Array(game.numAgents * game.numActions);
  game.legalActions(view, legal);
  return { arena, obs, legal };
}

describe('target-named goals (--goal-input target)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('write the goal type, then the moves toward its nearest prey and the distance, from each player\'s own view (hand-worked)', () => {
    const { obs } = views(PICTURE);
    const O = game.observationSize;
    const out = new Float32Array(TARGET_GOAL_DIM);
    const row = (p: number, g: number) => (writeTargetGoal(shape, obs, p * O, g, out, 0), Array.from(out));
    // player 0: the hare is 5 steps away around the obstacle (down first), the stag 3 steps straight down
    expect(row(0, 1)).toEqual([0, 1, 0, 0, 1, 0, 0, 5 / 8, 0]);
    expect(row(0, 0)).toEqual([1, 0, 0, 0, 1, 0, 0, 3 / 8, 0]);
    // player 1 at (2,1): up or right toward the hare (4 steps), down or left toward the stag (2 steps)
    expect(row(1, 1)).toEqual([0, 1, 0, 1, 0, 0, 1, 4 / 8, 0]);
    expect(row(1, 0)).toEqual([1, 0, 0, 0, 1, 1, 0, 2 / 8, 0]);
    // none: its one-hot, no target
    expect(row(1, -1)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
    // every row under every goal; the planner's assembled rows get the same features from their goal-type part
    const setup = targetGoals(TARGET_GOAL_DIM, 2, shape);
    const all = targetGoalRows(setup, obs, 2);
    expect(Array.from(all.subarray(2 * TARGET_GOAL_DIM, 3 * TARGET_GOAL_DIM))).toEqual(row(1, 0));
    const assembled = new Float32Array(2 * TARGET_GOAL_DIM);
    assembled.set(setup.goalVectors.subarray(TARGET_GOAL_DIM, 2 * TARGET_GOAL_DIM), 0); // row 0: hare
    assembled[TARGET_GOAL_DIM + 2] = 1; // row 1: none
    const filled = fillTargetGoals(setup, obs, assembled, 2);
    expect(Array.from(filled.subarray(0, TARGET_GOAL_DIM))).toEqual(row(0, 1));
    expect(Array.from(filled.subarray(TARGET_GOAL_DIM))).toEqual(row(1, -1));
    expect(assembled[3]).toBe(0); // the planner's buffer is left as it was
    // two rows under the same goal: each row's features come from its own view, not the first row's
    const stagBoth = new Float32Array(2 * TARGET_GOAL_DIM);
    stagBoth[0] = stagBoth[TARGET_GOAL_DIM] = 1;
    const both = fillTargetGoals(setup, obs, stagBoth, 2);
    expect(Array.from(both.subarray(TARGET_GOAL_DIM))).toEqual(row(1, 0));
    expect(Array.from(both.subarray(0, TARGET_GOAL_DIM))).toEqual(row(0, 0));
  });

  it('the planner model sees filled rows only for a target set-up; a wrong width is a named error', () => {
    const { obs } = views(PICTURE);
    const seen: Float32Array[] = [];
    const model = (input: { batch: number; observations: Float32Array; masks: Uint8Array; times: Float32Array; goals: Float32Array; goalDim: number }) => {
      seen.push(input.goals);
      return { probs: new Float32Array(input.batch * 7) };
    };
    const setup = targetGoals(TARGET_GOAL_DIM, 2, shape);
    const goals = Float32Array.from({ length: 2 * TARGET_GOAL_DIM }, (_, x) => (x === 0 || x === TARGET_GOAL_DIM ? 1 : 0));
    const batch = { batch: 2, observations: obs, masks: new Uint8Array(14).fill(1), times: new Float32Array(2), goals, goalDim: TARGET_GOAL_DIM };
    targetGoalModel(setup, model)(batch, null);
    expect(Array.from(seen[0])).toEqual(Array.from(fillTargetGoals(setup, obs, goals, 2)));
    expect(seen[0][7]).toBe(3 / 8);
    const plain = discreteGoals(3, 2);
    expect(targetGoalModel(plain, model)).toBe(model);
    const e = (() => {
      try {
        targetGoals(3, 2, shape, 'the MOA of --pretrained p');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(HopError);
    expect((e as Error).message).toMatch(/the MOA of --pretrained p takes a goal of width 3.*9 wide.*--goal-input target/);
  });

  it("a planning team's co-player model sees each tree row's goal named by its target in that row's view", async () => {
    const setup = targetGoals(TARGET_GOAL_DIM, 2, shape);
    const model = new MOAModel({ observationShape: shape, numActions: 7, goalDim: TARGET_GOAL_DIM, maxTime: 20, convFilters: [4], hiddenUnits: 8, seed: 3 });
    const policy = new MOAModel({ observationShape: shape, numActions: 7, goalDim: 0, maxTime: 20, convFilters: [4], hiddenUnits: 8, seed: 4 });
    const registry = new PairRegistry(model, 2);
    const rows: { obs: Float32Array; goals: Float32Array; n: number }[] = [];
    const team = new HopTeam({
      game,
      policy,
      registry,
      goals: setup,
      planner: { numSimulations: 6, numTrees: 2 },
      numEnvs: 1,
      coPlayerModel: (inner) => (input, owners) => (rows.push({ obs: input.observations.slice(), goals: input.goals.slice(), n: input.batch }), inner(input, owners)),
    });
    await team.syncEngines();
    const { arena } = views(PICTURE);
    team.startEpisode(arena, 0);
    await team.plan(arena, Int32Array.of(0), Int32Array.of(0), [7], 1);
    expect(rows.length).toBeGreaterThan(0);
    let named = 0;
    for (const r of rows) {
      expect(Array.from(r.goals)).toEqual(Array.from(fillTargetGoals(setup, r.obs, r.goals, r.n)));
      for (let k = 0; k < r.n; k++) if (r.goals[k * TARGET_GOAL_DIM + 7] > 0) named++;
    }
    expect(named).toBeGreaterThan(0);
    await team.engines.dispose();
    registry.dispose();
    model.dispose();
    policy.dispose();
  });

  it("hop-onestep's conditioning rows mix each co-player's action distribution under its target-named goals", async () => {
    const setup = targetGoals(TARGET_GOAL_DIM, 2, shape);
    const model = new MOAModel({ observationShape: shape, numActions: 7, goalDim: TARGET_GOAL_DIM, maxTime: 20, convFilters: [4], hiddenUnits: 8, seed: 3 });
    const registry = new PairRegistry(model, 2);
    const env = new VecStagHunt('small-2p', { numEnvs: 1, seed: 1, observations: 'grid', autoReset: false });
    const inference = new CoPlayerInference({ game, registry, goals: setup, numEnvs: 1 });
    await inference.syncEngines();
    inference.startEpisode(env.states, 0);
    const A = 7;
    const C = A + 2;
    const out = new Float32Array(2 * C);
    writeConditions(env, inference, registry, setup, 2, out);
    // player 0's row of co-player 1: player 1's view, mixed over the goals by player 0's belief
    const O = game.observationSize;
    const obs1 = env.observations.slice(O, 2 * O);
    const mix = (goals: tf.Tensor | Float32Array) => {
      const t = tf.tidy(() => model.probsForGoals({ obs: obs1, mask: env.masks.slice(A, 2 * A), time: Float32Array.of(env.times[0]) }, goals));
      const p = t.dataSync();
      t.dispose();
      const b = inference.belief(0, 0);
      return Array.from({ length: A }, (_, a) => b[0] * p[a] + b[1] * p[A + a]);
    };
    const want = mix(tf.tensor3d(targetGoalRows(setup, obs1, 1), [1, 2, TARGET_GOAL_DIM]));
    for (let a = 0; a < A; a++) expect(out[a]).toBeCloseTo(want[a], 5);
    expect(Array.from(out.subarray(A, C))).toEqual(Array.from(inference.belief(0, 0)));
    // control: the goal-type part alone gives another mix
    const bare = mix(setup.goalVectors);
    expect(Math.max(...want.map((w, a) => Math.abs(w - bare[a])))).toBeGreaterThan(1e-4);
    await inference.engines.dispose();
    registry.dispose();
    model.dispose();
  });

  it('online buffers label a step with its target-named goal; one-hot set-ups with the one-hot', () => {
    const { obs } = views(PICTURE);
    const O = game.observationSize;
    const out = new Float32Array(TARGET_GOAL_DIM);
    goalVectorOf(targetGoals(TARGET_GOAL_DIM, 2, shape))(1, out, obs.subarray(O, 2 * O));
    expect(Array.from(out)).toEqual([0, 1, 0, 1, 0, 0, 1, 4 / 8, 0]);
    const one = new Float32Array(3);
    goalVectorOf(discreteGoals(3, 2))(1, one, obs.subarray(O, 2 * O));
    expect(Array.from(one)).toEqual([0, 1, 0]);
  });

  it("beliefs weigh a co-player's action under each goal named by its target in that co-player's view", async () => {
    const model = new MOAModel({ observationShape: shape, numActions: 7, goalDim: TARGET_GOAL_DIM, maxTime: 20, convFilters: [4], hiddenUnits: 8, seed: 3 });
    const registry = new PairRegistry(model, 2);
    const { arena, obs, legal } = views(PICTURE);
    const O = game.observationSize;
    // both step: player 1 moves up (toward the hare)
    const actions = Int32Array.of(4, 0);
    game.step({ states: arena, from: Int32Array.of(0), to: Int32Array.of(1), actions, count: 1, rewards: new Float32Array(2), terminal: new Uint8Array(1) });
    const next = arena.slice();
    next.copyWithin(0, game.stateWords, 2 * game.stateWords);
    const expected = (setupRows: Float32Array) => {
      const p = tf.tidy(() =>
        model.probs({ obs: Float32Array.from([...obs.subarray(O, 2 * O), ...obs.subarray(O, 2 * O)]), mask: Uint8Array.from([...legal.subarray(7, 14), ...legal.subarray(7, 14)]), time: new Float32Array(2), goal: setupRows }),
      );
      const v = p.dataSync();
      p.dispose();
      const l = [v[0], v[7]];
      return l.map((x) => x / (l[0] + l[1]));
    };
    const target = targetGoals(TARGET_GOAL_DIM, 2, shape);
    const inference = new CoPlayerInference({ game, registry, goals: target, numEnvs: 1 });
    await inference.syncEngines();
    inference.startEpisode(arena, 0);
    await inference.observe(arena, next, Int32Array.of(0), 1, actions, Uint8Array.of(1, 1));
    const rows = targetGoalRows(target, obs.subarray(O, 2 * O), 1);
    const want = expected(rows);
    const got = Array.from(inference.belief(0, 0));
    expect(got[0]).toBeCloseTo(want[0], 5);
    expect(got[1]).toBeCloseTo(want[1], 5);
    // control: the goal-type part alone (what the planner assembles) gives other beliefs
    const bare = expected(target.goalVectors);
    expect(Math.abs(bare[0] - want[0])).toBeGreaterThan(1e-4);
    registry.dispose();
    model.dispose();
  });

  it('hop pretrain --goal-input target, then hop train and HopAgent.fromRun plan with target-named goals', async () => {
    const dir = tempDir('target');
    const data = await tinyDataset(join(dir, 'data'), 30, 3);
    const pre = join(dir, 'pre');
    let r = await runHopInProcess(['pretrain', '--data', data, '--out', pre, '--epochs', '1', '--seed', '2', '--goal-input', 'target', ...TINY_NET]);
    expect(r.code, r.stderr).toBe(0);
    const generic = JSON.parse(readFileSync(join(pre, 'pairs', 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(generic)).toMatch(/"goalDim":9/);
    const run = join(dir, 'run');
    r = await runHopInProcess([
      'train', '--algo', 'hop', '--env', 'small-2p', '--pretrained', pre, '--moa-filters', '8', '--moa-hidden', '32', '--num-envs', '2', '--num-trees', '2',
      '--num-simulations', '4', '--eval-envs', '2', '--eval-episodes', '2', '--eval-every', '1', '--replay-every', '0', '--policy-filters', '8',
      '--policy-hidden', '16', '--moa-capacity', '12', '--moa-epochs', '1', '--moa-minibatch', '16', '--sgd-passes', '1', '--minibatch', '32',
      '--iterations', '1', '--progress', 'none', '--seed', '1', '--out', run,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/co-players target goals/);
    const records = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const sens = records.map((m) => m['moa/goal_sensitivity']).filter((v) => typeof v === 'number') as number[];
    expect(sens.length).toBeGreaterThan(0);
    expect(existsSync(join(run, 'checkpoints'))).toBe(true);
    const agent = await HopAgent.fromRun(run, { focal: 0, decisions: 'greedy' });
    try {
      expect(agent.team.goals.mode).toBe('target');
      expect(agent.team.goals.gridShape).toEqual(shape);
      const { arena } = views(PICTURE);
      agent.startEpisode(arena, 0);
      const a = await agent.act(arena, 0);
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThan(7);
    } finally {
      await agent.dispose();
    }
  }, 300_000);
});
