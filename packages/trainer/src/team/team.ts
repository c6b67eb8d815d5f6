import { HopError, Rng, deriveSeed, sampleGoalOrders, type BatchedSimulator } from '@hop/core';
import { HopPlanner, type MctsConfigInput, type SearchOutput } from '@hop/mcts';
import { pairCoPlayerModel, type MOAModel, type PairRegistry } from '@hop/moa';
import type { BeliefMode, CoPlayerBeliefs } from '../beliefs/co-player-beliefs';
import { CoPlayerInference } from '../beliefs/inference';
import { goalConditionedEvaluator } from './focal-goals';
import { ModelEngines } from './engines';
import type { GoalSetup } from './goals';
import { targetGoalModel } from './target-goals';

/**
 * Turns real game states into the planner's root states. Identity for the true simulator; a world model
 * encodes them into its own state format.
 */
export interface RootEncoder {
  /** Writes the root state of each decision into an arena of the planning simulator; returns it and the slots. */
  encode(states: Int32Array, envs: Int32Array, count: number): { states: Int32Array; slots: Int32Array };
}

export interface HopTeamOptions {
  /** The true game: observations, legal actions, goal availability of real states. */
  game: BatchedSimulator;
  /** What the planner searches in (the game itself, or a learned world model). */
  planning?: BatchedSimulator;
  roots?: RootEncoder;
  /**
   * Focal policy / value network, shared by every player of the team: goal-free, or goal-conditioned on the
   * co-players' goals (`focalGoalDim` wide; the planner then hands it each tree's goals).
   */
  policy: MOAModel;
  /** Co-player models `player_i_to_j`. */
  registry: PairRegistry;
  goals: GoalSetup;
  planner: MctsConfigInput;
  /** Number of environments (belief slots): contexts are (env, focal player). */
  numEnvs: number;
  /** Inter-episode prior discount (docs/models.md: 0.995). */
  priorAlpha?: number;
  /** Engines shared with another team over the same models (e.g. training and evaluation); default: its own. */
  engines?: ModelEngines;
  /** Where the beliefs come from (default `inferred`; the others are `hop eval` diagnosis rows). */
  beliefs?: BeliefMode;
  /**
   * Replaces the co-player model inside the tree (diagnosis `oracle-model`): given the model the team would
   * use, returns the one the planner calls.
   */
  coPlayerModel?: (model: SearchCoPlayerModel) => SearchCoPlayerModel;
}

/** The co-player model the planner calls (`HopPlannerOptions.coPlayerModel`). */
export type SearchCoPlayerModel = ReturnType<typeof pairCoPlayerModel>;

/** Per-episode goal-inference facts of one co-player, read at the end of an episode. */
export interface InferenceTally {
  /** Steps where the per-pair model's top action under the goal the co-player then achieved was its action. */
  top1Hits: Float64Array;
  top1Rows: Float64Array;
  /** Sum of the belief mass on the goal the co-player then achieved, and rows. */
  beliefMass: Float64Array;
  beliefRows: Float64Array;
  /** Sum of the total-variation distance between the model's goal-conditioned predictions (goal 0 vs 1). */
  sensitivity: Float64Array;
  sensitivityRows: Float64Array;
}

export function emptyTally(numAgents: number): InferenceTally {
  const z = () => new Float64Array(numAgents);
  return { top1Hits: z(), top1Rows: z(), beliefMass: z(), beliefRows: z(), sensitivity: z(), sensitivityRows: z() };
}

/**
 * HOP's decision making for every (environment, player) at once: per-context goal beliefs (a
 * `CoPlayerInference`: the inter-episode prior of each focal player, the intra-episode belief of each
 * environment), goal orderings sampled from them, and ONE `HopPlanner.plan` call per step for all decisions;
 * the goal-inference tallies of the run's metrics.
 */
export class HopTeam {
  readonly game: BatchedSimulator;
  readonly planning: BatchedSimulator;
  readonly planner: HopPlanner;
  readonly goals: GoalSetup;
  readonly registry: PairRegistry;
  readonly policy: MOAModel;
  /** Inference engines of the policy and co-player models (ONNX Runtime or tfjs). */
  readonly engines: ModelEngines;
  readonly numAgents: number;
  readonly numEnvs: number;
  /** Goal inference from real play: the beliefs the planner samples goal orderings from. */
  readonly inference: CoPlayerInference;
  private readonly roots: RootEncoder | null;
  private readonly numTrees: number;
  /** Per (env, focal, co-player) rows of the running episode, for the inference tallies. */
  private readonly pending: PendingRow[][];

