import type { BatchedSimulator } from '@hop/core';
import type { RootEncoder } from '../team/team';

/** An opened planning simulator (planning/open.ts opens one from its spec). */
export interface PlanningSetup {
  planning?: BatchedSimulator;
  roots?: RootEncoder;
  /** What the run records about it (the spec, and e.g. the world model's checkpoint and engine). */
  facts: Record<string, unknown>;
  dispose(): void;
}
