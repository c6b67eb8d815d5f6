import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@hop/core';
import type * as tf from '@tensorflow/tfjs';
import { readStateFile } from '../../run/checkpoints';
import { writeDirAtomic } from '../../run/layout';
import type { RunCounters } from '../../run/lifecycle';
import type { PPOLearner } from './learner';

export const PPO_POLICY_KIND = 'hop-ppo-policy';

/** What every PPO checkpoint holds: the networks (with Adam's moments) and state.json, written last. */
export const PPO_CHECKPOINT_FILES = ['state.json', 'policy/meta.json'] as const;

/** The PPO loop's counters, saved beside the networks. */
export interface PPOState extends RunCounters {
  format: 'hop-ppo-state';
  version: 1;
  algo: string;
  envSteps: number;
  episodes: number;
  /** What an algorithm built on PPO keeps besides (hop-onestep: its beliefs' priors). */
  extra?: Record<string, unknown>;
}

const netName = (i: number, shared: boolean) => (shared ? 'shared' : `player_${i}`);

/** Writes the networks with their Adam state and the counters, atomically (state.json last). */
export async function savePPOCheckpoint(
  dir: string,
  learners: PPOLearner[],
  state: PPOState,
  more?: (tmp: string) => Promise<Record<string, unknown>>,
): Promise<void> {
  const shared = learners.length === 1;
  await writeDirAtomic(dir, async (tmp) => {
    const models: Record<string, tf.LayersModel> = {};
    const optimizers: Record<string, tf.Optimizer> = {};
    learners.forEach((l, i) => {
      models[netName(i, shared)] = l.model.net;
      optimizers[netName(i, shared)] = l.optimizer;
    });
    await saveCheckpoint(join(tmp, 'policy'), { kind: PPO_POLICY_KIND, config: { moa: learners[0].model.config, settings: learners[0].settings }, models, optimizers });
    const extra = more ? await more(tmp) : undefined;
    // Written last: a directory without state.json is not a checkpoint.
    await writeFile(join(tmp, 'state.json'), JSON.stringify({ ...state, ...(extra ? { extra } : {}) }, null, 1) + '\n');
  });
}

export function readPPOState(dir: string): PPOState {
  return readStateFile<PPOState>(dir, 'hop-ppo-state', 'PPO');
}

/** Loads the networks (and, when given, their optimizers) of a PPO checkpoint. */
export async function loadPPONetworks(dir: string, nets: tf.LayersModel[], optimizers?: tf.Optimizer[]): Promise<void> {
  const shared = nets.length === 1;
  const models = Object.fromEntries(nets.map((n, i) => [netName(i, shared), n]));
  const opts = optimizers ? Object.fromEntries(optimizers.map((o, i) => [netName(i, shared), o])) : undefined;
  await loadCheckpoint(join(dir, 'policy'), { kind: PPO_POLICY_KIND, models, ...(opts ? { optimizers: opts } : {}) });
}
