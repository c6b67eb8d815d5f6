import type { Geometry } from '../core/geometry';

/** What researchers read per episode (docs/rules.md). */
export interface EpisodeStats {
  /** Steps played. */
  length: number;
  /** Sum of rewards per player. */
  returns: number[];
  stagsCaught: number;
  haresCaught: number;
  /** stags caught / all prey caught; null when nothing was caught. */
  preyRatio: number | null;
  /** Time step of the first successful hunt, or -1. */
  firstHuntTime: number;
  /** Per player: steps until it was done (hunted), or the episode length if it never hunted. */
  doneTime: number[];
  /** Per player: 0 caught a stag, 1 caught a hare, -1 neither. */
  caught: number[];
}

/** Stats of the episode in state `b`, with the running returns / done times / catches kept by its owner. */
export function episodeStatsOf(
  g: Geometry,
  st: Int32Array,
  b: number,
  returns: ArrayLike<number>,
  doneTime: ArrayLike<number>,
  caught: ArrayLike<number>,
  off: number,
): EpisodeStats {
  let stags = 0;
  for (let k = 0; k < g.stags; k++) if (st[b + g.STAG + k] < 0) stags++;
  let hares = 0;
  for (let k = 0; k < g.hares; k++) if (st[b + g.HARE + k] < 0) hares++;
  const length = st[b + g.T];
  const r: number[] = [];
  const d: number[] = [];
  const c: number[] = [];
  for (let p = 0; p < g.players; p++) {
    r.push(returns[off + p]);
    d.push(doneTime[off + p] >= 0 ? doneTime[off + p] : length);
    c.push(caught[off + p]);
  }
  return {
    length,
    returns: r,
    stagsCaught: stags,
    haresCaught: hares,
    preyRatio: stags + hares > 0 ? stags / (stags + hares) : null,
    firstHuntTime: st[b + g.FIRST],
    doneTime: d,
    caught: c,
  };
}
