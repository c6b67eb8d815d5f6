import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentCells, trainCells } from '../src/experiment/command';
import { ExperimentSchema } from '../src/experiment/schema';
import { tempDir } from './helpers';

/** A stream that says it is a terminal and keeps what is written to it (readline's escapes included). */
class FakeTerminal {
  readonly isTTY = true;
  readonly columns = 220;
  readonly rows = 50;
  text = '';
  write(s: string | Uint8Array, cb?: unknown): boolean {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString('utf8');
    if (typeof cb === 'function') (cb as () => void)();
    return true;
  }
  on(): this {
    return this;
  }
}

/**
 * The screen a terminal shows after `text`: the escapes cli-progress and readline write (cursor to column,
 * up / down, clear line, clear to end of line or screen, cursor show / hide) applied to a grid of lines.
 */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  let saved: [number, number] = [0, 0];
  const put = (ch: string) => {
    while (lines.length <= row) lines.push('');
    const l = lines[row].padEnd(col, ' ');
    lines[row] = l.slice(0, col) + ch + l.slice(col + 1);
    col += 1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      row += 1;
      col = 0;
      while (lines.length <= row) lines.push('');
    } else if (c === '\r') col = 0;
    else if (c === '\x1b') {
      if (text[i + 1] === '7' || text[i + 1] === '8') {
        if (text[i + 1] === '7') saved = [row, col];
        else [row, col] = saved;
        i += 1;
        continue;
      }
      const m = /^\x1b\[(\??)(\d*)(?:;(\d*))?([A-Za-z])/.exec(text.slice(i, i + 16));
      if (!m) throw new Error(`unknown escape at ${i}: ${JSON.stringify(text.slice(i, i + 8))}`);
      i += m[0].length - 1;
      const n = m[2] === '' ? 1 : Number(m[2]);
      if (m[1] === '?') continue; // cursor visibility, line wrapping
      const l = lines[row] ?? '';
      switch (m[4]) {
        case 'G': col = n - 1; break;
        case 'A': row = Math.max(0, row - n); break;
        case 'B': row += n; break;
        case 'C': col += n; break;
        case 'D': col = Math.max(0, col - n); break;
        case 'K':
          lines[row] = m[2] === '2' ? '' : m[2] === '1' ? ' '.repeat(col) + l.slice(col) : l.slice(0, col);
          break;
        case 'J':
          lines[row] = l.slice(0, col);
          lines.length = row + 1;
          break;
        default: throw new Error(`unhandled escape ${m[0]}`);
      }
    } else put(c);
  }
  return lines.map((l) => l.trimEnd());
}

describe('hop experiment in bar mode on a terminal', () => {
  it('the screen emulator applies cli-progress-style redraws (a hand-made case)', () => {
    // A bar drawn, a line logged above it by clearing and redrawing, then the bar updated in place.
    const t = 'bar 1\x1b[1G\x1b[2Klogged line\nbar 2\x1b[0K\x1b[1Gbar 3\x1b[0K';
    expect(screen(t)).toEqual(['logged line', 'bar 3']);
    expect(screen('ab\x1b[1A\x1b[1Gx\x1b[0J')).toEqual(['x']);
  });

  it('the cells bar is never redrawn between the lines of a cell: every cell line is a whole screen line, the bars stay at the bottom', async () => {
    const root = tempDir('progress-nesting');
    const exp = ExperimentSchema.parse({
      name: 'tiny',
      env: 'small-2p',
      seeds: [0, 1],
      // The cells' own progress is a bar too: it must become a row under the cells bar, not a second bar.
      algos: { ppo: { totalTimesteps: 192, numEnvs: 4, numSteps: 24, policyFilters: [8], policyHidden: 16, evalEpisodes: 2, evalEnvs: 2, progress: 'bar' } },
    });
    const cells = experimentCells(exp, join(root, 'exp'), 1);
    const tty = new FakeTerminal();
    const log = (l: string) => tty.write(l + '\n');
    const code = await trainCells(cells, 'bar', log, {}, tty as unknown as NodeJS.WriteStream);
    expect(code).toBe(0);
    const shown = screen(tty.text).filter((l) => l !== '');
    const isBar = (l: string) => /[█░]/.test(l);
    // The cells' log lines: each one is a whole line of the screen, with no bar glued before or after it.
    for (const n of [1, 2]) {
      const starting = shown.filter((l) => l.includes(`cell ${n}/2 ppo default seed ${n - 1}: starting`));
      expect(starting, shown.join('\n')).toHaveLength(1);
      expect(starting[0].startsWith(`cell ${n}/2`)).toBe(true);
      expect(isBar(starting[0])).toBe(false);
    }
    // Each cell's own training bar leaves one final line above the bars when it ends.
    expect(shown.filter((l) => /^train ppo: (\d+)\/\1 iterations/.test(l))).toHaveLength(2);
    // Only the last line is a bar (the cells bar at 2/2); no bar drawn in the middle of the output.
    expect(shown.filter(isBar)).toEqual([shown.at(-1)]);
    expect(shown.at(-1)).toMatch(/^cells \[█+\] 100% 2\/2 cells .*all done/);
    // The lines a cell prints between those two (backend, run directory, ...) are there too.
    expect(shown.length).toBeGreaterThan(6);
  }, 120_000);
});
