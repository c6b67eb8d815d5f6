import { HopError } from '@hop/core';
import { directOm } from './direct-om';
import { hop } from './hop';
import { hopWm } from './hop-wm';
import { hopOneStep } from './hop-onestep';
import { ppo } from './ppo';
import { isLoopAlgorithm, type SelfPlayAlgorithm, type TrainAlgorithm } from './types';

/** Every `hop train --algo` choice. A new algorithm is a folder beside these and one line here. */
export const ALGORITHMS: Record<string, TrainAlgorithm> = {
  hop,
  'hop-wm': hopWm,
  'direct-om': directOm,
  ppo,
  'hop-onestep': hopOneStep,
};

export function algorithm(name: string): TrainAlgorithm {
  const a = ALGORITHMS[name];
  if (!a) throw new HopError('E_CONFIG', `unknown --algo "${name}"; choose one of ${Object.keys(ALGORITHMS).join(', ')}`);
  return a;
}

/** A planning algorithm of the shared self-play loop (rollout workers and `HopAgent` need one). */
export function planningAlgorithm(name: string): SelfPlayAlgorithm {
  const a = algorithm(name);
  if (isLoopAlgorithm(a)) throw new HopError('E_CONFIG', `--algo ${name} does not plan with MCTS; it has no planning agent`);
  return a;
}
