import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '@hop/core';
import { BatchedPopulation } from '../src/agents/batched';
import { BatchedCommitted, COMMITTED_DEFAULTS, TRAINING_CO_PLAYERS, committedParams } from '../src/agents/committed';
import { AGENT_KINDS } from '../src/agents/decide';
import { POPULATIONS } from '../src/agents/population';
import { Goal, resolveConfig, type StagHuntConfigInput } from '../src/config';
import { VecStagHunt } from '../src/env/vec';
import { tiny } from './helpers';

const STAY = 4;

/** A one-env vector put into the drawn position, with committed agents that learned its layout. */
function at(config: StagHuntConfigInput, picture: string, params: Parameters<typeof committedParams>[0] = { epsilon: 0 }) {
  const vec = new VecStagHunt(config, { numEnvs: 1, seed: 0, observations: 'none', autoReset: false });
  vec.setAscii(0, picture);
  const agents = new BatchedCommitted(vec, params);
  agents.startEpisode(vec, 0);
  return { vec, agents };
}

/** An Rng stand-in that fails the test if the agent draws from it (a committed agent with a live target must not). */
const NO_DRAW = {
  next: () => {
    throw new Error('drew a random number');
  },
  int: () => {
    throw new Error('drew a random number');
  },
} as unknown as Rng;

/** An Rng whose first `int(n)` is `want` (found by scanning seeds: the pick among prey is the first draw at epsilon 0). */
function rngPicking(n: number, want: number): Rng {
  for (let s = 0; ; s++) if (new Rng(s).int(n) === want) return new Rng(s);
}

