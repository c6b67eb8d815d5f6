import type { GridObservation } from './env';

/** Anything that picks an action from an observation: rule-based co-players, trained policies. */
export interface Agent<Obs = GridObservation> {
  readonly name: string;
  /** Called at the start of every episode; the seed makes the agent's own randomness reproducible. */
  reset?(seed: number): void;
  act(observation: Obs): number;
}
