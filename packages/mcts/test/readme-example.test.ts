import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example: a complete coin game', () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  afterAll(() => log.mockRestore());

  const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
  const asBlock = (file: string) => '```ts file=' + file + '\n' + readFileSync(join(PKG, file), 'utf8').trim() + '\n```';

  it('examples/coin-game.ts is the README block, and it runs: the greedy move takes the adjacent coin', async () => {
    expect(readme).toContain(asBlock('examples/coin-rules.ts'));
    expect(readme).toContain(asBlock('examples/coin-game.ts'));
    log.mockClear();
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

  it('examples/your-game.ts (the guide) is the README block, and it runs: data, MOA, beliefs, planning', async () => {
    expect(readme).toContain(asBlock('examples/your-game.ts'));
    log.mockClear();
    await import('../examples/your-game');
    const lines = log.mock.calls.map((c) => String(c[0]));
    // the scripted co-player takes its goal's first closer move 90% of the time (ties between two closer
    // moves are resolved by action order, which the MOA can learn): top-1 well above the 1/4 of chance
    const moa = /^MOA: loss ([\d.]+) -> ([\d.]+), held-out top-1 ([\d.]+)$/.exec(lines[0]);
    expect(moa, lines[0]).not.toBeNull();
    expect(Number(moa![2])).toBeLessThan(Number(moa![1]));
    expect(Number(moa![3])).toBeGreaterThan(0.7);
    // two moves right are likely under "coin 2" (right) only: the belief concentrates there
    const belief = /^belief about player 1's coin after 2 moves right: \[([\d.]+),([\d.]+),([\d.]+)\]$/.exec(lines[1]);
    expect(belief, lines[1]).not.toBeNull();
    expect(Number(belief![3])).toBeGreaterThan(0.9);
    // coin 0 is next to player 0: the greedy decision takes it
    expect(lines[2]).toBe('player 0 at (0, 0) plans move 3 (right, coin 0 is to its right)');
  });
});
