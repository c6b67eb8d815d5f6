import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HopError } from '@hop/core';
import { stagHuntRewards, type StagHuntSimulator } from '@hop/env-staghunt';
import { WorldModelSimulator, createWorldModelInference, loadWorldModel, rulesOf, stagHuntRules } from '@hop/world-model';
import type { PlanningSetup } from './setup';

/**
 * Opens the world model of a `hop world-model` run (its best checkpoint) and checks that it models this game:
 * same grid, players, channels, episode length and reward rules. The network runs on the same inference
 * engine as the policy and co-player models (ONNX Runtime when installed; `HOP_INFERENCE` decides): its
 * weights never change during a run, so the engine is built once.
 */
export async function worldModelPlanning(dir: string, game: StagHuntSimulator): Promise<PlanningSetup> {
  const best = existsSync(join(dir, 'best', 'meta.json')) ? join(dir, 'best') : dir;
  if (!existsSync(join(best, 'meta.json')))
    throw new HopError('E_RUN_MISSING', `--world-model ${dir} holds no world-model checkpoint (best/meta.json); train one with \`hop world-model\``);
  const { model } = await loadWorldModel(best);
  // Checked on the model itself, before the (costly) export to the inference engine.
  const l = model.layout;
  const [h, w, c] = game.observationShape;
  const mismatch: string[] = [];
  if (l.height !== h || l.width !== w) mismatch.push(`grid ${l.height}x${l.width} vs ${h}x${w}`);
  if (l.players !== game.numAgents) mismatch.push(`${l.players} players vs ${game.numAgents}`);
  if (l.channels !== c) mismatch.push(`${l.channels} channels vs ${c}`);
  if (model.config.finalTime !== undefined && model.config.finalTime !== game.config.finalTime)
    mismatch.push(`episode length ${model.config.finalTime} vs ${game.config.finalTime}`);
  const rules = stagHuntRules(game.config);
  if (JSON.stringify(rulesOf(l)) !== JSON.stringify(rules)) mismatch.push(`reward rules ${JSON.stringify(rulesOf(l))} vs ${JSON.stringify(rules)}`);
  if (mismatch.length) {
    model.dispose();
    throw new HopError('E_WORLD_MODEL', `--world-model ${dir} was trained on another preset than this run's environment: ${mismatch.join(', ')}`);
  }
  const inference = await createWorldModelInference(model).catch((e: unknown) => {
    model.dispose();
    throw e;
  });
  const releaseInference = (): void => {
    inference.dispose().catch(() => {
      // Nothing left to do with a session that failed to close; the process keeps running the next run.
    });
  };
  let sim: WorldModelSimulator;
  try {
    sim = new WorldModelSimulator(model, { predictor: inference, ownsModel: true, finalTime: game.config.finalTime, rewards: stagHuntRewards(game.config) });
  } catch (e) {
    releaseInference();
    model.dispose();
    throw e;
  }
  const release = (): void => {
    releaseInference();
    sim.dispose();
  };
  const W = sim.stateWords;
  const O = game.observationSize;
  let arena = new Int32Array(0);
  let slots = new Int32Array(0);
  let grid = new Float32Array(0);
  const time = new Float32Array(1);
  const one = new Int32Array(1);
  return {
    planning: sim,
    // The planner's roots: each real state as the world model's state record, decoded from player 0's view.
    roots: {
      encode(states, envs, count) {
        if (arena.length < count * W) {
          arena = new Int32Array(count * W);
          slots = Int32Array.from({ length: count }, (_, k) => k);
          grid = new Float32Array(game.numAgents * O);
        }
        for (let d = 0; d < count; d++) {
          one[0] = envs[d];
          const view = { states, slots: one, count: 1 };
          game.observe(view, grid);
          game.time(view, time);
          sim.codec.encode(grid, 0, 0, time[0], arena, d * W);
          // An end the rules set after the first catch is in the true state, not in the grid.
          const end = states[envs[d] * game.stateWords + game.geometry.END];
          arena[d * W + sim.codec.END] = end < game.config.finalTime ? end : 0;
        }
        return { states: arena, slots };
      },
    },
    facts: { simulator: 'world model', worldModel: dir, checkpoint: best, engine: inference.engine, engineReason: inference.reason },
    dispose: release,
  };
}
