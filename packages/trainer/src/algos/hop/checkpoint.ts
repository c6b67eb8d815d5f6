import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@hop/core';
import { loadPairRegistry, savePairRegistry, type OnlineMOA, type PairRegistry } from '@hop/moa';
import { readStateFile } from '../../run/checkpoints';
import { writeDirAtomic } from '../../run/layout';
import { loadOnlineBuffers, saveOnlineBuffers } from '../../team/online-buffers';
import type { GoalSetup } from '../../team/goals';
import type { HopTeam } from '../../team/team';
import type { RunCounters } from '../../run/lifecycle';
import type { PolicyLearner } from './learner';

export const SELFPLAY_POLICY_KIND = 'hop-selfplay-policy';

/** What every self-play checkpoint holds: the policy (with Adam's moments) and state.json, written last. */
export const SELF_PLAY_CHECKPOINT_FILES = ['state.json', 'policy/meta.json'] as const;

/** The loop's own counters, saved beside the networks. */
/** `elapsed` spans warm start, evaluations and iterations; `cpuSeconds` counts every thread (the rollout workers too). */
export interface SelfPlayState extends RunCounters {
  format: 'hop-selfplay-state';
  version: 1;
  algo: string;
  envSteps: number;
  episodes: number;
  warmStarted: boolean;
  /** Per focal player: prior histogram `[P-1, G]` and outcome counts. */
  priors: { histogram: number[]; outcomes: number[] }[];
  /** Per focal player: training round of each co-player's online model. */
  onlineRounds: number[][];
  /** The co-player goal set-up (latent goal vectors cannot be recomputed without the pretraining data). */
  goals?: { mode: GoalSetup['mode']; numGoals: number; goalDim: number; vectors: number[]; gridShape?: number[] };
}

/**
 * Writes a complete checkpoint directory atomically (temporary sibling, then rename): the policy / value
 * network with its Adam state, the per-pair co-player models with theirs, the online buffers and the priors.
 */
export async function saveSelfPlayCheckpoint(
  dir: string,
  parts: { learner: PolicyLearner; registry: PairRegistry; online: OnlineMOA[]; team: HopTeam; state: SelfPlayState },
): Promise<void> {
  const { learner, registry, online, team } = parts;
  const state: SelfPlayState = {
    ...parts.state,
    priors: team.priors.map((p) => ({ histogram: Array.from(p.histogram), outcomes: Array.from(p.outcomes) })),
    onlineRounds: online.map((o) => o.snapshot().rounds),
    goals: { mode: team.goals.mode, numGoals: team.goals.numGoals, goalDim: team.goals.goalDim, vectors: Array.from(team.goals.goalVectors), gridShape: team.goals.gridShape },
  };
  await writeDirAtomic(dir, async (tmp) => {
    await saveCheckpoint(join(tmp, 'policy'), {
      kind: SELFPLAY_POLICY_KIND,
      config: { moa: learner.model.config, learner: learner.settings },
      models: { policy: learner.model.net },
      optimizers: { policy: learner.optimizer },
    });
    await savePairRegistry(join(tmp, 'pairs'), registry);
    await saveOnlineBuffers(tmp, online);
    // Written last: a directory without state.json is not a checkpoint.
    await writeFile(join(tmp, 'state.json'), JSON.stringify(state, null, 1) + '\n');
  });
}

/** Reads a self-play checkpoint's state.json. */
export function readSelfPlayState(dir: string): SelfPlayState {
  return readStateFile<SelfPlayState>(dir, 'hop-selfplay-state', 'self-play');
}

/** Loads the policy / value weights and Adam state into a learner. */
export async function loadPolicy(dir: string, learner: PolicyLearner): Promise<void> {
  await loadCheckpoint(join(dir, 'policy'), {
    kind: SELFPLAY_POLICY_KIND,
    models: { policy: learner.model.net },
    optimizers: { policy: learner.optimizer },
  });
}

export async function loadPairs(dir: string): Promise<PairRegistry> {
  return loadPairRegistry(join(dir, 'pairs'));
}

/** Puts the online buffers, rounds and priors of a checkpoint back. */
export async function loadOnlineAndPriors(dir: string, state: SelfPlayState, online: OnlineMOA[], team: HopTeam): Promise<void> {
  await loadOnlineBuffers(dir, state.onlineRounds, online);
  state.priors.forEach((p, i) => {
    team.priors[i].histogram.set(p.histogram);
    team.priors[i].outcomes.set(p.outcomes);
  });
}

