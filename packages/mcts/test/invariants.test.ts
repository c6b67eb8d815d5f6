import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MctsConfigInput } from '../src/index';
import { treeViolations } from './helpers/invariants';
import { lineInput, linePlanner } from './helpers/setup';
import type { LineWorldOptions } from './sims/lineWorld';

const worldArb = fc
  .record({
    length: fc.integer({ min: 2, max: 6 }),
    numAgents: fc.integer({ min: 1, max: 3 }),
    timeLimit: fc.integer({ min: 1, max: 7 }),
    prey: fc.array(
      fc.record({
        cell: fc.nat(),
        reward: fc.double({ min: -2, max: 10, noNaN: true }),
        goal: fc.integer({ min: 0, max: 1 }),
        need: fc.integer({ min: 1, max: 2 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(
    (w): LineWorldOptions => ({
      ...w,
      numGoals: 2,
      prey: w.prey.map((p) => ({ ...p, cell: p.cell % w.length, need: Math.min(p.need, w.numAgents) })),
    }),
  );

const configArb = fc.record({
  numSimulations: fc.integer({ min: 1, max: 40 }),
  treeNum: fc.integer({ min: 1, max: 3 }),
  search: fc.constantFrom('puct' as const, 'gumbel' as const),
  qEstimate: fc.constantFrom('reference' as const, 'mean' as const),
  minMaxNormalize: fc.boolean(),
  decision: fc.constantFrom('softmaxQ' as const, 'visits' as const),
  greedy: fc.boolean(),
  dirichletFraction: fc.constantFrom(0, 0.25),
  gumbelMaxConsideredActions: fc.integer({ min: 1, max: 4 }),
  cache: fc.boolean(),
  focalDoneIsTerminal: fc.boolean(),
  compat: fc.record({ doubleCountTerminalReward: fc.boolean() }),
});

describe('tree invariants (property)', () => {
  it('visits, value sums, links, valid actions and shared co-player actions hold in every tree', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArb,
        configArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }),
        async (world, config: MctsConfigInput, ds) => {
          const { sim, planner } = linePlanner(world, config);
          const decisions = ds.map(([p0, p1, f, seed]) => ({
            positions: Array.from({ length: world.numAgents }, (_, i) => (i % 2 ? p1 : p0 + i) % world.length),
            focal: f % world.numAgents,
            seed,
          }));
          const out = await planner.plan(lineInput(sim, decisions, planner.config.treeNum));
          expect(treeViolations(planner.engine.arena, sim, planner.config, true)).toEqual([]);
          const A = sim.numActions;
          for (let d = 0; d < decisions.length; d++) {
            let mass = 0;
            for (let a = 0; a < A; a++) {
              const p = out.policy[d * A + a];
              expect(p).toBeGreaterThanOrEqual(0);
              if (!out.validActions[d * A + a]) {
                expect(p).toBe(0);
                expect(out.visits[d * A + a]).toBe(0);
              }
              mass += p;
            }
            expect(mass).toBeCloseTo(1, 5);
            expect(out.validActions[d * A + out.action[d]]).toBe(1);
          }
          // lock-step: at most one evaluator / co-player / simulator call per simulation (+1 for the roots)
          expect(out.counts.evaluatorCalls).toBeLessThanOrEqual(planner.config.numSimulations + 1);
          expect(out.counts.coPlayerCalls).toBeLessThanOrEqual(planner.config.numSimulations + 1);
          expect(out.counts.simulatorSteps).toBeLessThanOrEqual(planner.config.numSimulations);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
