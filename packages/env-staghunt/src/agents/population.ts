import { HopError, type Rng } from '@hop/core/base';
import {
  AGENT_KINDS,
  DEFAULT_SWITCHING,
  KIND_HARE,
  KIND_RANDOM,
  KIND_STAG,
  KIND_SWITCHING,
  STAG_WAITS,
  type AgentKind,
  type RuleParams,
  type StagWait,
  type SwitchingParams,
} from './decide';

/** Named populations of rule-based co-players (docs/rules.md; the few-shot test population). */
export const POPULATIONS = ['random', 'stag', 'hare', 'mixed', 'switching'] as const;
export type PopulationName = (typeof POPULATIONS)[number];

export interface PopulationSpec {
  name: PopulationName;
  /** Parameters of switching agents. */
  switching?: SwitchingParams;
  /** Per-episode draw weights of the `mixed` population (default: nearest-stag 1, nearest-hare 1). */
  mixWeights?: Partial<Record<AgentKind, number>>;
  /** A stag hunter alone on its stag: `'stay'` (default, waits for a partner) or `'hunt'` (repeats 5 while waiting). */
  stagWait?: StagWait;
}
export type PopulationInput = PopulationName | PopulationSpec;

export interface ResolvedPopulation extends RuleParams {
  name: PopulationName;
  /** Weights over `AGENT_KINDS`; a fixed population has one non-zero weight. */
  weights: Float64Array;
  fixedKind: number;
  /** True when some agent needs shortest paths (everything but purely random). */
  needsPaths: boolean;
}

export function resolvePopulation(input: PopulationInput): ResolvedPopulation {
  const spec: PopulationSpec = typeof input === 'string' ? { name: input } : input;
  if (!POPULATIONS.includes(spec.name)) {
    throw new HopError('E_CONFIG', `unknown population "${spec.name}"; choose one of ${POPULATIONS.join(', ')}`);
  }
  const switching = { ...DEFAULT_SWITCHING, ...spec.switching };
  for (const key of ['deadline', 'partnerRadius'] as const) {
    const v = switching[key];
    if (typeof v !== 'number' || !(v >= 0)) {
      throw new HopError('E_CONFIG', `switching.${key} must be a number >= 0, got ${String(v)}`);
    }
  }
  const stagWait = spec.stagWait ?? 'stay';
  if (!STAG_WAITS.includes(stagWait)) {
    throw new HopError('E_CONFIG', `stagWait must be one of ${STAG_WAITS.join(', ')}, got "${String(stagWait)}"`);
  }
  const weights = new Float64Array(AGENT_KINDS.length);
  const fixed: Record<Exclude<PopulationName, 'mixed'>, number> = {
    random: KIND_RANDOM,
    stag: KIND_STAG,
    hare: KIND_HARE,
    switching: KIND_SWITCHING,
  };
  let fixedKind = -1;
  if (spec.name === 'mixed') {
    const w = spec.mixWeights ?? { 'nearest-stag': 1, 'nearest-hare': 1 };
    for (const [k, v] of Object.entries(w)) {
      const i = AGENT_KINDS.indexOf(k as AgentKind);
      if (i < 0 || !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
        throw new HopError('E_CONFIG', `mixWeights.${k}: expected a kind of ${AGENT_KINDS.join(', ')} with a weight >= 0`);
      }
      weights[i] = v;
    }
    if (!(weights.reduce((a, b) => a + b, 0) > 0)) {
      throw new HopError('E_CONFIG', 'mixWeights: at least one weight must be positive');
    }
  } else {
    fixedKind = fixed[spec.name];
    weights[fixedKind] = 1;
  }
  return {
    name: spec.name,
    weights,
    fixedKind,
    switching,
    stagWait,
    needsPaths: weights[KIND_STAG] + weights[KIND_HARE] + weights[KIND_SWITCHING] > 0,
  };
}

/** The kind an agent plays this episode: fixed, or (mixed) one draw from the episode's agent RNG. */
export function drawKind(pop: ResolvedPopulation, rng: Rng): number {
  return pop.fixedKind >= 0 ? pop.fixedKind : rng.categorical(pop.weights);
}
