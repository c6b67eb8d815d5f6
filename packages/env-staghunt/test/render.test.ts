import { describe, expect, it } from 'vitest';
import { createPopulationAgents } from '../src/agents/agents';
import { StagHuntEnv } from '../src/env/parallel';
import { VecStagHunt } from '../src/env/vec';
import { parseAsciiState, renderAscii } from '../src/render/ascii';
import { asciiFrames, recordEpisode, replayHtml, svgFrames } from '../src/render/replay';
import { renderSvg } from '../src/render/svg';
import { createStagHuntSimulator } from '../src/sim/simulator';
import { envAt, tiny } from './helpers';

const count = (s: string, sub: string) => s.split(sub).length - 1;

describe('ASCII', () => {
  it('parse(render(state)) gives back the same state (hash, positions, time)', () => {
    const vec = new VecStagHunt('hop-msh', { numEnvs: 16, seed: 5, observations: 'none' });
    const sim = createStagHuntSimulator('hop-msh');
    const g = sim.geometry;
    const arena = sim.allocate(2);
    const actions = new Int32Array(16 * 4);
    for (let step = 0; step < 12; step++) {
      for (let k = 0; k < 16; k++) {
        vec.snapshot(k, arena, 0);
        const text = renderAscii(g, arena, 0);
        parseAsciiState(g, text, arena, g.stateWords, { time: arena[g.T], endTime: arena[g.END], firstHuntTime: arena[g.FIRST] });
        const h = new Uint32Array(2);
        sim.hash({ states: arena, slots: Int32Array.of(0, 1), count: 2 }, h);
        expect(h[0]).toBe(h[1]);
        expect(arena.subarray(g.POS, g.STAG)).toEqual(arena.subarray(g.stateWords + g.POS, g.stateWords + g.STAG));
        expect(renderAscii(g, arena, g.stateWords)).toBe(text);
      }
      for (let i = 0; i < actions.length; i++) actions[i] = (i * 7 + step * 3) % 7;
      vec.step(actions);
    }
  });

  it('rejects malformed pictures with a message', () => {
    const sim = createStagHuntSimulator(tiny());
    const arena = sim.allocate(1);
    expect(() => sim.parse('. . .\n. . .', arena, 0)).toThrow(/2 rows, expected height 3/);
    expect(() => sim.parse('. . .\n. . . .\n. . . .', arena, 0)).toThrow(/row 0 has 3 cells/);
    expect(() => sim.parse('S S . .\n. . . .\n. . . .', arena, 0)).toThrow(/more than 1 stags/);
    expect(() => sim.parse('7 . . .\n. . . .\n. . . .', arena, 0)).toThrow(/unknown token "7"/);
  });
});

describe('SVG and HTML replay', () => {
  it('draws players, prey and obstacles distinguishably; done players shown as gone', () => {
    const env = envAt(tiny(), `01S # . .\n. . # .\n2 . . H`);
    env.step({ player_0: 5, player_1: 5, player_2: 4 });
    const svg = renderSvg(env.geometry, env.core.states, 0, { caption: 'a < b', returns: [5, 5, 0] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(count(svg, 'class="player ')).toBe(1);
    expect(count(svg, 'class="stag"')).toBe(0);
    expect(count(svg, 'class="hare"')).toBe(1);
    expect(count(svg, 'fill="#37474f"')).toBe(2);
    expect(count(svg, '(gone)')).toBe(2);
    expect(svg).toContain('P0 = 5 (gone)');
    expect(svg).toContain('a &lt; b');
    const before = envAt(tiny(), `01S # . .\n. . # .\n2 . . H`);
    const svg0 = renderSvg(before.geometry, before.core.states, 0);
    expect(count(svg0, 'class="player ')).toBe(3);
    expect(count(svg0, 'class="stag"')).toBe(1);
    expect(count(svg0, '(gone)')).toBe(0);
  });

  it('a replay page is self-contained, with one frame per state and a step slider', () => {
    const env = new StagHuntEnv('hop-msh', { seed: 2 });
    const rec = recordEpisode(env, createPopulationAgents('mixed', 4), 9);
    expect(rec.states.length).toBe(rec.actions.length + 1);
    expect(rec.stats.length).toBe(rec.actions.length);
    const html = replayHtml(rec, { title: 'mixed population' });
    expect(html).toContain(`<input id="slider" type="range" min="0" max="${rec.states.length - 1}"`);
    // no network: no external scripts, styles, images or fonts
    expect(html).not.toMatch(/<(script|link|img)[^>]*(src|href)=/);
    expect(html.replace(/xmlns=\\?"http:\/\/www\.w3\.org\/2000\/svg\\?"/g, '')).not.toMatch(/https?:/);
    const json = html.match(/const frames = (.*);\n/)?.[1] as string;
    const frames = JSON.parse(json) as string[];
    expect(frames.length).toBe(rec.states.length);
    expect(frames).toEqual(svgFrames(rec));
    expect(asciiFrames(rec)[0]).toBe(renderAscii(env.geometry, rec.states[0], 0));
  });
});
