import { HopError, coPlayerAgent, type BatchedSimulator } from '@hop/core';
import { gatherWidth, type MOAModel, type PairRegistry } from '@hop/moa';
import { ModelEngines } from '../team/engines';
import type { GoalSetup } from '../team/goals';
import { targetGoalRows } from '../team/target-goals';
import { CoPlayerBeliefs, type BeliefMode } from './co-player-beliefs';

export interface CoPlayerInferenceOptions {
  /** The true game: observations, legal actions, goal availability of real states. */
  game: BatchedSimulator;
  /** Co-player models `player_i_to_j`: their goal-conditioned predictions are the likelihoods. */
  registry: PairRegistry;
  goals: GoalSetup;
  /** Number of environments (belief slots): contexts are (env, focal player). */
  numEnvs: number;
  /** Inter-episode prior discount (docs/models.md: 0.995). */
  priorAlpha?: number;
  /** Engines shared with a planner over the same models; default: its own. */
  engines?: ModelEngines;
  /** Where the beliefs come from (default `inferred`; the others are `hop eval` diagnosis rows). */
  beliefs?: BeliefMode;
}

/** One likelihood row in use: focal i in env k observed co-player j through row `row` of `probs`. */
export interface ObservedRow {
  k: number;
  i: number;
  j: number;
  row: number;
}

/** What one `observe` computed: `[rows, Ge, A]` action probabilities (Ge = 1 without goals) and who used which row. */
export interface Observation {
  probs: Float32Array;
  Ge: number;
  /** Per context `k * P + i`: the rows of its co-players, in increasing co-player order. */
  byContext: Map<number, ObservedRow[]>;
}

/**
 * Goal inference from real play: the `CoPlayerBeliefs` of every (env, focal player), updated after each step
 * from the co-players' actions under the per-pair models' goal-conditioned predictions (one batched pass per
 * distinct model), restarted at each episode, and the inter-episode prior's outcomes at its end. What a HOP
 * team plans with and what hop-onestep conditions its policies on; it plans nothing itself.
 */
export class CoPlayerInference {
  readonly game: BatchedSimulator;
  readonly registry: PairRegistry;
  readonly goals: GoalSetup;
  readonly numAgents: number;
  readonly numEnvs: number;
  /** Inference engines of the co-player models (ONNX Runtime or tfjs). */
  readonly engines: ModelEngines;
  readonly beliefs: CoPlayerBeliefs;
  private readonly obsBuf: Float32Array;
  private readonly legalBuf: Uint8Array;
  private readonly timeBuf: Float32Array;
  private readonly availBuf: Uint8Array;
  /** `[numEnvs, P]` 1 for the players of the running episode that infer (HOP agents); 0 for rule players. */
  private readonly observers: Uint8Array;

  constructor(opts: CoPlayerInferenceOptions) {
    const { game, registry, goals } = opts;
    this.game = game;
    this.registry = registry;
    this.goals = goals;
    this.numAgents = game.numAgents;
    this.numEnvs = opts.numEnvs;
    this.engines = opts.engines ?? new ModelEngines();
    this.beliefs = new CoPlayerBeliefs({ numAgents: this.numAgents, numEnvs: this.numEnvs, numGoals: goals.numGoals, priorAlpha: opts.priorAlpha, mode: opts.beliefs });
    this.obsBuf = new Float32Array(this.numEnvs * this.numAgents * game.observationSize);
    this.legalBuf = new Uint8Array(this.numEnvs * this.numAgents * game.numActions);
    this.timeBuf = new Float32Array(this.numEnvs);
    this.availBuf = new Uint8Array(this.numEnvs * Math.max(1, game.numGoals));
    this.observers = new Uint8Array(this.numEnvs * this.numAgents).fill(1);
  }

  get usesBeliefs(): boolean {
    return this.goals.mode !== 'none';
  }

  /**
   * New episode in env k: intra-episode beliefs back to uniform over the goals available in its state.
   * `observers[p]` (default: all 1) says which players of the episode infer their co-players' goals (HOP
   * agents); a 0 (a rule co-player, `--co-player-mix`) gets no likelihood rows, no belief updates and no prior
   * outcomes, while the others still observe it.
   */
  startEpisode(states: Int32Array, k: number, observers?: ArrayLike<number>): void {
    const P = this.numAgents;
    if (observers && observers.length !== P) throw new HopError('E_SHAPE', `observers has ${observers.length} entries, the game ${P} players`);
    for (let p = 0; p < P; p++) this.observers[k * P + p] = observers ? (observers[p] ? 1 : 0) : 1;
    const avail = this.available(states, Int32Array.of(k), 1);
    this.beliefs.startEpisode(k, tileAvailability(avail, 0, P - 1, this.goals.numGoals));
  }

