/**
 * The tensor-free part of @hop/core: the contracts, errors and the seeded RNG. Importing it loads no tfjs,
 * so a package that needs only these (`@hop/mcts`) works where tfjs is not installed.
 */
export type * from './contracts/index';
export { HopError, assertShape } from './errors';
export { Rng, deriveSeed } from './rng/rng';
