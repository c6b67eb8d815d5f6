import { HopError } from '@hop/core';
import { coPlayerAgent, type OnlineMOA, type OnlineTrainReport } from '@hop/moa';

/** The co-players' steps of a rollout, in episode order (a hop rollout's samples). */
interface FeedSamples {
  count: number;
  obs: Float32Array;
  mask: Uint8Array;
  time: Float32Array;
  action: Int32Array;
  player: Int32Array;
  env: Int32Array;
  episode: Int32Array;
}

/** A finished episode: who went for which goal, and when. */
interface FeedEpisode {
  env: number;
  episode: number;
  achieved: number[];
  achievedStep: number[];
}

/**
 * Feeds every focal player's online MOA with its co-players' steps, episode by episode in the canonical
 * order, and trains the buffers that filled up.
 */
export function feedOnline(
  online: OnlineMOA[],
  samples: FeedSamples,
  episodes: FeedEpisode[],
): (OnlineTrainReport & { focal: number; agent: number })[] {
  const P = online.length;
  const O = samples.count > 0 ? samples.obs.length / samples.count : 0;
  const A = samples.count > 0 ? samples.mask.length / samples.count : 0;
  const reports: (OnlineTrainReport & { focal: number; agent: number })[] = [];
  let k = 0;
  for (const ep of episodes) {
    const start = k;
    while (k < samples.count && samples.env[k] === ep.env && samples.episode[k] === ep.episode) k++;
    for (let i = 0; i < P; i++) {
      for (let r = start; r < k; r++) {
        const j = samples.player[r];
        if (j === i) continue;
        online[i].addStep(j < i ? j : j - 1, {
          obs: samples.obs.subarray(r * O, (r + 1) * O),
          mask: samples.mask.subarray(r * A, (r + 1) * A),
          time: samples.time[r],
          action: samples.action[r],
          inPlay: true,
        });
      }
      const achievements = [];
      for (let m = 0; m < P - 1; m++) {
        const j = coPlayerAgent(i, m);
        if (ep.achieved[j] >= 0) achievements.push({ coPlayer: m, goal: ep.achieved[j], step: ep.achievedStep[j] });
      }
      for (const r of online[i].endEpisode(achievements)) reports.push({ ...r, focal: i, agent: coPlayerAgent(i, r.coPlayer) });
    }
  }
  if (k !== samples.count) throw new HopError('E_INTERNAL', `online MOA feed: ${samples.count - k} samples belong to no finished episode`);
  return reports;
}
