import { z } from 'zod';
import { TrainRunShape as T } from '../../config/train-shape';
import { tensorboard } from '../../config/schemas';

const int = (min: number) => z.number().int().min(min);

/**
 * The settings every self-play algorithm shares (CleanRL's `Args`: every default visible). Each algorithm's
 * folder extends this record with its own keys; `hop train --help` lists them all.
 */
export const SelfPlayConfigShape = {
  budget: z.enum(['none', 'quick', 'msh-2h']).default('none').describe('Budget preset: quick (~15 min) or msh-2h (~2 h on 2 cores); the config file and flags override it (was --preset)'),
  env: T.env,
  seed: T.seed,
  out: T.out,
  pretrained: z.string().min(1).optional().describe('Pretraining run (hop pretrain) whose MOA starts the co-player models; else from scratch'),
  warmStart: z.string().min(1).optional().describe('Dataset (hop collect) to fit the policy prior (cloning) and value head (returns) before self-play'),
  warmStartEpochs: int(1).default(3).describe('Passes over the warm-start rows'),
  warmStartSamples: int(1).default(50_000).describe('Warm-start rows drawn from the dataset (at most)'),
  iterations: int(1).default(100).describe('Self-play iterations (rollout + updates)'),
  numEnvs: int(1).default(16).describe('Environments played in lock-step per iteration (all workers together)'),
  episodesPerEnv: int(1).default(1).describe('Complete episodes each environment plays per iteration'),
  workers: int(1).default(1).describe('Worker threads for rollouts (each owns a slice of the environments); same results for any count'),
  numTrees: int(1).default(5).describe('MCTS trees per decision (each with its own sampled goal orderings; was --tree-num)'),
  numSimulations: int(2).default(200).describe('Simulations per tree (was --simulations)'),
  cPuct: z.number().min(0).default(1).describe('PUCT exploration constant c'),
  beta: z.number().min(0).default(2).describe('Decision softmax(beta * Q) temperature'),
  gamma: z.number().min(0).max(1).default(0.95).describe('Discount of planning and of the value targets'),
  lr: z.number().positive().default(5e-4).describe('Adam learning rate of the policy / value network'),
  sgdPasses: int(1).default(15).describe('Passes over each rollout in the policy / value update'),
  minibatch: int(1).default(1024).describe('Minibatch of the policy / value update'),
  gradClipNorm: z.number().positive().default(1).describe('Global gradient-norm clip of the policy / value update'),
  policyFilters: z.array(z.number().int().positive()).min(1).default([16, 32, 32]).describe('Policy / value net conv filters (comma list)'),
  policyHidden: int(1).default(512).describe('Policy / value net fully connected width'),
  moaFilters: z.array(z.number().int().positive()).min(1).default([16, 32, 32]).describe('Co-player model conv filters without --pretrained (comma list)'),
  moaHidden: int(1).default(512).describe('Co-player model width without --pretrained'),
  onlineMoa: z.boolean().default(true).describe('Train the per-pair co-player models online from what the co-players do'),
  moaCapacity: int(1).default(1000).describe('Online MOA: train a pair model when its buffer holds this many steps'),
  moaEpochs: int(1).default(15).describe('Online MOA: epochs per training round'),
  moaMinibatch: int(1).default(512).describe('Online MOA: minibatch'),
  moaLr: z.number().positive().default(5e-4).describe('Online MOA: Adam learning rate'),
  moaAnchor: z
    .number()
    .min(0)
    .default(0)
    .describe(
      'Online MOA: L2 penalty toward the pretrained co-player models (moaAnchor x the sum of squared weight changes of each pair model), so online training keeps how the pretrained goal input decides the moves; needs --pretrained; kept in the checkpoints, also applied when hop eval trains the models online. 0 = off',
    ),
  priorAlpha: z.number().min(0).max(1).default(0.995).describe('Inter-episode goal prior discount'),
  focalGoals: z
    .enum(['off', 'co-player'])
    .default('off')
    .describe(
      "Focal policy / value input: 'off' = observation only; 'co-player' = also each co-player's goal (one-hot; inside tree k the goals tree k sampled, in training the hindsight goals). Not with --algo direct-om (no goals)",
    ),
  coPlayerMix: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      'Fraction of training environments (drawn per env and episode) whose players 1..P-1 are goal-committed rule agents (TRAINING_CO_PLAYERS, never an evaluation type), each given stag or hare per episode (all-hare, all-stag and mixed teams); player 0 stays the learner. 0 = pure self-play',
    ),
  coPlayerMixUntil: z
    .number()
    .int()
    .min(1, 'an iteration number is 1 or more')
    .optional()
    .describe(
      'With --co-player-mix: the last iteration that draws rule co-players; later iterations are pure self-play (every player a planner), so the mix shapes the start of training and self-play its end. Default: every iteration',
    ),
  coPlayerWeight: z
    .number()
    .positive('a loss weight must be > 0')
    .default(1)
    .describe(
      'With --co-player-mix (< 1): policy / value loss weight of the learner rows of environments played with rule co-players (weighted minibatch means); the number of players P gives such an environment (1 learner) the say of a self-play one (P learners). 1 = plain means',
    ),
  coPlayerValueRows: z
    .boolean()
    .default(false)
    .describe(
      "With --co-player-mix: the rule co-players' steps also train the value head (their discounted returns, from their own view, with their co-players' goals as input); the policy head still trains on planner decisions only. They show the value what a walk to a far prey is worth, which the search alone does not reach",
    ),
  focalGoalLabels: z
    .enum(['hindsight', 'committed'])
    .default('hindsight')
    .describe(
      "With --focal-goals co-player and --co-player-mix: the co-player goals the focal network trains on. 'hindsight' = the goal each achieved next (a partner labelled stag is one that caught a stag); 'committed' = a rule co-player's committed goal while a prey of that kind is left, achieved or not (planners and the warm start keep hindsight)",
    ),
  loneContinuation: z
    .number()
    .min(0, 'a probability must be between 0 and 1')
    .max(1, 'a probability must be between 0 and 1')
    .default(0)
    .describe(
      "Training rollouts only: probability (per env and episode) that a planner left alone in play (every other player done) plays the rest of that episode by the hare rule, its moves the policy targets and its returns the value targets of those steps. Aimed at the lone focal that never walks to a far hare by itself (measured in the README: it raised the stag cells, not that one). Evaluation never uses it. 0 = off",
    ),
  loneStarts: z
    .number()
    .min(0, 'a probability must be between 0 and 1')
    .max(1, 'a probability must be between 0 and 1')
    .default(0)
    .describe(
      "Training rollouts only: probability (per env and episode) that an episode starts with one planner alone: the other players marked done (off the grid) from step 0, and 0 to hares-1 of the hares gone. The planner plays it by its own search and learns from it, so the value and prior learn the positions a focal is left in when fast hare hunters finish early. Left out of charts/* and mix/* (see lone/start_*). Evaluation never uses it. 0 = off",
    ),
  coPlayerEpsilon: z
    .number()
    .min(0, 'a probability must be between 0 and 1')
    .max(1, 'a probability must be between 0 and 1')
    .default(0.1)
    .describe('With --co-player-mix: probability that a goal-committed co-player takes a uniformly random valid action instead of its rule (0..1)'),
  evalEvery: int(0).default(5).describe('Greedy evaluation on held-out seeds every N iterations (0 = only at the end)'),
  evalEpisodes: T.evalEpisodes,
  finalEvalEpisodes: T.finalEvalEpisodes,
  evalEnvs: T.evalEnvs,
  replayEvery: int(0).default(10).describe('Write a replay page of an evaluation episode every N iterations (0 = off)'),
  checkpointEvery: T.checkpointEvery,
  progress: T.progress,
  tensorboard,
} as const;

