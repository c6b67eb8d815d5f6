import { HopError } from '@hop/core/base';

/** Throws a clear error when `slot` does not fit in an arena of `stateWords`-word records. */
export function checkSlot(arena: Int32Array, slot: number, stateWords: number, where: string): void {
  if (!Number.isInteger(slot) || slot < 0 || (slot + 1) * stateWords > arena.length) {
    throw new HopError(
      'E_RANGE',
      `${where}: slot ${slot} is outside an arena of ${Math.floor(arena.length / stateWords)} slots ` +
        `(${arena.length} words, ${stateWords} words per state); allocate a larger arena`,
    );
  }
}
