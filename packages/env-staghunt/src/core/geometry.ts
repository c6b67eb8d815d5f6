import type { StagHuntConfig } from '../config';

/**
 * Everything about a config that the rules need in their hot loops, computed once: the layout of a state
 * record inside the int32 arena, a neighbour table and the reward parameters as plain numbers.
 *
 * State record (`stateWords` int32 words, one per slot of an arena):
 * `[time, endTime, firstHuntTime, pos[players], stag[stags], hare[hares], obstacleBits[ceil(cells/32)]]`.
 * A position is a cell index `row * width + col`, or -1 once the player is done; a prey word is its cell or -1
 * once caught. `endTime` starts at `finalTime` and moves earlier with `dynamicFinalTime`.
 */
export interface Geometry {
  readonly players: number;
  readonly height: number;
  readonly width: number;
  readonly cells: number;
  /** Grid channels: players + 3. */
  readonly channels: number;
  readonly gridSize: number;
  readonly flatSize: number;
  readonly stags: number;
  readonly hares: number;
  readonly obstacleWords: number;
  readonly stateWords: number;
  // word offsets inside a state record
  readonly T: number;
  readonly END: number;
  readonly FIRST: number;
  readonly POS: number;
  readonly STAG: number;
  readonly HARE: number;
  readonly OBST: number;
  /** `[cells * 4]`: neighbour of a cell for up, down, left, right; -1 off the grid. */
  readonly nbr: Int32Array;
  // rules
  readonly finalTime: number;
  readonly dynamicFinalTime: boolean;
  readonly finalTimeAfterFirstHunt: number;
  readonly stagReward: number;
  readonly hareReward: number;
  readonly timeReward: number;
  readonly stagMinHunters: number;
  /** `[players]` stag split weights (all 1 for an equal split). */
  readonly strength: Float64Array;
  readonly prosocial: boolean;
  readonly strict: boolean;
  readonly maxObstacles: number;
}

export function makeGeometry(c: StagHuntConfig): Geometry {
  const cells = c.height * c.width;
  const channels = c.players + 3;
  const obstacleWords = Math.ceil(cells / 32);
  const T = 0;
  const END = 1;
  const FIRST = 2;
  const POS = 3;
  const STAG = POS + c.players;
  const HARE = STAG + c.stags;
  const OBST = HARE + c.hares;
  const nbr = neighbourTable(c.height, c.width);
  const strength = new Float64Array(c.players).fill(1);
  if (c.playerStrength) strength.set(c.playerStrength);
  return {
    players: c.players,
    height: c.height,
    width: c.width,
    cells,
    channels,
    gridSize: cells * channels,
    flatSize: 7 + cells * channels,
    stags: c.stags,
    hares: c.hares,
    obstacleWords,
    stateWords: OBST + obstacleWords,
    T,
    END,
    FIRST,
    POS,
    STAG,
    HARE,
    OBST,
    nbr,
    finalTime: c.finalTime,
    dynamicFinalTime: c.dynamicFinalTime,
    finalTimeAfterFirstHunt: c.finalTimeAfterFirstHunt,
    stagReward: c.stagReward,
    hareReward: c.hareReward,
    timeReward: c.timeReward,
    stagMinHunters: c.stagMinHunters,
    strength,
    prosocial: c.prosocial,
    strict: c.strict,
    maxObstacles: c.obstacles,
  };
}

/** 1 when `cell` holds an obstacle in the state at `base`. */
export function isObstacle(g: Geometry, st: Int32Array, base: number, cell: number): number {
  return (st[base + g.OBST + (cell >> 5)] >>> (cell & 31)) & 1;
}

/** `[cells * 4]`: the neighbour of each cell for up, down, left, right (action order), -1 off the grid. */
export function neighbourTable(height: number, width: number): Int32Array {
  const nbr = new Int32Array(height * width * 4);
  for (let r = 0; r < height; r++) {
    for (let col = 0; col < width; col++) {
      const i = r * width + col;
      nbr[i * 4 + 0] = r > 0 ? i - width : -1;
      nbr[i * 4 + 1] = r < height - 1 ? i + width : -1;
      nbr[i * 4 + 2] = col > 0 ? i - 1 : -1;
      nbr[i * 4 + 3] = col < width - 1 ? i + 1 : -1;
    }
  }
  return nbr;
}