describe('goal-committed agent: hand-worked positions', () => {
  // Player 0 at (0,0); stags at (0,1) (one step right, the nearest) and (2,3) (five steps); player 1 idles at (2,0).
  const board = `0 S . .\n. . . .\n1 . . S`;
  const config = tiny({ players: 2, stags: 2, hares: 1 });

  it('picks its stag at random among the live ones, not the nearest, and walks a shortest path to it', () => {
    // The stag slots in the parse order: slot 0 = cell 1 = (0,1), slot 1 = cell 11 = (2,3).
    const { vec } = at(config, board);
    expect(vec.readState(0).stags).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const near = at(config, board);
    expect(near.agents.act(near.vec, 0, 0, Goal.Stag, rngPicking(2, 0))).toBe(3); // right onto (0,1)
    expect(near.agents.targetOf(0, 0)).toBe(1);
    const far = at(config, board);
    // towards (2,3): up/left are off the grid, down (1,0) is one step closer (4 left), so down (first in up, down, left, right order)
    expect(far.agents.act(far.vec, 0, 0, Goal.Stag, rngPicking(2, 1))).toBe(1);
    expect(far.agents.targetOf(0, 0)).toBe(11);
    // The nearest-stag evaluation agent goes right here whatever its seed: the committed one differs.
    const nearest = new BatchedPopulation(far.vec, 'stag', 0);
    const out = new Int32Array(2);
    nearest.act(far.vec, out);
    expect(out[0]).toBe(3);
  });

  it('keeps its target without drawing while it is alive, even when another prey becomes nearer', () => {
    const { vec, agents } = at(config, board);
    expect(agents.act(vec, 0, 0, Goal.Stag, rngPicking(2, 1))).toBe(1);
    const walk: number[] = [1];
    const acts = new Int32Array(2);
    for (let t = 0; t < 5; t++) {
      acts[0] = walk[walk.length - 1];
      acts[1] = STAY;
      vec.step(acts);
      walk.push(agents.act(vec, 0, 0, Goal.Stag, NO_DRAW));
    }
    // (0,0) down (1,0) down (2,0) (player 1 stands there: players may share cells), right, right, right onto
    // (2,3), where it waits with stay (no partner). From (1,0) on, the stag at (0,1) is the nearer one.
    expect(walk).toEqual([1, 1, 3, 3, 3, 4]);
    expect(agents.targetOf(0, 0)).toBe(11);
  });

  it('re-picks at random when its target is gone, and stays when no prey of its kind is left', () => {
    // Hares at (0,3) and (2,3); the target hare (2,3) is then caught by player 1 (drawn as gone).
    const cfg = tiny({ players: 2, stags: 1, hares: 2 });
    const { vec, agents } = at(cfg, `0 . . H\n. . . .\nS . 1 H`);
    expect(agents.act(vec, 0, 0, Goal.Hare, rngPicking(2, 1))).toBe(1); // towards (2,3): down first
    expect(agents.targetOf(0, 0)).toBe(11);
    vec.setAscii(0, `0 . . H\n. . . .\nS . 1 .`); // targets are kept (no startEpisode): the hare is gone
    expect(agents.act(vec, 0, 0, Goal.Hare, new Rng(5))).toBe(3); // the one left, (0,3): right
    expect(agents.targetOf(0, 0)).toBe(3);
    vec.setAscii(0, `0 . . .\n. . . .\nS . 1 .`);
    expect(agents.act(vec, 0, 0, Goal.Hare, new Rng(5))).toBe(STAY);
    expect(agents.targetOf(0, 0)).toBe(-1);
    // On its hare it hunts it (6).
    const on = at(cfg, `0H . . H\n. . . .\nS . 1 .`);
    expect(on.agents.act(on.vec, 0, 0, Goal.Hare, rngPicking(2, 0))).toBe(6);
  });

  it('a done player stays; acting before startEpisode and bad parameters are refused by name', () => {
    const { vec, agents } = at(tiny({ players: 2, stags: 1, hares: 1 }), `0 . . S\n. . . .\n. . . H`, { epsilon: 1 });
    // player 1 is done (not drawn): it stays even with epsilon 1 and draws nothing
    expect(agents.act(vec, 0, 1, Goal.Hare, NO_DRAW)).toBe(STAY);
    const fresh = new BatchedCommitted(vec);
    expect(() => fresh.act(vec, 0, 0, Goal.Hare, new Rng(0))).toThrow(/env 0 has no episode started/);
    expect(() => committedParams({ epsilon: 1.5 })).toThrow(/epsilon must be a number in \[0, 1\], got 1.5/);
    expect(() => committedParams({ stagWait: 'wait' as 'stay' })).toThrow(/stagWait must be one of stay, hunt/);
    expect(COMMITTED_DEFAULTS).toEqual({ epsilon: 0.1, stagWait: 'stay' });
  });
});

describe('goal-committed agent: statistics', () => {
  it('its first target is uniform over the live prey of its goal (half the time the far stag)', () => {
    // p = 1/2 per seed; n = 2000: SE = sqrt(0.25 / 2000) = 0.0112; 5 SE = 0.056. Nearest-first would give 0.
    const n = 2000;
    let far = 0;
    const { vec, agents } = at(tiny({ players: 2, stags: 2, hares: 1 }), `0 S . .\n. . . .\n1 . . S`);
    for (let s = 0; s < n; s++) {
      agents.startEpisode(vec, 0); // forgets the target
      agents.act(vec, 0, 0, Goal.Stag, new Rng(s));
      far += agents.targetOf(0, 0) === 11 ? 1 : 0;
    }
    expect(Math.abs(far / n - 0.5)).toBeLessThan(0.056);
  });

  it('takes a random valid action with probability epsilon: each of the 3 valid actions eps/3 more often', () => {
    // Player 0 in the corner (0,0) targeting the hare at (2,3): rule action down (1); valid: down, right, stay.
    // P(right) = P(stay) = eps / 3 = 0.0333, P(down) = 1 - 2 eps / 3; n = 6000: SE(right) = sqrt(.0333 * .9667 / 6000)
    // = 0.00232, 5 SE = 0.0116; the invalid ones (up, left, hunts) never.
    const { vec, agents } = at(tiny({ players: 2, stags: 1, hares: 1 }), `0 . . S\n. . . .\n1 . . H`, { epsilon: 0.1 });
    const n = 6000;
    const counts = new Array<number>(7).fill(0);
    for (let s = 0; s < n; s++) counts[agents.act(vec, 0, 0, Goal.Hare, new Rng(s))]++;
    expect(counts[0] + counts[2] + counts[5] + counts[6]).toBe(0);
    expect(Math.abs(counts[3] / n - 0.1 / 3)).toBeLessThan(0.0116);
    expect(Math.abs(counts[4] / n - 0.1 / 3)).toBeLessThan(0.0116);
    expect(Math.abs(counts[1] / n - (1 - 0.2 / 3))).toBeLessThan(5 * Math.sqrt((0.2 / 3) * (1 - 0.2 / 3) / n));
  });
});

