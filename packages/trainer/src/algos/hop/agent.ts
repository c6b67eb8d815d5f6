import { join } from 'node:path';
import { HopError, deriveSeed, loadCheckpoint, type BatchedSimulator } from '@hop/core';
import { createStagHuntSimulator, type StagHuntSimulator } from '@hop/env-staghunt';
import type { MctsConfigInput, SearchOutput } from '@hop/mcts';
import type { MOAModel, PairRegistry } from '@hop/moa';
import { TRAIN_RENAMES, renameKeys } from '../../config/renames';
import { openPlanning, recordedPlanning } from '../../planning/open';
import type { PlanningSetup } from '../../planning/setup';
import { checkpointIterations } from '../../run/checkpoints';
import { RunDir } from '../../run/layout';
import { discreteGoals, type GoalSetup } from '../../team/goals';
import { buildPolicy } from '../../team/models';
import type { BeliefMode } from '../../beliefs/co-player-beliefs';
import { HopTeam, type RootEncoder, type SearchCoPlayerModel } from '../../team/team';
import { loadPairs, readSelfPlayState, SELFPLAY_POLICY_KIND } from './checkpoint';
import type { SelfPlayConfig } from './settings';
import { beliefArgmaxGoals, encodeCoGoals, evaluateWithGoals } from '../../team/focal-goals';

export interface HopAgentOptions {
  /** The player this agent controls. */
  focal: number;
  /** The true game (observations, legal actions, goal availability of real states). */
  game: StagHuntSimulator;
  policy: MOAModel;
  registry: PairRegistry;
  goals: GoalSetup;
  /**
   * `greedy`: the most valuable action (ties broken at random) — for evaluation; `sample`: a draw from
   * `softmax(beta * Q)` — what self-play trains on. No default: say which one you mean.
   */
  decisions: 'greedy' | 'sample';
  /** Planner settings (the defaults of docs/search.md otherwise: 5 trees x 200 simulations, c 1, beta 2, gamma 0.95). */
  planner?: MctsConfigInput;
  /** Seed of the agent's decisions: same seed, same play. */
  seed: number;
  /** What the planner searches in (default: the game itself). */
  planning?: BatchedSimulator;
  roots?: RootEncoder;
  priorAlpha?: number;
  /** Diagnosis variants (`hop eval --variants`); default: HOP as trained. */
  variant?: AgentVariant;
  /** Called by `dispose` (e.g. to free a world model). */
  onDispose?: () => void;
}

/**
 * How a HOP agent departs from what it was trained as, to find where adaptation is lost: `beliefs`
 * (`uniform`: no inference; `oracle`: the true goals set with `team.beliefs.setOracle`), `coPlayerModel`
 * (replaces the co-player model inside the tree) and `noSearch` (act by the policy prior's argmax).
 */
export interface AgentVariant {
  beliefs?: BeliefMode;
  coPlayerModel?: (model: SearchCoPlayerModel) => SearchCoPlayerModel;
  noSearch?: boolean;
}

/**
 * A HOP planning agent for one player, for your own game loop: keeps its goal beliefs about every
 * co-player (intra-episode from their actions, inter-episode prior from what they went for), samples goal
 * orderings from them and plans with MCTS over the game with its policy / value network and per-pair
 * co-player models. Give it the state it must act in; tell it what everybody did.
 *
 * `HopAgent.fromRun(dir, ...)` loads a `hop train` run's newest checkpoint.
 */
export class HopAgent {
  readonly focal: number;
  readonly team: HopTeam;
  readonly game: StagHuntSimulator;
  private readonly cur: Int32Array;
  private readonly prev: Int32Array;
  private readonly done: Uint8Array;
  private readonly seed: number;
  private readonly onDispose?: () => void;
  private readonly noSearch: boolean;
  private readonly owned: { policy: MOAModel; registry: PairRegistry } | null;
  private episode = 0;
  private hasPrev = false;
  /** The last search's full output (Q, visits, policy target, timing). */
  lastSearch: SearchOutput | null = null;