  constructor(opts: HopTeamOptions) {
    const { game, policy, registry, goals } = opts;
    this.game = game;
    this.planning = opts.planning ?? game;
    this.roots = opts.roots ?? null;
    this.goals = goals;
    this.registry = registry;
    this.numAgents = game.numAgents;
    this.numEnvs = opts.numEnvs;
    if (registry.numAgents !== game.numAgents)
      throw new HopError('E_CONFIG', `the co-player models cover ${registry.numAgents} players, the game has ${game.numAgents}`);
    if (goals.numGoals !== this.planning.numGoals)
      throw new HopError('E_GOAL', `the goal set-up has ${goals.numGoals} goals, the planning simulator ${this.planning.numGoals}`);
    if (registry.generic.goalDim !== goals.goalDim)
      throw new HopError('E_GOAL', `the co-player models take goals of width ${registry.generic.goalDim}, the goal set-up gives ${goals.goalDim}`);
    const P = this.numAgents;
    const G = goals.numGoals;
    // a goal-conditioned focal network (--focal-goals co-player) reads each leaf's tree goals
    const goalConditioned = policy.goalDim !== 0;
    const focalEvaluator = goalConditioned ? goalConditionedEvaluator(policy, P, G) : null;
    this.policy = policy;
    this.engines = opts.engines ?? new ModelEngines();
    this.planner = new HopPlanner({
      simulator: this.planning,
      evaluator: focalEvaluator ?? ((input) => this.engines.of(policy).evaluator(input)),
      // Rows go to their pair's model, each run by its inference engine.
      // target-named goals are filled in outermost, so a diagnosis model (oracle-model) and the pair models both see them
      coPlayerModel: targetGoalModel(goals, (opts.coPlayerModel ?? ((m) => m))(pairCoPlayerModel(registry, (m) => this.engines.of(m).coPlayerModel))),
      goalVectors: goals.goalVectors,
      goalDim: goals.goalDim,
      config: goalConditioned ? { ...opts.planner, evaluatorCoPlayerGoals: true } : opts.planner,
    });
    this.numTrees = this.planner.config.numTrees;
    this.inference = new CoPlayerInference({ game, registry, goals, numEnvs: this.numEnvs, priorAlpha: opts.priorAlpha, engines: this.engines, beliefs: opts.beliefs });
    this.pending = Array.from({ length: this.numEnvs * P * P }, () => []);
  }

  get usesBeliefs(): boolean {
    return this.inference.usesBeliefs;
  }

  /** Goal beliefs of every (env, focal player): intra-episode, inter-episode prior, or a diagnosis mode. */
  get beliefs(): CoPlayerBeliefs {
    return this.inference.beliefs;
  }

  /** Per focal player: prior over each co-player's goals `[P-1, G]` (checkpointed, handed to workers). */
  get priors(): CoPlayerBeliefs['priors'] {
    return this.beliefs.priors;
  }