describe('goal-committed agent: properties', () => {
  it('every action is valid in random layouts, goals, epsilons and steps (any players, obstacles, prey counts)', () => {
    const stats = { decisions: 0, hunts: 0, moves: 0, stays: 0, done: 0, noPrey: 0 };
    fc.assert(
      fc.property(
        fc.record({
          players: fc.integer({ min: 2, max: 4 }),
          side: fc.integer({ min: 4, max: 6 }),
          stags: fc.integer({ min: 0, max: 3 }),
          hares: fc.integer({ min: 0, max: 3 }),
          obstacles: fc.integer({ min: 0, max: 2 }),
          epsilon: fc.constantFrom(0, 0.1, 0.5, 1),
          seed: fc.integer({ min: 0, max: 1e6 }),
          goals: fc.array(fc.constantFrom(Goal.Stag, Goal.Hare), { minLength: 4, maxLength: 4 }),
        }),
        (c) => {
          const config = resolveConfig({ players: c.players, height: c.side, width: c.side, stags: c.stags, hares: c.hares, obstacles: c.obstacles, finalTime: 12 });
          const vec = new VecStagHunt(config, { numEnvs: 2, seed: c.seed, observations: 'none', autoReset: false });
          const agents = new BatchedCommitted(vec, { epsilon: c.epsilon });
          for (let k = 0; k < 2; k++) agents.startEpisode(vec, k);
          const P = c.players;
          const acts = new Int32Array(2 * P);
          for (let t = 0; t < 12 && !(vec.ended[0] && vec.ended[1]); t++) {
            for (let k = 0; k < 2; k++)
              for (let p = 0; p < P; p++) {
                const a = agents.act(vec, k, p, c.goals[p], new Rng(c.seed * 31 + t * 7 + k * 3 + p));
                acts[k * P + p] = a;
                if (vec.ended[k]) continue;
                if (vec.readState(k).players[p] === null) stats.done++;
                else {
                  stats.decisions++;
                  if (a >= 5) stats.hunts++;
                  else if (a === STAY) stats.stays++;
                  else stats.moves++;
                  if ((c.goals[p] === Goal.Stag ? vec.readState(k).stags : vec.readState(k).hares).length === 0) stats.noPrey++;
                }
                if (vec.masks[(k * P + p) * 7 + a] !== 1) return false;
              }
            vec.step(acts);
          }
          return true;
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    // What the runs covered: moves, hunts, stays, done players and agents whose prey kind is all gone.
    expect(stats.decisions).toBeGreaterThan(2000);
    expect(stats.hunts).toBeGreaterThan(50);
    expect(stats.moves).toBeGreaterThan(1000);
    expect(stats.stays).toBeGreaterThan(50);
    expect(stats.done).toBeGreaterThan(20);
    expect(stats.noPrey).toBeGreaterThan(20);
  });
});

describe('training and evaluation populations', () => {
  it('no training co-player name is an evaluation agent kind or population', () => {
    // Mutation caught: adding 'nearest-hare' or 'switching' to TRAINING_CO_PLAYERS.
    const evaluation = new Set<string>([...AGENT_KINDS, ...POPULATIONS]);
    expect(TRAINING_CO_PLAYERS.length).toBeGreaterThan(0);
    for (const name of TRAINING_CO_PLAYERS) expect(evaluation.has(name), name).toBe(false);
  });
});
