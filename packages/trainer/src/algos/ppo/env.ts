/**
 * What the PPO collector needs of a vectorised multi-agent environment. `VecStagHunt` (with `autoReset`) has
 * exactly these fields; the tests drive the same code with a hand-made corridor. Row `k * numAgents + p` of
 * every per-agent array is env k's player p.
 */
export interface MaskedVecEnv {
  readonly numEnvs: number;
  readonly numAgents: number;
  readonly numActions: number;
  readonly observationSize: number;
  /** `[E * P, O]` each player's view. */
  readonly observations: Float32Array;
  /** `[E * P, A]` legal actions (1) of each player. */
  readonly masks: Uint8Array;
  /** `[E]` time step of each env (the network's time input). */
  readonly times: Int32Array;
  /** `[E * P]` of the last step. */
  readonly rewards: Float32Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  /** `[E]` 1 when the last step ended env k's episode (auto-reset: the views are already the next episode's). */
  readonly ended: Uint8Array;
  step(actions: Int32Array): void;
}

/** Per-episode statistics an env can report beyond returns (the Stag Hunt's prey counts). */
export interface EpisodeExtras {
  lastEpisode?(k: number): { stagsCaught: number; haresCaught: number; length: number } | null;
}
