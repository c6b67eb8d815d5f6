import { z } from 'zod';
import { HopError } from '@hop/core/base';

/** Upper bounds keep distance tables (Uint16) and the hex player glyphs of the ASCII renderer valid. */
export const MAX_PLAYERS = 16;
export const MAX_SIDE = 64;
/** Largest obstacle component (lines of up to 3 cells, L-shapes of 3 cells): used by the feasibility check. */
export const MAX_OBSTACLE_COMPONENT_CELLS = 3;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

/**
 * Every rule parameter of the Markov Stag-Hunt in one record; the defaults are preset `hop-msh`.
 * See docs/rules.md.
 */
export const StagHuntConfigSchema = z
  .object({
    players: int(1, MAX_PLAYERS).default(4),
    height: int(1, MAX_SIDE).default(8),
    width: int(1, MAX_SIDE).default(8),
    stags: int(0).default(2),
    hares: int(0).default(4),
    /** Maximum number of random obstacle components (short lines / L-shapes); each episode draws 0..max. */
    obstacles: int(0).default(5),
    stagReward: z.number().finite().default(10),
    hareReward: z.number().finite().default(1),
    /** Added to every acting player's reward each step (usually <= 0). */
    timeReward: z.number().finite().default(0),
    finalTime: int(1, 100_000).default(35),
    /** End the episode `finalTimeAfterFirstHunt` steps after the first successful hunt. */
    dynamicFinalTime: z.boolean().default(false),
    finalTimeAfterFirstHunt: int(0, 100_000).default(5),
    stagMinHunters: int(1).default(2),
    /** Split of a stag's reward inside a hunting group; `null` = equal split. */
    playerStrength: z.array(z.number().finite().positive()).nullable().default(null),
    /** Every acting player receives the mean reward of all players. */
    prosocial: z.boolean().default(false),
    /** Throw on an invalid action instead of treating it as stay. */
    strict: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.stagMinHunters > c.players && c.stags > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['stagMinHunters'],
        message: `stagMinHunters (${c.stagMinHunters}) exceeds players (${c.players}): no stag could ever be caught`,
      });
    }
    if (c.playerStrength !== null && c.playerStrength.length !== c.players) {
      ctx.addIssue({
        code: 'custom',
        path: ['playerStrength'],
        message: `playerStrength has ${c.playerStrength.length} entries, expected one per player (${c.players})`,
      });
    }
    const cells = c.height * c.width;
    const worstObstacleCells = c.obstacles * MAX_OBSTACLE_COMPONENT_CELLS;
    const needed = c.stags + c.hares + c.players;
    if (needed > cells - worstObstacleCells) {
      ctx.addIssue({
        code: 'custom',
        path: [needed > cells ? 'stags' : 'obstacles'],
        message:
          `stags + hares + players = ${needed} distinct start cells do not fit in ${cells} cells ` +
          `minus up to ${worstObstacleCells} obstacle cells (obstacles=${c.obstacles} x ${MAX_OBSTACLE_COMPONENT_CELLS}); ` +
          'lower stags / hares / obstacles or enlarge the grid',
      });
    }
  });

/** A complete, validated configuration. */
export type StagHuntConfig = z.output<typeof StagHuntConfigSchema>;
/** What callers may pass: any subset, the rest from the defaults. */
export type StagHuntConfigInput = z.input<typeof StagHuntConfigSchema>;

export const presets = {
  /** The HOP paper's setting: 4 players, 8x8, 2 stags, 4 hares, up to 5 obstacle components, 35 steps. */
  'hop-msh': { players: 4, height: 8, width: 8, stags: 2, hares: 4, obstacles: 5, finalTime: 35 },
  /** One stag for four players: at most two can share it. */
  'msh-1stag': { players: 4, height: 8, width: 8, stags: 1, hares: 4, obstacles: 5, finalTime: 35 },
  /** Two players on 4x4 (grid channels C = 5): tiny enough for exhaustive tests. */
  'small-2p': { players: 2, height: 4, width: 4, stags: 1, hares: 2, obstacles: 1, finalTime: 20 },
} as const satisfies Record<string, StagHuntConfigInput>;

export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as PresetName[];

/**
 * Validates a config (or expands a preset name, optionally with overrides). Errors name the field:
 * `HopError('E_CONFIG', 'stag-hunt config: height: ...')`.
 */
export function resolveConfig(
  config: StagHuntConfigInput | PresetName | StagHuntConfig = {},
  overrides: StagHuntConfigInput = {},
): StagHuntConfig {
  let base: StagHuntConfigInput;
  if (typeof config === 'string') {
    if (!(config in presets)) {
      throw new HopError('E_CONFIG', `unknown stag-hunt preset "${config}"; choose one of ${presetNames.join(', ')}`);
    }
    base = presets[config];
  } else {
    base = config;
  }
  const parsed = StagHuntConfigSchema.safeParse({ ...base, ...overrides });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new HopError('E_CONFIG', `invalid stag-hunt config: ${lines.join('; ')}`);
  }
  return parsed.data;
}

/** Grid channels: one per player, then obstacle, stag, hare. */
export function gridShape(config: StagHuntConfigInput | PresetName): [number, number, number] {
  const c = resolveConfig(config);
  return [c.height, c.width, c.players + 3];
}

/** The notes' flat observation `[mask(7), grid...]`. */
export function flatObservationSize(config: StagHuntConfigInput | PresetName): number {
  const [h, w, ch] = gridShape(config);
  return NUM_ACTIONS + h * w * ch;
}

/** Actions (docs/rules.md). */
export const Action = {
  Up: 0,
  Down: 1,
  Left: 2,
  Right: 3,
  Stay: 4,
  HuntStag: 5,
  HuntHare: 6,
} as const;
export const NUM_ACTIONS = 7;
export const ACTION_NAMES = ['up', 'down', 'left', 'right', 'stay', 'hunt-stag', 'hunt-hare'] as const;

/** Goals of the simulator contract and of the dataset's `goal` column. */
export const Goal = { Stag: 0, Hare: 1, None: -1 } as const;
