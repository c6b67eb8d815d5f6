import { Rng } from '@hop/core/base';
import type { Agent, GridObservation } from '@hop/core/base';
import { AGENT_KINDS, decide, type AgentKind, type StagWait, type SwitchingParams } from './decide';
import { ObservationDecoder } from './decode';
import { drawKind, resolvePopulation, type PopulationInput, type ResolvedPopulation } from './population';

/**
 * A rule-based co-player from a population: at every `reset(seed)` it seeds its own RNG, draws its kind for the
 * episode (mixed populations) and forgets its episode memory; `act` decodes the observation and applies the
 * shared decision rules. This is the reference implementation; `BatchedPopulation` must agree with it.
 */
export class PopulationAgent implements Agent<GridObservation> {
  readonly name: string;
  readonly population: ResolvedPopulation;
  private rng = new Rng(0);
  private kindIndex = 0;
  private readonly memory = new Uint8Array(1);
  private readonly decoder = new ObservationDecoder();

  constructor(population: PopulationInput, name?: string) {
    this.population = resolvePopulation(population);
    this.name = name ?? this.population.name;
    this.reset(0);
  }

  /** The kind played this episode. */
  get kind(): AgentKind {
    return AGENT_KINDS[this.kindIndex];
  }

  reset(seed: number): void {
    this.rng = new Rng(seed);
    this.kindIndex = drawKind(this.population, this.rng);
    this.memory[0] = 0;
  }

  act(observation: GridObservation): number {
    const ctx = this.decoder.decode(observation);
    return decide(this.kindIndex, ctx, this.rng, this.memory, 0, this.population);
  }
}

/** Uniform over valid actions. */
export class RandomAgent extends PopulationAgent {
  constructor() {
    super('random', 'random');
  }
}

/**
 * Shortest path (around obstacles) to the nearest stag; on it, waits with stay until a partner stands there,
 * then hunts (`stagWait: 'hunt'`: repeats the hunt action while waiting, the behaviour before issue 14).
 */
export class NearestStagAgent extends PopulationAgent {
  constructor(options: { stagWait?: StagWait } = {}) {
    super({ name: 'stag', ...options }, 'nearest-stag');
  }
}

/** Shortest path to the nearest hare; hunts on it. */
export class NearestHareAgent extends PopulationAgent {
  constructor() {
    super('hare', 'nearest-hare');
  }
}

/** Goes for a stag until `deadline` or until no partner is near the stag, then for hares for good. */
export class SwitchingAgent extends PopulationAgent {
  constructor(params: Partial<SwitchingParams> = {}) {
    super({ name: 'switching', switching: { deadline: 12, partnerRadius: 4, ...params } }, 'switching');
  }
}

/** Draws nearest-stag or nearest-hare (or other kinds with `mixWeights`) per episode from its seed. */
export class MixedAgent extends PopulationAgent {
  constructor(mixWeights?: Partial<Record<AgentKind, number>>) {
    super(mixWeights ? { name: 'mixed', mixWeights } : 'mixed', 'mixed');
  }
}

/** One agent per player for a population. */
export function createPopulationAgents(population: PopulationInput, players: number): PopulationAgent[] {
  return Array.from({ length: players }, (_, p) => new PopulationAgent(population, `player_${p}`));
}