  constructor(opts: HopAgentOptions, owned: { policy: MOAModel; registry: PairRegistry } | null = null) {
    const P = opts.game.numAgents;
    if (!(Number.isInteger(opts.focal) && opts.focal >= 0 && opts.focal < P))
      throw new HopError('E_CONFIG', `focal player ${opts.focal} is not one of the game's players 0..${P - 1}`);
    if (opts.decisions !== 'greedy' && opts.decisions !== 'sample')
      throw new HopError('E_CONFIG', `decisions must be 'greedy' (evaluation) or 'sample' (training), got ${String(opts.decisions)}`);
    this.focal = opts.focal;
    this.game = opts.game;
    this.seed = opts.seed;
    this.onDispose = opts.onDispose;
    this.noSearch = opts.variant?.noSearch ?? false;
    this.owned = owned;
    this.team = new HopTeam({
      game: opts.game,
      planning: opts.planning,
      roots: opts.roots,
      policy: opts.policy,
      registry: opts.registry,
      goals: opts.goals,
      planner: { ...opts.planner, greedy: opts.decisions === 'greedy' },
      numEnvs: 1,
      priorAlpha: opts.priorAlpha,
      beliefs: opts.variant?.beliefs,
      coPlayerModel: opts.variant?.coPlayerModel,
    });
    this.cur = new Int32Array(opts.game.stateWords);
    this.prev = new Int32Array(opts.game.stateWords);
    this.done = new Uint8Array(P);
  }

  /**
   * Loads the newest checkpoint of a `hop train` run. The planner settings default to the run's; its
   * decisions mode must be given.
   */
  static async fromRun(
    runDir: string,
    opts: { focal: number; decisions: 'greedy' | 'sample'; seed?: number; planner?: MctsConfigInput; variant?: AgentVariant; priorAlpha?: number },
  ): Promise<HopAgent> {
    const run = new RunDir(runDir);
    const file = run.readConfig<Record<string, unknown>>();
    if (file.command !== 'train') throw new HopError('E_RUN', `${run.root} is a '${file.command}' run; HopAgent.fromRun needs a \`hop train\` run`);
    const its = checkpointIterations(run.checkpointsDir);
    if (its.length === 0) throw new HopError('E_RUN', `${run.root} has no complete checkpoint yet (checkpoints/iter-N/state.json)`);
    const dir = join(run.checkpointsDir, `iter-${its[0]}`);
    const state = readSelfPlayState(dir);
    // Runs saved before the renames (treeNum, simulations) read the same.
    const config = renameKeys(file.config, TRAIN_RENAMES).values as SelfPlayConfig & Record<string, unknown>;
    const game = createStagHuntSimulator(config.env);
    // Where the run's planner searched is recorded in it: no need to know which algorithm made it.
    const planning: PlanningSetup = await openPlanning(recordedPlanning(file.inputs), game);
    const policy = buildPolicy(config, game);
    let registry: PairRegistry | null = null;
    try {
      await loadCheckpoint(join(dir, 'policy'), { kind: SELFPLAY_POLICY_KIND, models: { policy: policy.net } });
      registry = await loadPairs(dir);
      const goals: GoalSetup =
        state.goals && state.goals.mode !== 'discrete'
          ? {
              mode: state.goals.mode,
              numGoals: state.goals.numGoals,
              goalDim: state.goals.goalDim,
              goalVectors: Float32Array.from(state.goals.vectors),
              ...(state.goals.mode === 'target' ? { gridShape: state.goals.gridShape ?? [...game.observationShape] } : {}),
            }
          : discreteGoals(registry.generic.goalDim, game.numGoals, `the co-player models of ${run.root}`);
      return new HopAgent(
        {
          focal: opts.focal,
          game,
          policy,
          registry,
          goals,
          decisions: opts.decisions,
          seed: opts.seed ?? 0,
          planner: { numSimulations: config.numSimulations, numTrees: config.numTrees, cPuct: config.cPuct, beta: config.beta, gamma: config.gamma, ...opts.planner },
          planning: planning.planning,
          roots: planning.roots,
          priorAlpha: opts.priorAlpha ?? config.priorAlpha,
          variant: opts.variant,
          onDispose: () => planning.dispose(),
        },
        { policy, registry },
      );
    } catch (e) {
      planning.dispose();
      policy.dispose();
      if (registry) {
        registry.dispose();
        registry.generic.dispose();
      }
      throw e;
    }
  }

  /** A new episode starts in `states[slot]`: intra-episode beliefs back to uniform over the goals still possible. */
  startEpisode(states: Int32Array, slot: number): void {
    this.copyIn(states, slot, this.cur);
    this.team.startEpisode(this.cur, 0);
    this.hasPrev = false;
    this.episode++;
  }

  /** Plans from `states[slot]` and returns the action to play. */
  async act(states: Int32Array, slot: number): Promise<number> {
    this.copyIn(states, slot, this.cur);
    if (this.noSearch) {
      this.prev.set(this.cur);
      this.hasPrev = true;
      return this.priorArgmax();
    }
    const out = await this.team.plan(this.cur, Int32Array.of(0), Int32Array.of(this.focal), [deriveSeed(this.seed, this.episode, this.timeOf())], 1);
    this.lastSearch = out;
    this.prev.set(this.cur);
    this.hasPrev = true;
    return out.action[0];
  }

