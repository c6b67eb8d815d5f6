import { HopError, Rng, coPlayerAgent, deriveSeed, sampleGoalOrders, type BatchedSimulator } from '@hop/core';
import { HopPlanner, type MctsConfigInput, type SearchOutput } from '@hop/mcts';
import {
  gatherWidth,
  pairCoPlayerModel,
  type MOAModel,
  type PairRegistry,
} from '@hop/moa';
import { CoPlayerBeliefs, type BeliefMode } from '../beliefs/co-player-beliefs';
import { ModelEngines } from './engines';
import type { GoalSetup } from './goals';

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
  /** Focal policy / value network (goal-free; shared by every player of the team). */
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
 * HOP's decision making for every (environment, player) at once: per-context goal beliefs (the inter-episode
 * prior of each focal player, the intra-episode belief of each environment), goal orderings sampled from
 * them, and ONE `HopPlanner.plan` call per step for all decisions. `observe` updates beliefs from the
 * co-players' last actions with one batched `probsForGoals` pass per distinct co-player model.
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
  /** Goal beliefs of every (env, focal player): intra-episode, inter-episode prior, or a diagnosis mode. */
  readonly beliefs: CoPlayerBeliefs;
  private readonly roots: RootEncoder | null;
  private readonly numTrees: number;
  /** Per (env, focal, co-player) rows of the running episode, for the inference tallies. */
  private readonly pending: PendingRow[][];
  private readonly obsBuf: Float32Array;
  private readonly legalBuf: Uint8Array;
  private readonly timeBuf: Float32Array;
  private readonly availBuf: Uint8Array;

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
    if (policy.goalDim !== 0) throw new HopError('E_CONFIG', 'the focal policy / value network must have goalDim 0');
    const P = this.numAgents;
    const G = goals.numGoals;
    this.policy = policy;
    this.engines = opts.engines ?? new ModelEngines();
    this.planner = new HopPlanner({
      simulator: this.planning,
      evaluator: (input) => this.engines.of(policy).evaluator(input),
      // Rows go to their pair's model, each run by its inference engine.
      coPlayerModel: (opts.coPlayerModel ?? ((m) => m))(pairCoPlayerModel(registry, (m) => this.engines.of(m).coPlayerModel)),
      goalVectors: goals.goalVectors,
      goalDim: goals.goalDim,
      config: opts.planner,
    });
    this.numTrees = this.planner.config.numTrees;
    this.beliefs = new CoPlayerBeliefs({ numAgents: P, numEnvs: this.numEnvs, numGoals: G, priorAlpha: opts.priorAlpha, mode: opts.beliefs });
    this.pending = Array.from({ length: this.numEnvs * P * P }, () => []);
    this.obsBuf = new Float32Array(this.numEnvs * P * game.observationSize);
    this.legalBuf = new Uint8Array(this.numEnvs * P * game.numActions);
    this.timeBuf = new Float32Array(this.numEnvs);
    this.availBuf = new Uint8Array(this.numEnvs * Math.max(1, game.numGoals));
  }

  get usesBeliefs(): boolean {
    return this.goals.mode !== 'none';
  }

  /** Per focal player: prior over each co-player's goals `[P-1, G]` (checkpointed, handed to workers). */
  get priors(): CoPlayerBeliefs['priors'] {
    return this.beliefs.priors;
  }

  /** New episode in env k: intra-episode beliefs back to uniform over the goals available in its state. */
  startEpisode(states: Int32Array, k: number): void {
    const P = this.numAgents;
    const G = this.goals.numGoals;
    const avail = this.available(states, Int32Array.of(k), 1);
    this.beliefs.startEpisode(k, tileAvailability(avail, 0, P - 1, G));
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
    const O = this.game.observationSize;
    const G = this.goals.numGoals;
    const view = { states: prev, slots: envs, count };
    this.game.observe(view, this.obsBuf);
    this.game.legalActions(view, this.legalBuf);
    this.game.time(view, this.timeBuf);
    // One likelihood row per (model, env, co-player): pairs sharing a model share the row.
    const rowKey = new Map<number, number>();
    const modelId = new Map<MOAModel, number>();
    const rowModel: MOAModel[] = [];
    const rowSrc: number[] = [];
    const use: { k: number; i: number; j: number; row: number }[] = [];
    for (let c = 0; c < count; c++) {
      const k = envs[c];
      for (let i = 0; i < P; i++) {
        if (!acted[k * P + i]) continue;
        for (let j = 0; j < P; j++) {
          if (j === i || !acted[k * P + j]) continue;
          const model = this.registry.model(i, j);
          let id = modelId.get(model);
          if (id === undefined) modelId.set(model, (id = modelId.size));
          const key = (id * count + c) * P + j;
          let row = rowKey.get(key);
          if (row === undefined) {
            row = rowSrc.length;
            rowKey.set(key, row);
            rowModel.push(model);
            rowSrc.push(c * P + j);
          }
          use.push({ k, i, j, row });
        }
      }
    }
    const Ge = this.goals.mode === 'none' ? 1 : G;
    const probs = await this.likelihoods(rowModel, rowSrc, A, O, Ge);
    const avail = this.available(next, envs, count);
    const lik = new Float64Array((P - 1) * G);
    const observed = new Uint8Array(P - 1);
    const byContext = new Map<number, typeof use>();
    for (const u of use) {
      const ctx = u.k * P + u.i;
      let l = byContext.get(ctx);
      if (!l) byContext.set(ctx, (l = []));
      l.push(u);
    }
    for (let c = 0; c < count; c++) {
      const k = envs[c];
      const availRow = tileAvailability(avail, c, P - 1, G);
      for (let i = 0; i < P; i++) {
        const ctx = k * P + i;
        const rows = byContext.get(ctx) ?? [];
        lik.fill(1);
        observed.fill(0);
        for (const u of rows) {
          const m = u.j < i ? u.j : u.j - 1;
          const a = actions[k * P + u.j];
          observed[m] = 1;
          for (let g = 0; g < G; g++) lik[m * G + g] = probs[(u.row * Ge + (Ge === 1 ? 0 : g)) * A + a];
        }
        if (this.usesBeliefs) this.beliefs.update(i, k, lik, availRow, observed);
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
   * facts of its rows into `tally`, and returns the prior outcome per focal player (`[P, P-1]`), which the
   * caller folds in (`foldPriors`) — at once, or after a batch of envs so that results do not depend on
   * how environments are split between workers.
   */
  endEpisode(k: number, achieved: ArrayLike<number>, tally: InferenceTally | null): Int32Array {
    const P = this.numAgents;
    const outcomes = new Int32Array(P * (P - 1));
    for (let i = 0; i < P; i++) {
      for (let m = 0; m < P - 1; m++) outcomes[i * (P - 1) + m] = achieved[coPlayerAgent(i, m)];
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
    return outcomes;
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
    const models = new Set<MOAModel>([this.policy, this.registry.generic]);
    for (const [i, j] of this.registry.pairs()) models.add(this.registry.model(i, j));
    return this.engines.sync(models);
  }

  /** `[count, G]` goal availability of the given states. */
  private available(states: Int32Array, envs: Int32Array, count: number): Uint8Array {
    if (this.game.numGoals === 0) return this.availBuf.fill(1, 0, count);
    this.game.goalsAvailable({ states, slots: envs, count }, this.availBuf);
    return this.availBuf;
  }

  /** `[rows, Ge, A]` probabilities of each row's co-player view under every goal (Ge = 1 without goals). */
  private async likelihoods(models: MOAModel[], src: number[], A: number, O: number, Ge: number): Promise<Float32Array> {
    const out = new Float32Array(src.length * Ge * A);
    const groups = new Map<MOAModel, number[]>();
    models.forEach((m, r) => {
      let l = groups.get(m);
      if (!l) groups.set(m, (l = []));
      l.push(r);
    });
    const P = this.numAgents;
    for (const [model, rows] of groups) {
      const srcRows = rows.map((r) => src[r]);
      const obs = gatherWidth(this.obsBuf, srcRows, O, (n) => new Float32Array(n));
      const mask = gatherWidth(this.legalBuf, srcRows, A, (n) => new Uint8Array(n));
      const time = Float32Array.from(srcRows, (s) => this.timeBuf[Math.floor(s / P)]);
      const engine = this.engines.of(model);
      const batch = { batch: srcRows.length, observations: obs, masks: mask, times: time };
      const v =
        Ge === 1 && this.goals.mode === 'none'
          ? (await engine.coPlayerModel({ ...batch, goals: new Float32Array(0), goalDim: 0 })).probs
          : await engine.probsForGoals(batch, this.goals.goalVectors);
      rows.forEach((r, n) => out.set(v.subarray(n * Ge * A, (n + 1) * Ge * A), r * Ge * A));
    }
    return out;
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

/** `[M, G]` availability rows for M co-players from one state's `[G]` row. */
function tileAvailability(avail: Uint8Array, c: number, M: number, G: number): Uint8Array {
  const out = new Uint8Array(M * G);
  for (let m = 0; m < M; m++) for (let g = 0; g < G; g++) out[m * G + g] = avail[c * G + g];
  return out;
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