export const SelfPlayConfigSchema = z.strictObject(SelfPlayConfigShape);
export type SelfPlayConfig = z.infer<typeof SelfPlayConfigSchema>;

/** The budget presets: a layer under the config file and flags. */
export const BUDGET_PRESETS: Record<string, Record<string, unknown>> = {
  none: {},
  // Measured: planning depth is what turns a cloned prior into stag hunts (2 trees x 100 simulations with
  // beta 10 scored 2.89 greedy after a warm start that alone scored 1.25), so the presets buy simulations
  // and a sharp decision temperature rather than trees.
  quick: {
    iterations: 8,
    numEnvs: 16,
    workers: 2,
    numTrees: 2,
    numSimulations: 64,
    beta: 10,
    sgdPasses: 4,
    minibatch: 256,
    moaEpochs: 2,
    evalEvery: 4,
    evalEpisodes: 32,
    replayEvery: 4,
    warmStartEpochs: 6,
    warmStartSamples: 20_000,
    policyFilters: [16, 32],
    policyHidden: 128,
  },
  // Measured (README, seed 1): 4.42 on 200 held-out episodes after 80 iterations, 4,654 CPU-s in all (at least
  // 39 min on 2 cores, 1 h 31 min beside another run); the evaluations at 40-70 were already 4.0-4.2.
  'msh-2h': {
    iterations: 80,
    numEnvs: 16,
    workers: 2,
    numTrees: 2,
    numSimulations: 128,
    beta: 10,
    sgdPasses: 4,
    minibatch: 512,
    moaEpochs: 3,
    evalEvery: 10,
    evalEpisodes: 48,
    finalEvalEpisodes: 200,
    evalEnvs: 25,
    replayEvery: 20,
    warmStartEpochs: 8,
    warmStartSamples: 50_000,
  },
};
