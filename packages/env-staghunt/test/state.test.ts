import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '@hop/core';
import { StagHuntEnv } from '../src/env/parallel';
import { VecStagHunt } from '../src/env/vec';
import { createStagHuntSimulator } from '../src/sim/simulator';
import { P, errorOf, tiny } from './helpers';

// tiny(): 3 players on 3x4, 1 stag, 2 hares, no random obstacles, finalTime 20
describe('positions for test writers: fromState / fromAscii, validated', () => {
  it('fromState puts every piece where it says (hand-worked observation and masks)', () => {
    const env = StagHuntEnv.fromState(tiny(), {
      players: [[0, 0], [0, 0], null],
      stags: [[0, 0]],
      hares: [[2, 3]],
      obstacles: [[1, 0]],
      time: 2,
    });
    expect(env.time).toBe(2);
    expect(env.agents).toEqual([P(0), P(1)]);
    expect(env.render()).toBe('t=2/20  done: 2\n01S .   .   .\n#   .   .   .\n.   .   .   H');
    // player 0 on the stag: up off the grid, down into the obstacle; left off the grid; right, stay, hunt stag valid
    expect(Array.from(env.actionMask(P(0)))).toEqual([0, 0, 0, 1, 1, 1, 0]);
    // its grid view: own channel first, then player 1, player 2 (done: empty), obstacle, stag, hare
    const grid = env.observe(P(0)).grid;
    const at = (r: number, c: number, ch: number) => grid[(r * 4 + c) * 6 + ch];
    expect([at(0, 0, 0), at(0, 0, 1), at(0, 0, 4), at(1, 0, 3), at(2, 3, 5)]).toEqual([1, 1, 1, 1, 1]);
    expect(grid.reduce((a, b) => a + b, 0)).toBe(5);
    expect(env.readState()).toEqual({
      players: [[0, 0], [0, 0], null],
      stags: [[0, 0]],
      hares: [[2, 3]],
      obstacles: [[1, 0]],
      time: 2,
      endTime: 20,
      firstHuntTime: -1,
    });
    // both hunt the stag together: caught, 5 each
    const r = env.step({ [P(0)]: 5, [P(1)]: 5 });
    expect([r.rewards[P(0)], r.rewards[P(1)]]).toEqual([5, 5]);
  });

  it('fromAscii gives the same env as fromState for the same position', () => {
    const a = StagHuntEnv.fromAscii(tiny(), '01S . . .\n# . . .\n. . . H', { time: 2 });
    const b = StagHuntEnv.fromState(tiny(), { players: [[0, 0], [0, 0], null], stags: [[0, 0]], hares: [[2, 3]], obstacles: [[1, 0]], time: 2 });
    expect(a.state()).toEqual(b.state());
  });

  it('every impossible position is a HopError E_STATE saying what is wrong', () => {
    const base = { players: [[0, 0], [0, 1], [0, 2]] as [number, number][], stags: [[1, 1]] as [number, number][], hares: [] as [number, number][] };
    const cases: [object, RegExp][] = [
      [{ ...base, obstacles: [[0, 1]] }, /player 1 is on an obstacle at \(0, 1\)/],
      [{ ...base, stags: [[1, 1]], hares: [[1, 1]] }, /hare 0 and stag 0 share the cell \(1, 1\)/],
      [{ ...base, hares: [[2, 2], [2, 2]] }, /hare 1 and hare 0 share the cell \(2, 2\)/],
      [{ ...base, stags: [[3, 0]] }, /stag 0 \[3, 0\] is off the 3x4 grid/],
      [{ ...base, players: [[0, 0]] }, /players has 1 entries, the config has 3 players/],
      [{ ...base, stags: [[1, 1], [1, 2]] }, /2 stags given, the config has 1/],
      [{ ...base, time: 21 }, /time 21 is past the end time 20/],
      [{ ...base, time: 3, firstHuntTime: 3 }, /first hunt time 3 is neither -1 nor a step before the time 3/],
      [{ ...base, players: [[0, 0], [0, 1], [0.5, 2]] }, /player 2 is \[0.5,2\], not a \[row, col\] pair of integers/],
    ];
    for (const [state, message] of cases) {
      const e = errorOf(() => StagHuntEnv.fromState(tiny(), state as never));
      expect(e.code, String(message)).toBe('E_STATE');
      expect(e.message).toMatch(message);
    }
    // ASCII: two stags drawn on one cell
    expect(() => StagHuntEnv.fromAscii(tiny({ stags: 2 }), 'SS . . .\n. . . .\n. . . .')).toThrow(/stag 1 and stag 0 share the cell \(0, 0\)/);
  });

  it('restore validates a raw record in strict mode (or when asked); the lenient default takes it as it is', () => {
    const sim = createStagHuntSimulator(tiny());
    const arena = sim.allocate(1);
    sim.writeState(arena, 0, { players: [[0, 0], [0, 1], [0, 2]], stags: [[1, 1]], hares: [[2, 2]] });
    arena[sim.geometry.OBST] |= 1 << 1; // an obstacle under player 1: no step of the rules can make this
    expect(sim.problems(arena, 0)).toEqual(['player 1 is on an obstacle at (0, 1)']);
    expect(() => new StagHuntEnv(tiny({ strict: true })).restore(arena, 0)).toThrow(/E_STATE|player 1 is on an obstacle at \(0, 1\)/);
    expect(() => new StagHuntEnv(tiny()).restore(arena, 0, { validate: true })).toThrow(/VecStagHunt.restore: not a valid Stag-Hunt state: player 1 is on an obstacle/);
    const lenient = new StagHuntEnv(tiny());
    lenient.restore(arena, 0); // control: the default does not check
    expect(lenient.state()).toEqual(arena);
    const vec = new VecStagHunt(tiny(), { numEnvs: 2 });
    expect(() => vec.restore(1, arena, 0, { validate: true })).toThrow(/player 1 is on an obstacle/);
  });

  it('restore starts the statistics afresh from the restored state', () => {
    const env = StagHuntEnv.fromAscii(tiny(), '0 1 . .\n. H . .\n. . 2H .');
    env.step({ [P(0)]: 4, [P(1)]: 4, [P(2)]: 6 }); // player 2 takes a hare: return 1, done at t = 1
    expect(env.episodeStats().returns).toEqual([0, 0, 1]);
    const sim = createStagHuntSimulator(tiny());
    const arena = sim.allocate(1);
    sim.parse('. 0 S .\n. . 1 .\n. . . H', arena, 0, { time: 4 }); // a different game: player 2 done before t = 4
    env.restore(arena, 0);
    const s = env.episodeStats();
    expect(s.returns).toEqual([0, 0, 0]);
    expect(s.caught).toEqual([-1, -1, -1]);
    expect(s.doneTime).toEqual([4, 4, 4]); // still playing: the length so far; done: done by the restore
    expect(s.length).toBe(4);
    env.step({ [P(0)]: 3, [P(1)]: 4 });
    env.step({ [P(0)]: 5, [P(1)]: 4 }); // a lone stag hunter gets nothing
    expect(env.episodeStats().returns).toEqual([0, 0, 0]);
  });

  it('readState / writeState round-trip every state the rules reach (property), and such states have no problems', () => {
    const seen = { states: 0, donePlayers: 0, caughtPrey: 0 };
    fc.assert(
      fc.property(fc.constantFrom('hop-msh', 'small-2p', 'msh-1stag'), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 30 }), (preset, seed, steps) => {
        const vec = new VecStagHunt(preset, { numEnvs: 1, seed, observations: 'none', autoReset: false });
        const rng = new Rng(seed);
        const P_ = vec.numAgents;
        const act = new Int32Array(P_);
        for (let t = 0; t < steps && !vec.ended[0]; t++) {
          for (let p = 0; p < P_; p++) {
            const m = vec.masks.subarray(p * 7, p * 7 + 7);
            act[p] = m[5] ? 5 : m[6] && rng.next() < 0.5 ? 6 : rng.categorical(Float64Array.from(m));
          }
          vec.step(act);
        }
        const sim = createStagHuntSimulator(preset);
        const arena = sim.allocate(2);
        vec.snapshot(0, arena, 0);
        expect(sim.problems(arena, 0)).toEqual([]);
        const written = sim.readState(arena, 0);
        sim.writeState(arena, 1, written);
        expect(sim.readState(arena, 1)).toEqual(written);
        // the same position word for word, up to which prey slot holds which prey
        const g = sim.geometry;
        const norm = (slot: number) => {
          const r = Array.from(arena.subarray(slot * g.stateWords, (slot + 1) * g.stateWords));
          const sortPart = (a: number, b: number) => r.splice(a, b - a, ...r.slice(a, b).sort((x, y) => x - y));
          sortPart(g.STAG, g.HARE);
          sortPart(g.HARE, g.OBST);
          return r;
        };
        expect(norm(1)).toEqual(norm(0));
        seen.states++;
        seen.donePlayers += written.players.filter((p) => p === null).length;
        seen.caughtPrey += g.stags + g.hares - written.stags.length - written.hares.length;
      }),
      { numRuns: 80 },
    );
    expect(seen.donePlayers).toBeGreaterThan(20);
    expect(seen.caughtPrey).toBeGreaterThan(20);
  });
});
