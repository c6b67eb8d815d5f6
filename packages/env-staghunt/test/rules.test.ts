import { describe, expect, it } from 'vitest';
import { HopError } from '@hop/core';
import { envAt, P, tiny } from './helpers';

/** The grid of the ASCII frame with single spaces between cells (no header). */
const grid = (env: { render(): string }) =>
  env
    .render()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/).join(' '))
    .join('\n');

const stay = { [P(0)]: 4, [P(1)]: 4, [P(2)]: 4 };

describe('stag hunting', () => {
  const pic = `
    01S .  . .
    .   .  . .
    .   2  . H`;

  it('a lone hunter gets nothing and stays in play', () => {
    const env = envAt(tiny(), pic);
    const r = env.step({ ...stay, [P(0)]: 5 });
    expect(r.rewards).toEqual({ [P(0)]: 0, [P(1)]: 0, [P(2)]: 0 });
    expect(r.terminations[P(0)]).toBe(false);
    expect(env.agents).toEqual([P(0), P(1), P(2)]);
    expect(env.render()).toContain('01S');
  });

  it('two hunters on the same stag get 5 each and are both done', () => {
    const env = envAt(tiny(), pic);
    const r = env.step({ ...stay, [P(0)]: 5, [P(1)]: 5 });
    expect(r.rewards).toEqual({ [P(0)]: 5, [P(1)]: 5, [P(2)]: 0 });
    expect(r.terminations).toEqual({ [P(0)]: true, [P(1)]: true, [P(2)]: false });
    expect(r.infos[P(0)].hunted).toBe('stag');
    expect(env.agents).toEqual([P(2)]);
    // the stag is gone and the hunters left the grid: their own channel is empty in their final view
    const g = env.geometry;
    const grid = r.observations[P(0)].grid;
    let own = 0;
    let stags = 0;
    for (let c = 0; c < g.cells; c++) {
      own += grid[c * g.channels];
      stags += grid[c * g.channels + g.players + 1];
    }
    expect(own).toBe(0);
    expect(stags).toBe(0);
    expect(env.episodeStats().stagsCaught).toBe(1);
  });

  it('three hunters split by playerStrength', () => {
    const env = envAt(tiny({ playerStrength: [1, 2, 3] }), `012S . . .\n. . . .\n. . . H`);
    const r = env.step({ [P(0)]: 5, [P(1)]: 5, [P(2)]: 5 });
    expect(r.rewards[P(0)]).toBeCloseTo(10 / 6, 5);
    expect(r.rewards[P(1)]).toBeCloseTo(20 / 6, 5);
    expect(r.rewards[P(2)]).toBeCloseTo(30 / 6, 5);
    expect(env.agents).toEqual([]);
  });

  it('three hunters without strengths split equally', () => {
    const env = envAt(tiny(), `012S . . .\n. . . .\n. . . H`);
    const r = env.step({ [P(0)]: 5, [P(1)]: 5, [P(2)]: 5 });
    for (let p = 0; p < 3; p++) expect(r.rewards[P(p)]).toBeCloseTo(10 / 3, 5);
  });

  it('stagMinHunters = 3 makes two hunters fail', () => {
    const env = envAt(tiny({ stagMinHunters: 3 }), pic);
    const r = env.step({ ...stay, [P(0)]: 5, [P(1)]: 5 });
    expect(Object.values(r.rewards)).toEqual([0, 0, 0]);
    expect(env.agents.length).toBe(3);
  });

  it('a hunter that moves onto the stag in the same step does not count', () => {
    const env = envAt(tiny(), `0S 1 . .\n. . . .\n2 . . H`);
    const r = env.step({ [P(0)]: 5, [P(1)]: 2, [P(2)]: 4 });
    expect(r.rewards[P(0)]).toBe(0);
    expect(env.render()).toContain('01S');
  });
});

describe('hare hunting', () => {
  it('two hunters on one hare split it and are both done; the other hare stays', () => {
    const env = envAt(tiny(), `01H . . S\n. . . .\n2 . . H`);
    const r = env.step({ [P(0)]: 6, [P(1)]: 6, [P(2)]: 4 });
    expect(r.rewards).toEqual({ [P(0)]: 0.5, [P(1)]: 0.5, [P(2)]: 0 });
    expect(r.terminations).toEqual({ [P(0)]: true, [P(1)]: true, [P(2)]: false });
    expect(env.episodeStats().haresCaught).toBe(1);
    expect(grid(env)).toBe('. . . S\n. . . .\n2 . . H');
  });

  it('one hunter suffices; a player standing on the hare without hunting stays in play', () => {
    const env = envAt(tiny(), `01H . . S\n. . . .\n2 . . H`);
    const r = env.step({ [P(0)]: 6, [P(1)]: 4, [P(2)]: 4 });
    expect(r.rewards).toEqual({ [P(0)]: 1, [P(1)]: 0, [P(2)]: 0 });
    expect(env.agents).toEqual([P(1), P(2)]);
  });
});

