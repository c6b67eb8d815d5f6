import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HopError, loadCheckpoint, readNpy, saveCheckpoint, writeNpy, type NpyArray } from '@hop/core';
import { loadPairRegistry, savePairRegistry, type OnlineMOA, type OnlineMOASnapshot, type PairRegistry } from '@hop/moa';
import { writeDirAtomic } from '../run/layout';
import type { PolicyLearner } from './learner';
import type { HopTeam } from './team';
import type { GoalSetup } from './goals';

export const SELFPLAY_POLICY_KIND = 'hop-selfplay-policy';

/** The loop's own counters, saved beside the networks. */
export interface SelfPlayState {
  format: 'hop-selfplay-state';
  version: 1;
  algo: string;
  /** Iterations completed. */
  iteration: number;
  /** Seconds of wall time of the run (warm start, evaluations and iterations; all invocations). */
  elapsed: number;
  /**
   * CPU seconds of the process over the same spans (user + system, every thread: the rollout workers are
   * threads of it). Absent in checkpoints written before it was recorded.
   */
  cpuSeconds?: number;
  envSteps: number;
  episodes: number;
  warmStarted: boolean;
  /** Per focal player: prior histogram `[P-1, G]` and outcome counts. */
  priors: { histogram: number[]; outcomes: number[] }[];
  /** Per focal player: training round of each co-player's online model. */
  onlineRounds: number[][];
  /** The co-player goal set-up (latent goal vectors cannot be recomputed without the pretraining data). */
  goals?: { mode: GoalSetup['mode']; numGoals: number; goalDim: number; vectors: number[] };
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
    goals: { mode: team.goals.mode, numGoals: team.goals.numGoals, goalDim: team.goals.goalDim, vectors: Array.from(team.goals.goalVectors) },
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

/** Every focal player's online buffers as .npy files under `<dir>/online/focal-i/`. */
export async function saveOnlineBuffers(dir: string, online: OnlineMOA[]): Promise<void> {
  for (let i = 0; i < online.length; i++) {
    const snap = online[i].snapshot();
    const d = join(dir, 'online', `focal-${i}`);
    await mkdir(d, { recursive: true });
    for (let m = 0; m < snap.buffers.length; m++) {
      const b = snap.buffers[m];
      const O = b.size > 0 ? b.obs.length / b.size : 0;
      const A = b.size > 0 ? b.mask.length / b.size : 0;
      await writeNpy(join(d, `${m}-obs.npy`), { dtype: 'float32', shape: [b.size, O], data: b.obs });
      await writeNpy(join(d, `${m}-mask.npy`), { dtype: 'uint8', shape: [b.size, A], data: b.mask });
      await writeNpy(join(d, `${m}-time.npy`), { dtype: 'float32', shape: [b.size], data: b.time });
      await writeNpy(join(d, `${m}-action.npy`), { dtype: 'int32', shape: [b.size], data: b.action });
      await writeNpy(join(d, `${m}-label.npy`), { dtype: 'int32', shape: [b.size], data: b.label });
    }
  }
}

/** Puts online buffers saved by `saveOnlineBuffers` back, with each focal player's training rounds. */
export async function loadOnlineBuffers(dir: string, onlineRounds: number[][], online: OnlineMOA[]): Promise<void> {
  for (let i = 0; i < online.length; i++) {
    const d = join(dir, 'online', `focal-${i}`);
    const rounds = onlineRounds[i];
    const buffers: OnlineMOASnapshot['buffers'] = [];
    for (let m = 0; m < rounds.length; m++) {
      const r = async (n: string): Promise<NpyArray> => readNpy(join(d, `${m}-${n}.npy`));
      const obs = await r('obs');
      buffers.push({
        size: obs.shape[0],
        obs: obs.data as Float32Array,
        mask: (await r('mask')).data as Uint8Array,
        time: (await r('time')).data as Float32Array,
        action: (await r('action')).data as Int32Array,
        label: (await r('label')).data as Int32Array,
      });
    }
    online[i].restore({ rounds, buffers });
  }
}

/**
 * Reads a checkpoint's state.json and checks its format (E_CHECKPOINT when it is missing, unreadable or of
 * another kind). Shared by every loop that writes `state.json` last into its checkpoints.
 */
export function readStateFile<S extends { format: string }>(dir: string, format: S['format'], what: string): S {
  const path = join(dir, 'state.json');
  let s: S;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as S;
  } catch (e) {
    throw new HopError('E_CHECKPOINT', `${path} cannot be read (${(e as Error).message}); the checkpoint is incomplete`);
  }
  if (s.format !== format) throw new HopError('E_CHECKPOINT', `${path} is not a ${what} checkpoint state`);
  return s;
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

/** Iteration numbers with a complete checkpoint (`iter-N/state.json`), newest first. */
export function checkpointIterations(checkpointsDir: string): number[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir)
    .map((n) => /^iter-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(checkpointsDir, m[0], 'state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}