  /**
   * New episode in env k: intra-episode beliefs back to uniform over the goals available in its state.
   * `hop[p]` (default: all 1) says which players of the episode are this team's agents; the others are rule
   * co-players (`--co-player-mix`), which the team's agents still observe and model, but which keep no beliefs,
   * inference tallies or prior outcomes of their own (and are never planned).
   */
  startEpisode(states: Int32Array, k: number, hop?: ArrayLike<number>): void {
    const P = this.numAgents;
    this.inference.startEpisode(states, k, hop);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) this.pending[(k * P + i) * P + j].length = 0;
  }

  /**
   * Belief update after one real step: `prev` holds the states the actions were chosen in, `next` the
   * states after the step (both as arenas addressed by env index), `actions` `[numEnvs, P]` the joint
   * actions and `acted` `[numEnvs, P]` 1 for players that were in play. Only envs in `envs` are updated.
   */
  async observe(prev: Int32Array, next: Int32Array, envs: Int32Array, count: number, actions: Int32Array, acted: Uint8Array): Promise<void> {
    if (count === 0) return;
    await this.syncEngines();
    const P = this.numAgents;
    const A = this.game.numActions;
    const G = this.goals.numGoals;
    const { probs, Ge, byContext } = await this.inference.observe(prev, next, envs, count, actions, acted);
    for (let c = 0; c < count; c++) {
      const k = envs[c];
      for (let i = 0; i < P; i++) {
        const ctx = k * P + i;
        const rows = byContext.get(ctx);
        if (!rows) continue; // a rule co-player (or nobody left to observe)
        const belief = this.belief(i, k);
        for (const u of rows) {
          const m = u.j < i ? u.j : u.j - 1;
          const a = actions[k * P + u.j];
          const top = new Int8Array(Ge);
          for (let g = 0; g < Ge; g++) top[g] = argmax(probs, (u.row * Ge + g) * A, A) === a ? 1 : 0;
          const tv = Ge >= 2 ? totalVariation(probs, u.row * Ge * A, (u.row * Ge + 1) * A, A) : 0;
          this.pending[ctx * P + u.j].push({ top, belief: belief.slice(m * G, (m + 1) * G), tv });
        }
      }
    }
  }

  /**
   * End of env k's episode: `achieved[p]` is the goal player p achieved (-1: none). Folds the inference
   * facts of its rows into `tally`, and returns the prior outcome per focal player (`[P, P-1]`; -1 rows for rule
   * co-players), which the caller folds in (`foldPriors`) — at once, or after a batch of envs so that results do
   * not depend on how environments are split between workers.
   */
  endEpisode(k: number, achieved: ArrayLike<number>, tally: InferenceTally | null): Int32Array {
    const P = this.numAgents;
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) {
        const rows = this.pending[(k * P + i) * P + j];
        const g = achieved[j];
        if (tally && g >= 0)
          for (const r of rows) {
            tally.top1Hits[j] += r.top[r.top.length === 1 ? 0 : g];
            tally.top1Rows[j]++;
            if (this.usesBeliefs) {
              tally.beliefMass[j] += r.belief[g];
              tally.beliefRows[j]++;
            }
          }
        if (tally)
          for (const r of rows)
            if (r.top.length > 1) {
              tally.sensitivity[j] += r.tv;
              tally.sensitivityRows[j]++;
            }
        rows.length = 0;
      }
    }
    return this.inference.outcomes(achieved, k);
  }

  /** Folds per-focal outcomes `[P, P-1]` (from `endEpisode`) into the inter-episode priors. */
  foldPriors(outcomes: Int32Array): void {
    this.beliefs.foldPriors(outcomes);
  }

  /** `[P-1, G]` combined belief of focal i in env k. */
  belief(i: number, k: number): Float32Array {
    return this.beliefs.belief(i, k);
  }

  /**
   * Plans one decision for each (envs[d], focal[d]) with one planner call. `seeds[d]` makes the decision
   * (trees, goal orderings, the draw) reproducible whatever else is in the batch.
   */
  async plan(states: Int32Array, envs: Int32Array, focal: Int32Array, seeds: ArrayLike<number>, count: number): Promise<SearchOutput> {
    const P = this.numAgents;
    const G = this.goals.numGoals;
    const T = this.numTrees;
    const per = T * P * G;
    const goalOrders = new Int32Array(count * per);
    for (let d = 0; d < count; d++) {
      const i = focal[d];
      if (this.usesBeliefs) {
        const rng = new Rng(deriveSeed(seeds[d], 'goal-orders'));
        sampleGoalOrders(this.belief(i, envs[d]), { focal: i, numGoals: G, numTrees: T, rng, out: goalOrders, outOffset: d * per });
      } else {
        // No goals: every ordering is the identity (the co-player model ignores it; "none" only when no prey is left).
        for (let t = 0; t < T; t++)
          for (let p = 0; p < P; p++)
            for (let g = 0; g < G; g++) goalOrders[d * per + (t * P + p) * G + g] = p === i ? -1 : g;
      }
    }
    await this.syncEngines();
    const root = this.roots ? this.roots.encode(states, envs, count) : { states, slots: envs };
    return this.planner.plan({
      states: root.states,
      slots: root.slots.subarray(0, count),
      focal: focal.subarray(0, count),
      goalOrders,
      seeds: Array.from({ length: count }, (_, d) => seeds[d]),
    });
  }

  /**
   * Builds or refreshes the inference engines of the policy and of every distinct co-player model (after a
   * training update mark them with `engines.changed`). Called by `plan` and `observe`; cheap when nothing changed.
   */
  async syncEngines(): Promise<number> {
    return this.inference.syncEngines([this.policy]);
  }
}

interface PendingRow {
  /** Per goal: 1 when the model's most likely action under that goal was the one taken. */
  top: Int8Array;
  /** The focal player's belief about the co-player at that step `[G]`. */
  belief: Float32Array;
  /** TV distance between the goal-0 and goal-1 predictions. */
  tv: number;
}

function argmax(x: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let a = 1; a < n; a++) if (x[off + a] > x[off + best]) best = a;
  return best;
}

function totalVariation(x: ArrayLike<number>, a: number, b: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.abs(x[a + k] - x[b + k]);
  return s / 2;
}