describe('moves and masks', () => {
  const pic = `0 # . S\n. . 1H .\n. . . 2H`;

  it('moves off the grid or into an obstacle act as stay; valid moves move', () => {
    const env = envAt(tiny(), pic);
    env.step({ [P(0)]: 0, [P(1)]: 4, [P(2)]: 1 }); // up off grid, down off grid
    expect(grid(env)).toBe('0 # . S\n. . 1H .\n. . . 2H');
    env.step({ [P(0)]: 3, [P(1)]: 4, [P(2)]: 3 }); // into the obstacle, off the right edge
    expect(grid(env)).toBe('0 # . S\n. . 1H .\n. . . 2H');
    env.step({ [P(0)]: 1, [P(1)]: 0, [P(2)]: 2 });
    expect(grid(env)).toBe('. # 1 S\n0 . H .\n. . 2 H');
  });

  it('masks: edges, obstacles, prey cells', () => {
    const env = envAt(tiny(), pic);
    // player 0 at (0,0): up/left off grid, right is an obstacle
    expect([...env.actionMask(P(0))]).toEqual([0, 1, 0, 0, 1, 0, 0]);
    // player 1 on a hare at (1,2): hunt hare only
    expect([...env.actionMask(P(1))]).toEqual([1, 1, 1, 1, 1, 0, 1]);
    // player 2 on a hare in the corner (2,3)
    expect([...env.actionMask(P(2))]).toEqual([1, 0, 1, 0, 1, 0, 1]);
    const onStag = envAt(tiny(), `. # . 0S\n. . 1 .\n. . 2 H`);
    expect([...onStag.actionMask(P(0))]).toEqual([0, 1, 1, 0, 1, 1, 0]);
  });

  it('several players share a cell', () => {
    const env = envAt(tiny(), `0 1 . S\n. . . .\n2 . . H`);
    env.step({ [P(0)]: 3, [P(1)]: 4, [P(2)]: 0 });
    expect(grid(env).split('\n')[0]).toBe('. 01 . S');
  });

  it('strict mode throws with the agent, the action and the mask', () => {
    const env = envAt(tiny({ strict: true }), pic);
    let err: unknown;
    try {
      env.step({ [P(0)]: 3, [P(1)]: 4, [P(2)]: 4 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HopError);
    const msg = (err as HopError).message;
    expect(msg).toContain('player_0');
    expect(msg).toContain('action 3 (right)');
    expect(msg).toContain('[0, 1, 0, 0, 1, 0, 0]');
    expect(() => env.step({ [P(0)]: 5, [P(1)]: 4, [P(2)]: 4 })).toThrow(/player_0 chose invalid action 5/);
    expect(() => env.step({ [P(0)]: 9, [P(1)]: 4, [P(2)]: 4 })).toThrow(/action 9/);
  });

  it('a done player has only stay valid and its actions are ignored', () => {
    const env = envAt(tiny(), `0H . . S\n. 1 . .\n2 . . H`);
    env.step({ [P(0)]: 6, [P(1)]: 4, [P(2)]: 4 });
    expect([...env.actionMask(P(0))]).toEqual([0, 0, 0, 0, 1, 0, 0]);
    const r = env.step({ [P(0)]: 1, [P(1)]: 4, [P(2)]: 4 });
    expect(Object.keys(r.rewards)).toEqual([P(1), P(2)]);
    expect(env.render()).toContain('done: 0');
  });
});

describe('episode end', () => {
  it('finalTime truncates the players still in play', () => {
    const env = envAt(tiny({ finalTime: 3 }), `0 . . S\n. 1 . .\n2 . . H`);
    for (let t = 0; t < 2; t++) {
      const r = env.step(stay);
      expect(Object.values(r.truncations)).toEqual([false, false, false]);
    }
    const r = env.step(stay);
    expect(r.truncations).toEqual({ [P(0)]: true, [P(1)]: true, [P(2)]: true });
    expect(r.terminations).toEqual({ [P(0)]: false, [P(1)]: false, [P(2)]: false });
    expect(r.infos[P(0)].episode?.length).toBe(3);
    expect(env.agents).toEqual([]);
    expect(() => env.step(stay)).toThrow(/reset\(\)/);
  });

  it('the episode ends when every player is done, before finalTime', () => {
    const env = envAt(tiny({ players: 2, hares: 2 }), `0H . . S\n. . . .\n. . . 1H`);
    const r = env.step({ [P(0)]: 6, [P(1)]: 6 });
    expect(r.terminations).toEqual({ [P(0)]: true, [P(1)]: true });
    expect(r.truncations).toEqual({ [P(0)]: false, [P(1)]: false });
    expect(env.isOver()).toBe(true);
    expect(env.time).toBe(1);
    const s = r.infos[P(0)].episode;
    expect(s).toMatchObject({ length: 1, haresCaught: 2, stagsCaught: 0, preyRatio: 0, firstHuntTime: 0 });
  });

  it('dynamicFinalTime ends the episode finalTimeAfterFirstHunt steps after the first hunt', () => {
    const env = envAt(tiny({ dynamicFinalTime: true, finalTimeAfterFirstHunt: 5 }), `0H . . S\n. 1 . .\n2 . . H`);
    env.step(stay); // t 0 -> 1
    env.step(stay); // t 1 -> 2
    env.step({ ...stay, [P(0)]: 6 }); // first hunt in the step from t=2: the episode ends at t = 3 + 5
    expect(env.core.states[env.geometry.END]).toBe(8);
    expect(env.episodeStats().firstHuntTime).toBe(2);
    let steps = 3;
    let last;
    while (env.agents.length) {
      last = env.step({ [P(1)]: 4, [P(2)]: 4 });
      steps++;
    }
    expect(steps).toBe(8);
    expect(last?.truncations).toEqual({ [P(1)]: true, [P(2)]: true });
  });

  it('without dynamicFinalTime a hunt does not move the end', () => {
    const env = envAt(tiny(), `0H . . S\n. 1 . .\n2 . . H`);
    env.step({ ...stay, [P(0)]: 6 });
    expect(env.core.states[env.geometry.END]).toBe(20);
  });
});

describe('reward options', () => {
  it('timeReward is added for every acting player each step', () => {
    const env = envAt(tiny({ timeReward: -0.25 }), `01S . . .\n. . . .\n2 . . H`);
    const r = env.step({ [P(0)]: 5, [P(1)]: 5, [P(2)]: 4 });
    expect(r.rewards).toEqual({ [P(0)]: 4.75, [P(1)]: 4.75, [P(2)]: -0.25 });
    const r2 = env.step({ [P(2)]: 4 });
    expect(r2.rewards).toEqual({ [P(2)]: -0.25 });
  });

  it('prosocial: each acting player receives the mean reward of all players', () => {
    const env = envAt(tiny({ prosocial: true }), `01S . . .\n. . . .\n2 . . H`);
    const r = env.step({ [P(0)]: 5, [P(1)]: 5, [P(2)]: 4 });
    for (let p = 0; p < 3; p++) expect(r.rewards[P(p)]).toBeCloseTo(10 / 3, 5);
  });
});

describe('observations', () => {
  it('rotates the player channels so that each observer comes first', () => {
    const env = envAt(tiny(), `0 # . S\n. 1 . .\n. . 2 H`);
    const g = env.geometry;
    const C = g.channels; // 6
    const cellOf = { 0: 0, 1: 5, 2: 10 } as Record<number, number>;
    for (let o = 0; o < 3; o++) {
      const { grid, shape, time, actionMask } = env.observe(P(o));
      expect(shape).toEqual([3, 4, 6]);
      expect(time).toBe(0);
      expect(actionMask).toEqual(env.actionMask(P(o)));
      for (let j = 0; j < 3; j++) {
        const p = (o + j) % 3;
        for (let c = 0; c < g.cells; c++) expect(grid[c * C + j]).toBe(c === cellOf[p] ? 1 : 0);
      }
      for (let c = 0; c < g.cells; c++) {
        expect(grid[c * C + 3]).toBe(c === 1 ? 1 : 0); // obstacle
        expect(grid[c * C + 4]).toBe(c === 3 ? 1 : 0); // stag
        expect(grid[c * C + 5]).toBe(c === 11 ? 1 : 0); // hare
      }
    }
  });

  it('the flat form is [mask(7), grid]', () => {
    const env = envAt(tiny(), `0 # . S\n. 1 . .\n. . 2 H`);
    const flat = env.flatObservation(P(1));
    expect(flat.length).toBe(7 + 3 * 4 * 6);
    expect([...flat.subarray(0, 7)]).toEqual([...env.actionMask(P(1))]);
    expect([...flat.subarray(7)]).toEqual([...env.observe(P(1)).grid]);
  });
});

describe('actions that are not action numbers (review)', () => {
  const pic = `. . . S\n. 0 1 .\n2 . . H`;

  it('NaN, fractions and numbers beyond int32 act as stay instead of being truncated into a move', () => {
    const env = envAt(tiny(), pic);
    // Int32 conversion would turn NaN into 0 (up), 1.5 into 1 (down) and 2^32 + 2 into 2 (left)
    const r = env.step({ [P(0)]: Number.NaN, [P(1)]: 1.5, [P(2)]: 2 ** 32 + 2 });
    expect(grid(env)).toBe('. . . S\n. 0 1 .\n2 . . H');
    expect(Object.values(r.rewards)).toEqual([0, 0, 0]);
  });

  it('strict mode rejects them, naming the agent and the value', () => {
    const env = envAt(tiny({ strict: true }), pic);
    expect(() => env.step({ [P(0)]: 4, [P(1)]: 1.5, [P(2)]: 4 })).toThrow(/player_1 chose invalid action 1\.5/);
    expect(() => env.step({ [P(0)]: Number.NaN, [P(1)]: 4, [P(2)]: 4 })).toThrow(/player_0 chose invalid action NaN/);
    expect(env.time).toBe(0);
  });

  it('an action keyed by an agent that does not exist is an error, not a silent stay', () => {
    const env = envAt(tiny(), pic);
    expect(() => env.step({ Player_0: 1, [P(1)]: 4, [P(2)]: 4 })).toThrow(/unknown agent "Player_0"; agents are player_0, player_1, player_2/);
    expect(env.time).toBe(0);
  });
});
