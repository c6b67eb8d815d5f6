import { HopError, fmix32 } from '@hop/core';
import { cellsOf, type GridLayout } from '../layout';

/**
 * The int32 record of a decoded, valid grid state (one slot of a simulator arena):
 *
 *     [time, end, pos[players], static bitsets..., prey bitsets...]
 *
 * A position is the cell `row * width + col`, or -1 once the player has left the grid (done). Each static
 * channel (obstacles) and each prey channel is a bitset of `ceil(cells / 32)` words. `end` is an end time
 * the rules set during the episode (`endAfterFirstCatch` after the first catch), 0 while there is none; the
 * time limit and "every player done" are read off the rest.
 */
export class StateCodec {
  readonly layout: GridLayout;
  readonly cells: number;
  readonly bitWords: number;
  readonly stateWords: number;
  readonly T = 0;
  readonly END = 1;
  readonly POS = 2;
  /** Word offset of static channel `s`'s bitset. */
  readonly staticOff: Int32Array;
  /** Word offset of prey channel `k`'s bitset. */
  readonly preyOff: Int32Array;
  /** `[cells * moves]`: target cell of each move from each cell, -1 off the grid. */
  readonly moveTarget: Int32Array;
  readonly finalTime: number;

  constructor(layout: GridLayout, finalTime: number) {
    if (!(Number.isInteger(finalTime) && finalTime >= 1))
      throw new HopError('E_CONFIG', `finalTime must be a positive integer, got ${finalTime}`);
    this.layout = layout;
    this.finalTime = finalTime;
    this.cells = cellsOf(layout);
    this.bitWords = Math.ceil(this.cells / 32);
    let off = this.POS + layout.players;
    this.staticOff = Int32Array.from(layout.staticChannels, () => ((off += this.bitWords), off - this.bitWords));
    this.preyOff = Int32Array.from(layout.preyChannels, () => ((off += this.bitWords), off - this.bitWords));
    this.stateWords = off;
    const M = layout.moves.length;
    this.moveTarget = new Int32Array(this.cells * M);
    for (let cell = 0; cell < this.cells; cell++) {
      const r = Math.floor(cell / layout.width);
      const c = cell % layout.width;
      layout.moves.forEach((m, i) => {
        const rr = r + m.dr;
        const cc = c + m.dc;
        this.moveTarget[cell * M + i] =
          rr >= 0 && rr < layout.height && cc >= 0 && cc < layout.width ? rr * layout.width + cc : -1;
      });
    }
  }

  bit(st: Int32Array, b: number, wordOff: number, cell: number): number {
    return (st[b + wordOff + (cell >> 5)] >>> (cell & 31)) & 1;
  }

  setBit(st: Int32Array, b: number, wordOff: number, cell: number): void {
    st[b + wordOff + (cell >> 5)] |= 1 << (cell & 31);
  }

  clearBit(st: Int32Array, b: number, wordOff: number, cell: number): void {
    st[b + wordOff + (cell >> 5)] &= ~(1 << (cell & 31));
  }

  /** 1 when any static channel (an obstacle) covers `cell`. */
  blocked(st: Int32Array, b: number, cell: number): number {
    for (let s = 0; s < this.staticOff.length; s++) if (this.bit(st, b, this.staticOff[s], cell)) return 1;
    return 0;
  }

  /** Over: the time limit or the rules' end time is reached, or every player has left. */
  isTerminal(st: Int32Array, b: number): boolean {
    const t = st[b + this.T];
    const end = st[b + this.END];
    if (t >= this.finalTime || (end > 0 && t >= end)) return true;
    for (let p = 0; p < this.layout.players; p++) if (st[b + this.POS + p] >= 0) return false;
    return true;
  }

  /** Writes observer `o`'s grid (its channel first, then `o+1`, ...) at `out[off..]`. */
  render(st: Int32Array, b: number, o: number, out: Float32Array, off: number): void {
    const l = this.layout;
    const C = l.channels;
    const P = l.players;
    out.fill(0, off, off + this.cells * C);
    for (let m = 0; m < P; m++) {
      const pos = st[b + this.POS + ((o + m) % P)];
      if (pos >= 0) out[off + pos * C + l.playerChannels[m]] = 1;
    }
    const bits = (wordOff: number, ch: number) => {
      for (let w = 0; w < this.bitWords; w++) {
        let v = st[b + wordOff + w];
        while (v !== 0) {
          const low = v & -v;
          out[off + ((w << 5) + 31 - Math.clz32(low)) * C + ch] = 1;
          v ^= low;
        }
      }
    };
    l.staticChannels.forEach((ch, s) => bits(this.staticOff[s], ch));
    l.preyChannels.forEach((ch, k) => bits(this.preyOff[k], ch));
  }

  /**
   * Encodes a grid seen by observer `o` (rotated like `render` writes it) into slot base `b`: a player is at
   * the argmax cell of its channel when that value is >= 0.5, else done; static and prey cells are those
   * >= 0.5. `encode(render(s))` is `s` for every valid state.
   */
  encode(grid: ArrayLike<number>, off: number, o: number, time: number, st: Int32Array, b: number): void {
    const l = this.layout;
    const C = l.channels;
    const P = l.players;
    st.fill(0, b, b + this.stateWords);
    st[b + this.T] = time;
    for (let m = 0; m < P; m++) {
      const ch = l.playerChannels[m];
      let best = -1;
      let bestV = 0.5;
      for (let cell = 0; cell < this.cells; cell++) {
        const v = grid[off + cell * C + ch];
        if (v >= bestV) {
          bestV = v;
          best = cell;
        }
      }
      st[b + this.POS + ((o + m) % P)] = best;
    }
    for (let cell = 0; cell < this.cells; cell++) {
      l.staticChannels.forEach((ch, s) => {
        if (grid[off + cell * C + ch] >= 0.5) this.setBit(st, b, this.staticOff[s], cell);
      });
      l.preyChannels.forEach((ch, k) => {
        if (grid[off + cell * C + ch] >= 0.5) this.setBit(st, b, this.preyOff[k], cell);
      });
    }
  }

  /** Player `p`'s valid actions (1 = valid) at `out[off..off+numActions)`; done players only stay. */
  writeLegal(st: Int32Array, b: number, p: number, out: Uint8Array, off: number): void {
    const l = this.layout;
    out.fill(0, off, off + l.numActions);
    out[off + l.stayAction] = 1;
    const pos = st[b + this.POS + p];
    if (pos < 0 || this.isTerminal(st, b)) return;
    const M = l.moves.length;
    for (let i = 0; i < M; i++) {
      const t = this.moveTarget[pos * M + i];
      if (t >= 0 && !this.blocked(st, b, t)) out[off + l.moves[i].action] = 1;
    }
    for (let k = 0; k < l.huntActions.length; k++)
      if (this.bit(st, b, this.preyOff[k], pos)) out[off + l.huntActions[k]] = 1;
  }

  /** 1 when prey channel `k` still has a cell. */
  preyLeft(st: Int32Array, b: number, k: number): number {
    for (let w = 0; w < this.bitWords; w++) if (st[b + this.preyOff[k] + w] !== 0) return 1;
    return 0;
  }

  /** 32-bit hash of the whole record (FNV-1a over words, murmur3 finaliser). */
  hash(st: Int32Array, b: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.stateWords; i++) {
      h = Math.imul(h ^ st[b + i], 0x01000193);
      h ^= h >>> 15;
    }
    return fmix32(h);
  }
}
