import * as tf from '@tensorflow/tfjs';
import {
  HopError,
  OnnxSession,
  chooseInferenceEngine,
  type CoPlayerModel,
  type Evaluator,
  type GoalBatch,
  type InferenceEngineInfo,
  type InferenceEngineName,
  type InferenceOptions,
  type ObservationBatch,
  type OnnxFeed,
} from '@hop/core';
import { toCoPlayerModel, toEvaluator } from '../model/adapters';
import { assertMaskRows } from '../model/inputs';
import type { MOAModel } from '../model/moa-model';
import { MOA_ONNX, exportMOAToOnnx } from './export';

export type MOAInferenceOptions = InferenceOptions;

/** `[B, G, goalDim]` per-row goals instead of `[G, goalDim]` shared by every row. */
export interface ProbsForGoalsOptions {
  perRow?: boolean;
}

/**
 * A MOA's networks behind the planners' function contracts, run by ONNX Runtime or tfjs (see
 * `createMOAInference`). The functions are plain properties, so they can be handed to a planner as is.
 */
export interface MOAInference {
  /** The engine that runs the network and why it was chosen. */
  readonly engine: InferenceEngineName;
  readonly reason: string;
  readonly info: InferenceEngineInfo;
  /** Masked action probabilities per (observation, goal) row: the core `CoPlayerModel` (and mcts' `SearchCoPlayerModel`). */
  readonly coPlayerModel: CoPlayerModel;
  /** Raw logits and values: the core `Evaluator` (and mcts' `SearchEvaluator`). Goal-conditioned models need `evaluatorWithGoal`. */
  readonly evaluator: Evaluator;
  /** An `Evaluator` of a goal-conditioned model that feeds `goal` (`[goalDim]`) to every row. */
  evaluatorWithGoal(goal: Float32Array): Evaluator;
  /**
   * `[B, G, A]` probabilities of every row under every goal (as `MOAModel.probsForGoals`): `goals` is
   * `[G, goalDim]` shared by the rows, or `[B, G, goalDim]` with `{ perRow: true }`.
   */
  probsForGoals(input: ObservationBatch, goals: Float32Array, options?: ProbsForGoalsOptions): Promise<Float32Array>;
  /**
   * Loads the model's current weights into the engine (after a training update). A no-op for tfjs,
   * which reads the live weights; for ONNX Runtime, a re-export and new sessions. Do not call it while
   * a search is using this object. Resolves to the milliseconds it took.
   */
  refresh(): Promise<number>;
  /** Releases the engine's sessions (the model itself stays the caller's). */
  dispose(): Promise<void>;
}

interface Sessions {
  full: OnnxSession;
  trunk?: OnnxSession;
  head?: OnnxSession;
}

async function createSessions(model: MOAModel, info: InferenceEngineInfo): Promise<Sessions> {
  const bytes = exportMOAToOnnx(model);
  const [full, trunk, head] = await Promise.all([
    OnnxSession.create(bytes.full, info),
    bytes.trunk ? OnnxSession.create(bytes.trunk, info) : undefined,
    bytes.head ? OnnxSession.create(bytes.head, info) : undefined,
  ]);
  return { full, trunk, head };
}

async function releaseSessions(s: Sessions): Promise<void> {
  await Promise.all([s.full.release(), s.trunk?.release(), s.head?.release()]);
}

function checkGoalCount(goals: Float32Array, batch: number, goalDim: number, perRow: boolean): number {
  const per = perRow ? batch * goalDim : goalDim;
  const numGoals = goals.length / per;
  if (!Number.isInteger(numGoals) || numGoals < 1)
    throw new HopError(
      'E_SHAPE',
      `goals has ${goals.length} values; expected ${perRow ? `[${batch}, G, ${goalDim}]` : `[G, ${goalDim}]`} for a batch of ${batch}`,
    );
  return numGoals;
}

function checkBatch(input: ObservationBatch, obsSize: number, numActions: number): void {
  const b = input.batch;
  if (!(Number.isInteger(b) && b > 0)) throw new HopError('E_SHAPE', `batch is ${b}; expected a positive integer`);
  if (input.observations.length !== b * obsSize)
    throw new HopError('E_SHAPE', `observations has ${input.observations.length} values, expected ${b} x ${obsSize}`);
  if (input.masks.length !== b * numActions)
    throw new HopError('E_SHAPE', `masks has ${input.masks.length} values, expected ${b} x ${numActions}`);
  if (input.times.length !== b) throw new HopError('E_SHAPE', `times has ${input.times.length} values, expected ${b}`);
}

