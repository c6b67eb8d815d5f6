import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HopError } from '@hop/core';
import { createStagHuntSimulator, type PresetName, type StagHuntSimulator, type VecStagHunt } from '@hop/env-staghunt';
import { RunDir } from '../../run/layout';
import type { Controller, ControllerOptions } from '../types';
import { loadPPONetworks, readPPOState } from './checkpoint';
import type { PPOExtensionFactory, PPOLoopConfig } from './loop';
import { buildPPONetwork } from './network';
import { PPOPolicies } from './policies';

/**
 * The greedy agents of a PPO-family run (newest checkpoint) for `hop eval`; with an extension (hop-onestep)
 * its evaluation hooks keep the beliefs about the co-players across the pairing's episodes.
 */
/** Policy-gradient agents have no search, beliefs or tree: the diagnosis rows do not apply to them. */
export function refuseDiagnosis(root: string, algo: string, options: ControllerOptions): void {
  if (options.variant) throw new HopError('E_CONFIG', `the diagnosis variant ${options.variant} needs a planning (HOP-family) run; ${root} is ${algo}`);
}

export async function ppoController(root: string, dir: string, vec: VecStagHunt, extension?: PPOExtensionFactory, onlineCapacity?: number): Promise<Controller> {
  if (!existsSync(join(dir, 'policy'))) throw new HopError('E_CHECKPOINT', `${dir} holds no policy networks`);
  const state = readPPOState(dir);
  const saved = new RunDir(root).readConfig<PPOLoopConfig>().config;
  // An evaluation may shrink the online buffers so that the co-player models adapt within its K episodes.
  const config = { ...saved, ...(onlineCapacity ? { moaCapacity: onlineCapacity } : {}) };
  const game: StagHuntSimulator = createStagHuntSimulator(String(config.env) as PresetName);
  const ext = extension ? await extension(config, game) : null;
  if (ext) await ext.load(dir, state.extra);
  const P = game.numAgents;
  const C = ext?.conditionDim ?? 0;
  const nets = Array.from({ length: config.shareParameters ? 1 : P }, () =>
    buildPPONetwork({
      observationShape: [...game.observationShape],
      numActions: game.numActions,
      conditionDim: C,
      maxTime: game.config.finalTime,
      convFilters: config.policyFilters,
      mlpUnits: [config.policyHidden],
      hiddenUnits: config.policyHidden,
      seed: 0,
      loadWeights: true,
    }),
  );
  await loadPPONetworks(dir, nets.map((n) => n.net));
  const policies = new PPOPolicies(nets, P);
  const hooks = ext?.hooks(vec, 'eval') ?? {};
  const N = vec.numEnvs * P;
  const time = new Float32Array(N);
  const cond = C > 0 ? new Float32Array(N * C) : null;
  const inPlay = new Uint8Array(N);
  return {
    act: async (env, mine, out) => {
      for (let j = 0; j < N; j++) time[j] = env.times[Math.floor(j / P)];
      if (cond && hooks.condition) await hooks.condition(env, inPlay, cond);
      // Greedy: the most probable legal action, as in training's held-out evaluation.
      const a = policies.act({ obs: env.observations, mask: env.masks, time, condition: cond }, N, null);
      for (let j = 0; j < N; j++) if (mine[j]) out[j] = a.action[j];
    },
    observe: async (env, _prev, actions, acted) => {
      inPlay.set(acted);
      if (hooks.observe) await hooks.observe(env, actions, acted);
    },
    startEpisode: () => {},
    endEpisode: async () => {},
    dispose: async () => {
      policies.dispose();
      ext?.dispose();
    },
  };
}
