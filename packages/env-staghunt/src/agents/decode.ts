import type { GridObservation } from '@hop/core/base';
import { makeDecisionContext, type DecisionContext } from './decide';
import { neighbourTable } from '../core/geometry';
import { computeDistances } from './paths';

/**
 * Turns a `GridObservation` (observer's channel first, then the others, obstacle, stag, hare) into a
 * `DecisionContext`. Keeps the distance table of the last obstacle layout it saw and recomputes it only when
 * the obstacles change (once per episode).
 */
export class ObservationDecoder {
  private shapeKey = '';
  private ctx: DecisionContext = makeDecisionContext(0, 0, 0, 0);
  private blocked = new Uint8Array(0);
  private queue = new Int32Array(0);
  private hasLayout = false;

  decode(obs: GridObservation): DecisionContext {
    const [H, W, C] = obs.shape;
    const P = C - 3;
    const cells = H * W;
    const key = `${H}x${W}x${C}`;
    if (key !== this.shapeKey) this.allocate(H, W, C);
    const ctx = this.ctx;
    const grid = obs.grid;
    let layoutChanged = !this.hasLayout;
    ctx.self = -1;
    ctx.numOthers = 0;
    ctx.numStags = 0;
    ctx.numHares = 0;
    for (let c = 0; c < cells; c++) {
      const o = c * C;
      if (grid[o] > 0.5) ctx.self = c;
      for (let j = 1; j < P; j++) if (grid[o + j] > 0.5) ctx.others[ctx.numOthers++] = c;
      const blocked = grid[o + P] > 0.5 ? 1 : 0;
      if (blocked !== this.blocked[c]) layoutChanged = true;
      this.blocked[c] = blocked;
      if (grid[o + P + 1] > 0.5) ctx.stags[ctx.numStags++] = c;
      if (grid[o + P + 2] > 0.5) ctx.hares[ctx.numHares++] = c;
    }
    if (layoutChanged) {
      computeDistances(cells, ctx.nbr, this.blocked, ctx.dist, 0, this.queue);
      this.hasLayout = true;
    }
    ctx.time = obs.time;
    ctx.mask = obs.actionMask;
    ctx.maskOff = 0;
    return ctx;
  }

  private allocate(H: number, W: number, C: number): void {
    const cells = H * W;
    this.shapeKey = `${H}x${W}x${C}`;
    const ctx = makeDecisionContext(cells, C - 3, cells, cells);
    ctx.nbr = neighbourTable(H, W);
    ctx.dist = new Uint16Array(cells * cells);
    this.ctx = ctx;
    this.blocked = new Uint8Array(cells);
    this.queue = new Int32Array(cells);
    this.hasLayout = false;
  }
}
