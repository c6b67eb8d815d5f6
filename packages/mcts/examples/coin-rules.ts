import { createGameSimulator } from '@hop/core/base';

// A 2-player coin game on a 5x5 grid: moves 0 up, 1 down, 2 left, 3 right (no "stay"), 3 coins. Stepping
// onto a coin collects it (reward 1, split when both arrive together); the coins are the co-players' goals.
export const N = 5;
export const MOVES = [[-1, 0], [1, 0], [0, -1], [0, 1]];
export const moved = (cell: number, a: number) => {
  const r = Math.floor(cell / N) + MOVES[a][0], c = (cell % N) + MOVES[a][1];
  return r >= 0 && r < N && c >= 0 && c < N ? r * N + c : -1;
};
export const sim = createGameSimulator({
  numAgents: 2,
  numActions: 4,
  state: { pos: 2, coin: 3 },              // int32 fields: each player's cell, each coin's cell (-1 = taken)
  observationShape: [13],                  // [my row, col, other's row, col, then per coin: row, col, present]
  maxSteps: 20,
  reset(s, rng) {
    const cells = rng.permutation(N * N);  // 5 distinct cells: 2 players, 3 coins
    s.pos.set(cells.subarray(0, 2));
    s.coin.set(cells.subarray(2, 5));
  },
  step(s, actions, rewards) {
    for (let i = 0; i < 2; i++) s.pos[i] = moved(s.pos[i], actions[i]);
    for (let g = 0; g < 3; g++) {
      const on = [0, 1].filter((i) => s.coin[g] >= 0 && s.pos[i] === s.coin[g]);
      for (const i of on) rewards[i] += 1 / on.length;
      if (on.length) s.coin[g] = -1;
    }
  },
  legalActions: (s, i, mask) => mask.forEach((_, a) => (mask[a] = +(moved(s.pos[i], a) >= 0))),
  observe(s, i, out) {
    const at = (k: number, cell: number) => {
      out[k] = Math.floor(cell / N);
      out[k + 1] = cell % N;
    };
    at(0, s.pos[i]);
    at(2, s.pos[1 - i]);
    for (let g = 0; g < 3; g++) {
      if (s.coin[g] < 0) continue;
      at(4 + 3 * g, s.coin[g]);
      out[6 + 3 * g] = 1;
    }
  },
  terminal: (s) => s.coin.every((c) => c < 0),
  goals: { count: 3, available: (s, out) => out.forEach((_, g) => (out[g] = +(s.coin[g] >= 0))) },
});
