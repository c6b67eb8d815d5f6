import { describe, expectTypeOf, it } from 'vitest';
import type { Agent, Evaluator, GridObservation, ParallelEnv, SimStepBatch, StepResult, Transition } from '../src/index';

/**
 * Type tests: vitest's typecheck mode (`typecheck` in vitest.shared.ts) compiles this file with tsc and reports
 * each failing `expectTypeOf` as a failing test. Mutation audit (issue 17): in contracts.test.ts these ran
 * at run time, where `expectTypeOf` does nothing, so widening `Transition.obs` to
 * `Float32Array | Float64Array` passed `vitest run` (only the separate `tsc` target could see it).
 */
describe('contract types', () => {
  it('keep the PettingZoo shapes and typed-array fields', () => {
    expectTypeOf<StepResult<GridObservation, Record<string, unknown>>['rewards']>().toEqualTypeOf<Record<string, number>>();
    expectTypeOf<ParallelEnv['agents']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<SimStepBatch['states']>().toEqualTypeOf<Int32Array>();
    expectTypeOf<Transition['obs']>().toEqualTypeOf<Float32Array>();
    expectTypeOf<ReturnType<Agent['act']>>().toEqualTypeOf<number>();
    expectTypeOf<ReturnType<Evaluator>>().toMatchTypeOf<
      Promise<{ logits: Float32Array; values: Float32Array }> | { logits: Float32Array; values: Float32Array }
    >();
  });
});
