/**
 * The tensor-free part of @hop/core: the contracts, errors, the seeded RNG, goal orderings, the game
 * simulator builder and NumPy .npy I/O. Importing it loads no tfjs,
 * so a package that needs only these (`@hop/mcts`) works where tfjs is not installed.
 */
export type * from './contracts/index';
export { HopError, assertShape } from './errors';
export { Rng, deriveSeed } from './rng/rng';
export { CounterRng, murmur3Words, hash4, uniformAt, fmix32, type RandomSource } from './rng/counter';
export { sampleGoalOrders, coPlayerAgent, coPlayerIndex, type GoalOrderOptions } from './goals/orders';
export { createGameSimulator, GameSimulator, type GameStateValues } from './game/simulator';
export { observeState, legalActionsOf, viewState, stepState, type StateView, type StateStep } from './game/single';
export { writeNpy, readNpy, NpyWriter, NpyReader, type NpyArray, type NpyDType, type NpyData } from './io/npy';
export { checkGameDefinition, type GameDefinition, type GameGoals, type GameState, type StateLayout } from './game/definition';
