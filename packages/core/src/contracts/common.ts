/** A value or a promise of it: batched functions may run on an async backend. */
export type MaybePromise<T> = T | Promise<T>;

/** Agents are named like PettingZoo agents: `player_0`, `player_1`, ... */
export type AgentId = string;

/** A mapping keyed by live agents, as PettingZoo's parallel API returns. */
export type PerAgent<T> = Record<AgentId, T>;
