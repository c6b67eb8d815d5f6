/** One step of one in-play agent: the unit of offline data (docs/data.md). */
export interface Transition {
  /** Flat `[mask, grid]` observation. */
  obs: Float32Array;
  action: number;
  reward: number;
  done: boolean;
  time: number;
  agent: number;
  episode: number;
  envId: number;
  /** Hindsight goal label: the goal the agent achieved next, or -1 for none. */
  goal: number;
}

/** The steps of one agent through one episode, in order. */
export interface Trajectory {
  agent: number;
  episode: number;
  transitions: Transition[];
}