/** Repeats each of `b` rows of `width` values `g` times: `[B, W] -> [B * g, W]`. */
function repeatRows(src: ArrayLike<number>, b: number, width: number, g: number): Float32Array {
  const out = new Float32Array(b * g * width);
  const s = src instanceof Float32Array ? src : Float32Array.from(src);
  for (let r = 0; r < b; r++) {
    const row = s.subarray(r * width, (r + 1) * width);
    for (let k = 0; k < g; k++) out.set(row, (r * g + k) * width);
  }
  return out;
}

/** The ONNX Runtime implementation. */
class OnnxMOAInference implements MOAInference {
  readonly engine = 'onnx' as const;
  readonly reason: string;
  private readonly obsDims: number[];

  constructor(
    private readonly model: MOAModel,
    readonly info: InferenceEngineInfo,
    private sessions: Sessions,
  ) {
    this.reason = info.reason;
    this.obsDims = [...model.config.observationShape];
  }

  private feeds(input: ObservationBatch): Record<string, OnnxFeed> {
    const { batch } = input;
    const A = this.model.numActions;
    checkBatch(input, this.model.observationSize, A);
    return {
      [MOA_ONNX.obs]: { data: input.observations, dims: [batch, ...this.obsDims] },
      [MOA_ONNX.time]: { data: input.times, dims: [batch, 1] },
      [MOA_ONNX.mask]: { data: Float32Array.from(input.masks), dims: [batch, A] },
    };
  }

  readonly coPlayerModel: CoPlayerModel = async (input: GoalBatch) => {
    const d = this.model.goalDim;
    if (input.goalDim !== d) throw new HopError('E_GOAL', `GoalBatch.goalDim is ${input.goalDim} but the MOA expects ${d}`);
    assertMaskRows(input.masks, input.batch, this.model.numActions);
    const feeds = this.feeds(input);
    if (d > 0) {
      if (input.goals.length !== input.batch * d)
        throw new HopError('E_SHAPE', `goals has ${input.goals.length} values, expected ${input.batch} x ${d}`);
      feeds[MOA_ONNX.goal] = { data: input.goals, dims: [input.batch, d] };
    }
    const out = await this.sessions.full.run(feeds, [MOA_ONNX.probs]);
    return { probs: out[MOA_ONNX.probs] };
  };

  private evaluate(input: ObservationBatch, goal: Float32Array | undefined) {
    const feeds = this.feeds(input);
    const d = this.model.goalDim;
    if (goal) feeds[MOA_ONNX.goal] = { data: repeatRows(goal, 1, d, input.batch), dims: [input.batch, d] };
    return this.sessions.full.run(feeds, [MOA_ONNX.logits, MOA_ONNX.value]).then((out) => ({
      logits: out[MOA_ONNX.logits],
      values: out[MOA_ONNX.value],
    }));
  }

  readonly evaluator: Evaluator = (input: ObservationBatch) => {
    if (this.model.goalDim > 0)
      throw new HopError('E_GOAL', 'this MOA is goal-conditioned; use evaluatorWithGoal(goal) for an Evaluator');
    return this.evaluate(input, undefined);
  };

  evaluatorWithGoal(goal: Float32Array): Evaluator {
    const d = this.model.goalDim;
    if (d === 0) throw new HopError('E_GOAL', 'evaluatorWithGoal: this model has goalDim 0; use evaluator');
    if (goal.length !== d) throw new HopError('E_GOAL', `evaluatorWithGoal: goal has ${goal.length} values, expected ${d}`);
    const row = Float32Array.from(goal);
    return (input) => this.evaluate(input, row);
  }

