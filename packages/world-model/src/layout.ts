import { z } from 'zod';
import { HopError } from '@hop/core';

/**
 * The rule parameters a world model records with its layout: the episode end the planning adapter counts
 * (`endAfterFirstCatch`) and the rewards the validation figures read off one view (`observerRuleReward`).
 * The adapter's own rewards come from the game's rule it is handed (`CatchRewards`, for the stag hunt
 * `stagHuntRewards` of @hop/env-staghunt), not from these numbers. What they say:
 * a group of players that catches prey `k` on one cell splits `preyRewards[k]` (in proportion to
 * `strength[player]` when `strength` is set and `strengthPrey[k]` is true or `strengthPrey` null, else
 * equally); every acting player gets `stepReward` each step; with
 * `prosocial` every acting player receives the sum of the step's rewards divided by the number of players;
 * with `endAfterFirstCatch = n` the episode ends `n` steps after the step of the first catch.
 */
export const rewardRulesSchema = z.object({
  preyRewards: z.array(z.number().finite()),
  strength: z.array(z.number().finite().positive()).nullable().default(null),
  /** Per prey: whether `strength` splits its reward (the stag hunt: the stag yes, a hare equally); null: every prey. */
  strengthPrey: z.array(z.boolean()).nullable().default(null),
  stepReward: z.number().finite().default(0),
  prosocial: z.boolean().default(false),
  endAfterFirstCatch: z.number().int().min(0).nullable().default(null),
});
export type RewardRules = z.infer<typeof rewardRulesSchema>;

/**
 * What the world model knows about the grid game, without importing it: the grid size, which channels of
 * an observation hold players / static cells / prey, and what the actions do. The model predicts grids in
 * this layout and the planning adapter decodes and renders states with it.
 *
 * Observations are observer-centred: `playerChannels[0]` is the observer's own channel, `playerChannels[m]`
 * is player `(observer + m) % players`; joint actions in the data are rotated the same way.
 */
export const gridLayoutSchema = z
  .object({
    height: z.number().int().min(1),
    width: z.number().int().min(1),
    players: z.number().int().min(1),
    /** Channels per cell (channels-last grid). */
    channels: z.number().int().min(1),
    numActions: z.number().int().min(1),
    /** Flat observations in datasets are `[mask(maskSize), grid...]`: entries before the grid. */
    maskSize: z.number().int().min(0),
    /** Channel of player `m` in an observer-centred view (observer first). */
    playerChannels: z.array(z.number().int().min(0)),
    /** Channels that never change during an episode (obstacles): copied, never predicted. */
    staticChannels: z.array(z.number().int().min(0)),
    /** Channels of prey: cells can only be emptied, never filled. */
    preyChannels: z.array(z.number().int().min(0)),
    /** `huntActions[k]` hunts the prey of `preyChannels[k]`: valid only on such a cell. */
    huntActions: z.array(z.number().int().min(0)),
    /** Movement actions: `{ action, dr, dc }`; invalid off the grid or into a static cell. */
    moves: z.array(z.object({ action: z.number().int().min(0), dr: z.number().int(), dc: z.number().int() })),
    /** Always valid; the action of done players. */
    stayAction: z.number().int().min(0),
    /** Names of the channels for pictures (default: derived from the roles). */
    channelNames: z.array(z.string()).optional(),
    /** Rewards and ends from the hunt outcome (default: each prey worth 1, equal split, nothing else). */
    rules: rewardRulesSchema.optional(),
  })
  .superRefine((l, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (l.playerChannels.length !== l.players)
      issue(`playerChannels has ${l.playerChannels.length} entries for ${l.players} players`);
    if (l.huntActions.length !== l.preyChannels.length)
      issue(`huntActions (${l.huntActions.length}) must pair with preyChannels (${l.preyChannels.length})`);
    const all = [...l.playerChannels, ...l.staticChannels, ...l.preyChannels];
    if (new Set(all).size !== all.length) issue('a channel is listed twice among player/static/prey channels');
    if (all.some((c) => c >= l.channels)) issue(`a channel index is >= channels (${l.channels})`);
    const acts = [...l.moves.map((m) => m.action), ...l.huntActions, l.stayAction];
    if (acts.some((a) => a >= l.numActions)) issue(`an action index is >= numActions (${l.numActions})`);
    if (new Set(acts).size !== acts.length) issue('an action is listed twice among moves/hunts/stay');
    if (l.channelNames && l.channelNames.length !== l.channels)
      issue(`channelNames has ${l.channelNames.length} entries for ${l.channels} channels`);
    if (l.moves.some((m) => Math.abs(m.dr) + Math.abs(m.dc) !== 1))
      issue('moves must be single steps to a 4-neighbour (|dr| + |dc| = 1)');
    if (l.rules && l.rules.preyRewards.length !== l.preyChannels.length)
      issue(`rules.preyRewards has ${l.rules.preyRewards.length} entries for ${l.preyChannels.length} prey channels`);
    if (l.rules?.strength && l.rules.strength.length !== l.players)
      issue(`rules.strength has ${l.rules.strength.length} entries for ${l.players} players`);
    if (l.rules?.strengthPrey && l.rules.strengthPrey.length !== l.preyChannels.length)
      issue(`rules.strengthPrey has ${l.rules.strengthPrey.length} entries for ${l.preyChannels.length} prey channels`);
  });

