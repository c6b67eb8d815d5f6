import type { MctsConfig } from '../config';
import type { TreeArena } from '../tree/arena';

/** What action selectors read: the trees, the config and per-tree root data the policy prepared. */
export interface SelectionContext {
  readonly arena: TreeArena;
  readonly config: MctsConfig;
  /** Index of the current simulation (0-based) within this search call. */
  simIndex: number;
  /** `[B, A]` root Gumbel noise (Gumbel search only). */
  readonly gumbel: Float32Array;
  /** `[B]` actions considered at the root by sequential halving. */
  readonly numConsidered: Int32Array;
  /** `[k + 1][numSimulations]` visit counts sequential halving considers (Gumbel search only). */
  considerTable: Int32Array[];
  /** `[A]` scratch. */
  readonly scratchA: Float64Array;
  readonly scratchB: Float64Array;
}

/** Chooses the focal action at global node `g` (depth `depth`) of tree `b`. Must return a valid action. */
export type ActionSelector = (ctx: SelectionContext, b: number, g: number, depth: number) => number;
