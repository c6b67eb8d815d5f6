import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example: a complete coin game', () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  afterAll(() => log.mockRestore());

  it('examples/coin-game.ts is the README block, and it runs: the greedy move takes the adjacent coin', async () => {
    const example = readFileSync(join(PKG, 'examples/coin-game.ts'), 'utf8');
    const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
    expect(readme).toContain('```ts file=examples/coin-game.ts\n' + example.trim() + '\n```');
    await import('../examples/coin-game');
    const lines = log.mock.calls.map((c) => String(c[0]));
    expect(lines[0]).toBe('evaluation move of player 0: 3 (3 = right, onto the coin)');
    const train = /^training move of player 0: ([0-3]), policy target \[([\d.,]+)\]$/.exec(lines[1]);
    expect(train).not.toBeNull();
    const policy = train![2].split(',').map(Number);
    expect(policy.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1);
    expect(policy[3]).toBe(Math.max(...policy)); // the coin move is also the most likely training move
    // an episode that ends before maxSteps (20) ended because every coin was taken: 3 coins, 1 each
    const ep = /^episode of (\d+) steps: returns ([\d.]+), ([\d.]+)$/.exec(lines[2]);
    expect(ep).not.toBeNull();
    expect(Number(ep![1])).toBeLessThan(20);
    expect(Number(ep![2]) + Number(ep![3])).toBeCloseTo(3, 5);
  });
});
