/**
 * A deliberately plain, object-based re-statement of the rules in docs/rules.md used only as a test oracle for the
 * typed-array rules: positions as {r, c}, prey as lists, no shared code with src/core.
 */
export interface RefConfig {
  players: number;
  height: number;
  width: number;
  stagReward: number;
  hareReward: number;
  timeReward: number;
  stagMinHunters: number;
  playerStrength: number[] | null;
  prosocial: boolean;
  dynamicFinalTime: boolean;
  finalTimeAfterFirstHunt: number;
}

export interface RefState {
  t: number;
  end: number;
  first: number;
  pos: (number | null)[]; // cell or null when done
  stags: number[];
  hares: number[];
  obstacles: Set<number>;
}

export function refValid(c: RefConfig, s: RefState, p: number, a: number): boolean {
  const cell = s.pos[p];
  if (cell === null) return a === 4;
  const r = Math.floor(cell / c.width);
  const col = cell % c.width;
  const moves: [number, number][] = [[-1, 0], [1, 0], [0, -1], [0, 1]];
  if (a >= 0 && a < 4) {
    const nr = r + moves[a][0];
    const nc = col + moves[a][1];
    return nr >= 0 && nr < c.height && nc >= 0 && nc < c.width && !s.obstacles.has(nr * c.width + nc);
  }
  if (a === 4) return true;
  if (a === 5) return s.stags.includes(cell);
  if (a === 6) return s.hares.includes(cell);
  return false;
}

export function refStep(c: RefConfig, s: RefState, actions: number[]): { rewards: number[]; terminal: boolean } {
  const live = s.pos.map((x) => x !== null);
  const act = actions.map((a, p) => (live[p] ? (refValid(c, s, p, a) ? a : 4) : -1));
  const raw = new Array<number>(c.players).fill(0);
  const hunted = new Array<boolean>(c.players).fill(false);
  const strength = (p: number) => (c.playerStrength ? c.playerStrength[p] : 1);
  let caught = false;
  for (const stag of [...s.stags]) {
    const group = act.flatMap((a, p) => (a === 5 && s.pos[p] === stag ? [p] : []));
    if (group.length >= c.stagMinHunters && group.length > 0) {
      const w = group.reduce((x, p) => x + strength(p), 0);
      for (const p of group) {
        raw[p] += (c.stagReward * strength(p)) / w;
        hunted[p] = true;
      }
      s.stags = s.stags.filter((x) => x !== stag);
      caught = true;
    }
  }
  for (const hare of [...s.hares]) {
    const group = act.flatMap((a, p) => (a === 6 && s.pos[p] === hare ? [p] : []));
    if (group.length > 0) {
      for (const p of group) {
        raw[p] += c.hareReward / group.length;
        hunted[p] = true;
      }
      s.hares = s.hares.filter((x) => x !== hare);
      caught = true;
    }
  }
  const deltas = [-c.width, c.width, -1, 1];
  for (let p = 0; p < c.players; p++) {
    if (!live[p]) continue;
    raw[p] += c.timeReward;
    if (hunted[p]) s.pos[p] = null;
    else if (act[p] < 4) s.pos[p] = (s.pos[p] as number) + deltas[act[p]];
  }
  if (caught && s.first < 0) {
    s.first = s.t;
    if (c.dynamicFinalTime) s.end = Math.min(s.end, s.t + 1 + c.finalTimeAfterFirstHunt);
  }
  s.t += 1;
  const mean = raw.reduce((a, b) => a + b, 0) / c.players;
  const rewards = raw.map((x, p) => (live[p] ? (c.prosocial ? mean : x) : 0));
  const terminal = s.t >= s.end || s.pos.every((x) => x === null);
  return { rewards, terminal };
}