  async probsForGoals(input: ObservationBatch, goals: Float32Array, options: ProbsForGoalsOptions = {}): Promise<Float32Array> {
    const d = this.model.goalDim;
    const { trunk, head } = this.sessions;
    if (d === 0 || !trunk || !head) throw new HopError('E_GOAL', 'probsForGoals needs a goal-conditioned MOA (goalDim > 0)');
    const b = input.batch;
    const A = this.model.numActions;
    const feeds = this.feeds(input);
    assertMaskRows(input.masks, b, A);
    const g = checkGoalCount(goals, b, d, options.perRow ?? false);
    const features = (await trunk.run({ [MOA_ONNX.obs]: feeds[MOA_ONNX.obs] }))[MOA_ONNX.features];
    const F = features.length / b;
    // Row k of the tiled batch is row floor(k / G) under goal k % G, as in MOAModel.probsForGoals.
    const out = await head.run(
      {
        [MOA_ONNX.features]: { data: repeatRows(features, b, F, g), dims: [b * g, F] },
        [MOA_ONNX.time]: { data: repeatRows(input.times, b, 1, g), dims: [b * g, 1] },
        [MOA_ONNX.goal]: { data: options.perRow ? goals : repeatRows(goals, 1, g * d, b), dims: [b * g, d] },
        [MOA_ONNX.mask]: { data: repeatRows(feeds[MOA_ONNX.mask].data, b, A, g), dims: [b * g, A] },
      },
      [MOA_ONNX.probs],
    );
    return out[MOA_ONNX.probs];
  }

  async refresh(): Promise<number> {
    const t0 = performance.now();
    const next = await createSessions(this.model, this.info);
    const old = this.sessions;
    this.sessions = next;
    await releaseSessions(old);
    return performance.now() - t0;
  }

  dispose(): Promise<void> {
    return releaseSessions(this.sessions);
  }
}

/** The tfjs implementation: today's adapters over the live model. */
class TfjsMOAInference implements MOAInference {
  readonly engine = 'tfjs' as const;
  readonly reason: string;
  readonly coPlayerModel: CoPlayerModel;
  readonly evaluator: Evaluator;

  constructor(
    private readonly model: MOAModel,
    readonly info: InferenceEngineInfo,
  ) {
    this.reason = info.reason;
    this.coPlayerModel = toCoPlayerModel(model);
    const plain = model.goalDim === 0 ? toEvaluator(model) : null;
    this.evaluator = (input) => {
      if (!plain) throw new HopError('E_GOAL', 'this MOA is goal-conditioned; use evaluatorWithGoal(goal) for an Evaluator');
      return plain(input);
    };
  }

  evaluatorWithGoal(goal: Float32Array): Evaluator {
    if (this.model.goalDim === 0) throw new HopError('E_GOAL', 'evaluatorWithGoal: this model has goalDim 0; use evaluator');
    return toEvaluator(this.model, { goal });
  }

  async probsForGoals(input: ObservationBatch, goals: Float32Array, options: ProbsForGoalsOptions = {}): Promise<Float32Array> {
    const d = this.model.goalDim;
    if (d === 0) throw new HopError('E_GOAL', 'probsForGoals needs a goal-conditioned MOA (goalDim > 0)');
    checkBatch(input, this.model.observationSize, this.model.numActions);
    const b = input.batch;
    const g = checkGoalCount(goals, b, d, options.perRow ?? false);
    const x = { obs: input.observations, mask: input.masks, time: input.times };
    const p = options.perRow
      ? tf.tidy(() => this.model.probsForGoals(x, tf.tensor3d(goals, [b, g, d])))
      : this.model.probsForGoals(x, goals);
    try {
      return (await p.data()) as Float32Array;
    } finally {
      p.dispose();
    }
  }

  async refresh(): Promise<number> {
    return 0;
  }

  async dispose(): Promise<void> {}
}

/**
 * The fast inference path of a MOA: ONNX Runtime when `onnxruntime-node` is installed (or asked for),
 * else tfjs, chosen by `options.engine` / `HOP_INFERENCE` (see @hop/core `chooseInferenceEngine`). The
 * model stays the training object; after each update call `refresh()`.
 */
export async function createMOAInference(model: MOAModel, options: MOAInferenceOptions = {}): Promise<MOAInference> {
  const info = await chooseInferenceEngine(options);
  if (info.engine === 'tfjs') return new TfjsMOAInference(model, info);
  return new OnnxMOAInference(model, info, await createSessions(model, info));
}
