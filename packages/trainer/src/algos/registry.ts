import { HopError } from '@hop/core';
import { directOm } from './direct-om';
import { hop } from './hop';
import { hopWm } from './hop-wm';
import { hopOneStep } from './hop-onestep';
import { ppo } from './ppo';
import type { Algorithm } from './types';

/** Every `hop train --algo` choice. A new algorithm is a folder beside these and one line here. */
export const ALGORITHMS: Record<string, Algorithm> = {
  hop,
  'hop-wm': hopWm,
  'direct-om': directOm,
  ppo,
  'hop-onestep': hopOneStep,
};

export function algorithm(name: string): Algorithm {
  const a = ALGORITHMS[name];
  if (!a) throw new HopError('E_CONFIG', `unknown --algo "${name}"; choose one of ${Object.keys(ALGORITHMS).join(', ')}`);
  return a;
}
