import type { GridLayout } from '../layout';
import { gridSizeOf } from '../layout';

/**
 * `size` transitions side by side, the unit the trainer and the metrics consume. Grids are observer-centred,
 * channels-last and without the action mask.
 */
export interface TransitionBatch {
  size: number;
  /** `[size, H * W * C]` grid at `t`. */
  obs: Float32Array;
  /** `[size, H * W * C]` the same observer's grid at `t + 1`. */
  nextObs: Float32Array;
  /** `[size, players]` observer-rotated joint action; -1 for players already done. */
  jointAction: Int32Array;
  /** `[size]` the observer's reward of the step. */
  reward: Float32Array;
  /** `[size]` 1 when the observer was done after the step. */
  done: Uint8Array;
  /** `[size]` time step of `obs`. */
  time: Float32Array;
  /** `[size]` hunt outcome of the observer: 0 nothing caught, `k + 1` caught the prey of `preyChannels[k]`. */
  outcome: Int32Array;
}

/** Random access to a set of transitions (a dataset, or a train / validation part of one). */
export interface TransitionSource {
  readonly layout: GridLayout;
  readonly size: number;
  /** Copies the rows `indices` (0-based within this source) into `out`, or into a new batch. */
  gather(indices: ArrayLike<number>, out?: TransitionBatch): TransitionBatch;
  /** Largest time step of any row. */
  readonly maxTime: number;
  /** Episode length recorded by the collector, when known (else `maxTime + 1` is assumed). */
  readonly finalTime?: number;
}

/** An empty batch for `size` rows of the layout. */
export function allocBatch(layout: GridLayout, size: number): TransitionBatch {
  const g = gridSizeOf(layout);
  return {
    size,
    obs: new Float32Array(size * g),
    nextObs: new Float32Array(size * g),
    jointAction: new Int32Array(size * layout.players),
    reward: new Float32Array(size),
    done: new Uint8Array(size),
    time: new Float32Array(size),
    outcome: new Int32Array(size),
  };
}

/**
 * The observer's hunt outcome of a transition, read off the grids: it chose the hunt action of prey `k`,
 * stood on such prey, and is gone from the grid after the step (in these games a player leaves only by
 * catching) -> `k + 1`; else 0. `obs` / `next` hold observer-centred grids at `off`.
 */
export function huntOutcome(l: GridLayout, obs: Float32Array, off: number, next: Float32Array, action: number): number {
  const k = l.huntActions.indexOf(action);
  if (k < 0) return 0;
  const C = l.channels;
  const self = l.playerChannels[0];
  const cells = l.height * l.width;
  let at = -1;
  for (let cell = 0; cell < cells; cell++) {
    if (next[off + cell * C + self] >= 0.5) return 0;
    if (obs[off + cell * C + self] >= 0.5) at = cell;
  }
  return at >= 0 && obs[off + at * C + l.preyChannels[k]] >= 0.5 ? k + 1 : 0;
}

/** `out` when it is large enough for `size` rows (its first rows are used), else a new batch. */
export function batchFor(layout: GridLayout, size: number, out?: TransitionBatch): TransitionBatch {
  if (out && out.reward.length >= size) {
    out.size = size;
    return out;
  }
  return allocBatch(layout, size);
}