export type GridLayout = z.infer<typeof gridLayoutSchema>;

/** Validates a layout, turning zod issues into one HopError. */
export function parseGridLayout(input: unknown): GridLayout {
  const r = gridLayoutSchema.safeParse(input);
  if (!r.success)
    throw new HopError('E_LAYOUT', `invalid grid layout: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}

/** Actions 0-3 move up, down, left, right (the stag hunt's, and the usual grid-world order). */
export const FOUR_MOVES: GridLayout['moves'] = [
  { action: 0, dr: -1, dc: 0 },
  { action: 1, dr: 1, dc: 0 },
  { action: 2, dr: 0, dc: -1 },
  { action: 3, dr: 0, dc: 1 },
];

/** The stag hunt's rule parameters the world model reads (a subset of @hop/env-staghunt's config). */
export interface StagHuntRuleInput {
  stagReward?: number;
  hareReward?: number;
  timeReward?: number;
  playerStrength?: number[] | null;
  prosocial?: boolean;
  dynamicFinalTime?: boolean;
  finalTimeAfterFirstHunt?: number;
}

/** The reward rules of a stag-hunt config (docs/rules.md; defaults of preset hop-msh). */
export function stagHuntRules(c: StagHuntRuleInput = {}): RewardRules {
  return rewardRulesSchema.parse({
    preyRewards: [c.stagReward ?? 10, c.hareReward ?? 1],
    strength: c.playerStrength ?? null,
    // @hop/env-staghunt splits a stag by playerStrength but a hare equally among its hunters; without
    // strengths there is nothing to say (and world models saved before this field keep matching)
    strengthPrey: c.playerStrength ? [true, false] : null,
    stepReward: c.timeReward ?? 0,
    prosocial: c.prosocial ?? false,
    endAfterFirstCatch: c.dynamicFinalTime ? (c.finalTimeAfterFirstHunt ?? 5) : null,
  });
}

/** The rules of a layout: its own, else each prey worth 1 split equally. */
export function rulesOf(l: GridLayout): RewardRules {
  return l.rules ?? rewardRulesSchema.parse({ preyRewards: l.preyChannels.map(() => 1) });
}

/**
 * The Markov stag-hunt layout (docs/rules.md): channels `[players..., obstacle, stag, hare]`, actions
 * up/down/left/right/stay/hunt-stag/hunt-hare, observations `[mask(7), grid]`, and the reward rules of
 * `rules` (a stag-hunt config; default hop-msh's: stag 10, hare 1, equal split).
 */
export function stagHuntLayout(o: { height: number; width: number; players: number; rules?: StagHuntRuleInput }): GridLayout {
  const p = o.players;
  return parseGridLayout({
    height: o.height,
    width: o.width,
    players: p,
    channels: p + 3,
    numActions: 7,
    maskSize: 7,
    playerChannels: Array.from({ length: p }, (_, i) => i),
    staticChannels: [p],
    preyChannels: [p + 1, p + 2],
    huntActions: [5, 6],
    moves: FOUR_MOVES,
    stayAction: 4,
    channelNames: [...Array.from({ length: p }, (_, m) => (m === 0 ? 'self' : `player+${m}`)), 'obstacle', 'stag', 'hare'],
    rules: stagHuntRules(o.rules),
  });
}

/** Display names of the channels. */
export function channelNamesOf(l: GridLayout): string[] {
  if (l.channelNames) return l.channelNames;
  return Array.from({ length: l.channels }, (_, c) => {
    const m = l.playerChannels.indexOf(c);
    if (m >= 0) return m === 0 ? 'self' : `player+${m}`;
    const s = l.staticChannels.indexOf(c);
    if (s >= 0) return `static ${s}`;
    const k = l.preyChannels.indexOf(c);
    return k >= 0 ? `prey ${k}` : `channel ${c}`;
  });
}

/** Cells per grid. */
export const cellsOf = (l: GridLayout): number => l.height * l.width;
/** Floats per grid (`H * W * C`). */
export const gridSizeOf = (l: GridLayout): number => l.height * l.width * l.channels;

/**
 * Channels the network predicts (players and prey, plus any channel not named static): everything but the
 * static channels.
 */
export function dynamicChannels(l: GridLayout): number[] {
  const stat = new Set(l.staticChannels);
  return Array.from({ length: l.channels }, (_, c) => c).filter((c) => !stat.has(c));
}

/** Default per-channel loss weights: 2 for player channels, 1 elsewhere (the original work's `[2,2,2,2,1,1,1]`). */
export function defaultChannelWeights(l: GridLayout): number[] {
  const players = new Set(l.playerChannels);
  return Array.from({ length: l.channels }, (_, c) => (players.has(c) ? 2 : 1));
}