  /**
   * After the step: `states[slot]` is the new state and `actions[p]` what every player did in the state the
   * agent last acted in. Updates the beliefs about the co-players that were in play.
   */
  async observe(states: Int32Array, slot: number, actions: ArrayLike<number>): Promise<void> {
    if (!this.hasPrev) throw new HopError('E_STATE', 'HopAgent.observe: call act() for the state the actions were taken in first');
    const P = this.game.numAgents;
    if (actions.length < P) throw new HopError('E_SHAPE', `actions has ${actions.length} entries, the game has ${P} players`);
    this.copyIn(states, slot, this.cur);
    this.game.agentDone({ states: this.prev, slots: Int32Array.of(0), count: 1 }, this.done);
    const acted = Uint8Array.from(this.done, (d) => (d ? 0 : 1));
    await this.team.observe(this.prev, this.cur, Int32Array.of(0), 1, Int32Array.from(actions), acted);
  }

  /** End of the episode: `achieved[p]` is the goal player p achieved (0 stag, 1 hare, -1 none); folds it into the prior. */
  endEpisode(achieved: ArrayLike<number>): void {
    if (achieved.length < this.game.numAgents)
      throw new HopError('E_SHAPE', `achieved has ${achieved.length} entries, the game has ${this.game.numAgents} players`);
    this.team.endEpisode(0, achieved, null);
    this.team.foldPriors(this.priorRows(achieved));
  }

  /** `[P-1, G]` the agent's current belief about its co-players' goals (co-players in increasing player order). */
  belief(): Float32Array {
    return this.team.belief(this.focal, 0);
  }

  /** Frees the inference engines (and, for `fromRun` agents, the networks and any world model). */
  async dispose(): Promise<void> {
    await this.team.engines.dispose();
    if (this.owned) {
      this.owned.registry.dispose();
      this.owned.registry.generic.dispose();
      this.owned.policy.dispose();
    }
    this.onDispose?.();
  }

  private priorRows(achieved: ArrayLike<number>): Int32Array {
    // Only this agent's own prior learns (the team keeps one per player).
    const P = this.game.numAgents;
    const rows = new Int32Array(P * (P - 1)).fill(-1);
    for (let m = 0; m < P - 1; m++) rows[this.focal * (P - 1) + m] = achieved[m < this.focal ? m : m + 1];
    return rows;
  }

  /** The legal action the policy prior rates highest in the current state (lowest index on ties). */
  async priorArgmax(): Promise<number> {
    const P = this.game.numAgents;
    const A = this.game.numActions;
    const O = this.game.observationSize;
    const view = { states: this.cur, slots: Int32Array.of(0), count: 1 };
    const obs = new Float32Array(P * O);
    const legal = new Uint8Array(P * A);
    this.game.observe(view, obs);
    this.game.legalActions(view, legal);
    await this.team.syncEngines();
    const input = {
      batch: 1,
      observations: obs.subarray(this.focal * O, (this.focal + 1) * O),
      masks: legal.subarray(this.focal * A, (this.focal + 1) * A),
      times: Float32Array.of(this.timeOf()),
    };
    const policy = this.team.policy;
    // a goal-conditioned prior (--focal-goals co-player) outside a tree: each co-player's most believed goal
    const G = this.game.numGoals;
    const out =
      policy.goalDim > 0
        ? evaluateWithGoals(policy, input, encodeCoGoals(beliefArgmaxGoals(this.team.belief(this.focal, 0), this.focal, P, G), 1, P, G))
        : await this.team.engines.of(policy).evaluator(input);
    let best = -1;
    for (let a = 0; a < A; a++) if (legal[this.focal * A + a] && (best < 0 || out.logits[a] > out.logits[best])) best = a;
    return Math.max(best, 0);
  }

  private timeOf(): number {
    const t = new Float32Array(1);
    this.game.time({ states: this.cur, slots: Int32Array.of(0), count: 1 }, t);
    return t[0];
  }

  private copyIn(states: Int32Array, slot: number, into: Int32Array): void {
    const W = this.game.stateWords;
    if (!(Number.isInteger(slot) && slot >= 0 && (slot + 1) * W <= states.length))
      throw new HopError('E_RANGE', `slot ${slot} is outside the state arena (${Math.floor(states.length / W)} states of ${W} words)`);
    into.set(states.subarray(slot * W, (slot + 1) * W));
  }
}
