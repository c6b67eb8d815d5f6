import { describe, expect, it } from 'vitest';
import { HopError } from '@hop/core';
import {
  StagHuntConfigSchema,
  flatObservationSize,
  gridShape,
  presetNames,
  presets,
  resolveConfig,
} from '../src/config';
import { errorOf } from './helpers';

describe('config', () => {
  it('presets validate with the values of docs/rules.md', () => {
    expect(presetNames).toEqual(['hop-msh', 'msh-1stag', 'small-2p']);
    const c = resolveConfig('hop-msh');
    expect(c).toMatchObject({ players: 4, height: 8, width: 8, stags: 2, hares: 4, obstacles: 5, finalTime: 35 });
    expect(c).toMatchObject({ stagReward: 10, hareReward: 1, stagMinHunters: 2, finalTimeAfterFirstHunt: 5 });
    expect(resolveConfig('msh-1stag').stags).toBe(1);
    expect(gridShape('small-2p')).toEqual([4, 4, 5]);
    expect(flatObservationSize('hop-msh')).toBe(7 + 8 * 8 * 7);
    for (const name of presetNames) expect(StagHuntConfigSchema.safeParse(presets[name]).success).toBe(true);
    expect(resolveConfig('hop-msh', { finalTime: 10 }).finalTime).toBe(10);
  });

  it('rejects configs that cannot work, naming the field', () => {
    const e1 = errorOf(() => resolveConfig({ height: 2, width: 2, stags: 3, hares: 3, players: 2, obstacles: 0 }));
    expect(e1).toBeInstanceOf(HopError);
    expect(e1.code).toBe('E_CONFIG');
    expect(e1.message).toMatch(/^invalid stag-hunt config: stags: /);
    expect(errorOf(() => resolveConfig({ players: 2, stagMinHunters: 3 })).message).toMatch(/stagMinHunters: .*exceeds players/);
    expect(errorOf(() => resolveConfig({ height: -1 })).message).toMatch(/height: /);
    expect(errorOf(() => resolveConfig({ width: 0 })).message).toMatch(/width: /);
    expect(errorOf(() => resolveConfig({ hares: -2 })).message).toMatch(/hares: /);
    expect(errorOf(() => resolveConfig({ players: 3, playerStrength: [1, 2] })).message).toMatch(/playerStrength: .*3/);
    expect(errorOf(() => resolveConfig({ height: 4, width: 4, obstacles: 4 })).message).toMatch(/obstacles: /);
    expect(errorOf(() => resolveConfig({ finalTime: 2.5 })).message).toMatch(/finalTime: /);
    expect(errorOf(() => resolveConfig({ colour: 'red' } as never)).message).toMatch(/colour/);
    expect(errorOf(() => resolveConfig('hop' as never)).message).toMatch(/unknown stag-hunt preset "hop"/);
  });
});