  /** Whether player i of env k's running episode infers its co-players' goals (see `startEpisode`). */
  observes(k: number, i: number): boolean {
    return this.observers[k * this.numAgents + i] === 1;
  }

  /**
   * Belief update after one real step: `prev` holds the states the actions were chosen in, `next` the
   * states after the step (both as arenas addressed by env index), `actions` `[numEnvs, P]` the joint
   * actions and `acted` `[numEnvs, P]` 1 for players that were in play. Only envs in `envs` are updated.
   * The engines must be synced (`syncEngines`) since the models last changed.
   */
  async observe(prev: Int32Array, next: Int32Array, envs: Int32Array, count: number, actions: Int32Array, acted: Uint8Array): Promise<Observation> {
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
    const use: ObservedRow[] = [];
    for (let c = 0; c < count; c++) {
      const k = envs[c];
      for (let i = 0; i < P; i++) {
        if (!acted[k * P + i] || !this.observers[k * P + i]) continue;
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
    const byContext = new Map<number, ObservedRow[]>();
    for (const u of use) {
      const ctx = u.k * P + u.i;
      let l = byContext.get(ctx);
      if (!l) byContext.set(ctx, (l = []));
      l.push(u);
    }
    if (this.usesBeliefs)
      for (let c = 0; c < count; c++) {
        const k = envs[c];
        const availRow = tileAvailability(avail, c, P - 1, G);
        for (let i = 0; i < P; i++) {
          if (!this.observers[k * P + i]) continue;
          const rows = byContext.get(k * P + i) ?? [];
          lik.fill(1);
          observed.fill(0);
          for (const u of rows) {
            const m = u.j < i ? u.j : u.j - 1;
            const a = actions[k * P + u.j];
            observed[m] = 1;
            for (let g = 0; g < G; g++) lik[m * G + g] = probs[(u.row * Ge + (Ge === 1 ? 0 : g)) * A + a];
          }
          this.beliefs.update(i, k, lik, availRow, observed);
        }
      }
    return { probs, Ge, byContext };
  }

  /**
   * The prior outcome per focal player (`[P, P-1]`) of an episode in which player p achieved `achieved[p]` (-1
   * none). With `k`, the episode of env k: players that do not infer there (`startEpisode`) get -1 rows (nothing
   * to fold).
   */
  outcomes(achieved: ArrayLike<number>, k?: number): Int32Array {
    const P = this.numAgents;
    const outcomes = new Int32Array(P * (P - 1));
    for (let i = 0; i < P; i++)
      for (let m = 0; m < P - 1; m++) outcomes[i * (P - 1) + m] = k === undefined || this.observes(k, i) ? achieved[coPlayerAgent(i, m)] : -1;
    return outcomes;
  }

  /** `[P-1, G]` combined belief of focal i in env k. */
  belief(i: number, k: number): Float32Array {
    return this.beliefs.belief(i, k);
  }

  /**
   * Builds or refreshes the inference engines of every distinct co-player model and of `also` (e.g. a
   * planner's policy; models left out lose their engines). Cheap when nothing changed.
   */
  async syncEngines(also: MOAModel[] = []): Promise<number> {
    const models = new Set<MOAModel>([...also, this.registry.generic]);
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
          : this.goals.mode === 'target'
            ? await engine.probsForGoals(batch, targetGoalRows(this.goals, obs, srcRows.length), { perRow: true })
            : await engine.probsForGoals(batch, this.goals.goalVectors);
      rows.forEach((r, n) => out.set(v.subarray(n * Ge * A, (n + 1) * Ge * A), r * Ge * A));
    }
    return out;
  }
}

/** `[M, G]` availability rows for M co-players from one state's `[G]` row. */
function tileAvailability(avail: Uint8Array, c: number, M: number, G: number): Uint8Array {
  const out = new Uint8Array(M * G);
  for (let m = 0; m < M; m++) for (let g = 0; g < G; g++) out[m * G + g] = avail[c * G + g];
  return out;
}
