import {
  HopError,
  OnnxSession,
  chooseInferenceEngine,
  type InferenceEngineInfo,
  type InferenceEngineName,
  type InferenceOptions,
} from '@hop/core';
import { gridSizeOf } from '../layout';
import { networkShapes } from '../model/network';
import type { ModelInputs, Prediction, WorldModel } from '../model/world-model';
import { WORLD_MODEL_ONNX, exportWorldModelToOnnx } from './export';

/** What `WorldModelSimulator` needs of a network: `WorldModel.predict`'s contract. */
export interface WorldModelPredictor {
  predict(b: ModelInputs): Promise<Prediction>;
}

/** A world model's network run by ONNX Runtime or tfjs, behind `WorldModel.predict`'s contract. */
export interface WorldModelInference extends WorldModelPredictor {
  readonly engine: InferenceEngineName;
  readonly reason: string;
  readonly info: InferenceEngineInfo;
  /**
   * Loads the model's current weights (after a training update): a no-op for tfjs, a re-export and a
   * new session for ONNX Runtime. Not while a step is running. Resolves to the milliseconds it took.
   */
  refresh(): Promise<number>;
  /** Releases the session (the model stays the caller's). */
  dispose(): Promise<void>;
}

class OnnxWorldModelInference implements WorldModelInference {
  readonly engine = 'onnx' as const;
  readonly reason: string;
  private cond = new Float32Array(0);

  constructor(
    private readonly model: WorldModel,
    readonly info: InferenceEngineInfo,
    private session: OnnxSession,
  ) {
    this.reason = info.reason;
  }

  async predict(b: ModelInputs): Promise<Prediction> {
    if (b.size === 0) return { next: new Float32Array(0), outcome: new Float32Array(0) };
    const { height: H, width: W, channels: C } = this.model.layout;
    const G = gridSizeOf(this.model.layout);
    if (b.obs.length < b.size * G)
      throw new HopError('E_SHAPE', `obs holds ${b.obs.length} values, ${b.size} grids of ${H}x${W}x${C} need ${b.size * G}`);
    const width = networkShapes(this.model.layout).condSize;
    if (this.cond.length < b.size * width) this.cond = new Float32Array(b.size * width);
    const cond = this.model.condArray(b, this.cond);
    const out = await this.session.run({
      [WORLD_MODEL_ONNX.obs]: { data: b.obs.subarray(0, b.size * G), dims: [b.size, H, W, C] },
      [WORLD_MODEL_ONNX.cond]: { data: cond, dims: [b.size, width] },
    });
    return { next: out[WORLD_MODEL_ONNX.next], outcome: out[WORLD_MODEL_ONNX.outcome] };
  }

  async refresh(): Promise<number> {
    const t0 = performance.now();
    const next = await OnnxSession.create(exportWorldModelToOnnx(this.model).bytes, this.info);
    const old = this.session;
    this.session = next;
    await old.release();
    return performance.now() - t0;
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}

class TfjsWorldModelInference implements WorldModelInference {
  readonly engine = 'tfjs' as const;
  readonly reason: string;

  constructor(
    private readonly model: WorldModel,
    readonly info: InferenceEngineInfo,
  ) {
    this.reason = info.reason;
  }

  predict(b: ModelInputs): Promise<Prediction> {
    return this.model.predict(b);
  }

  async refresh(): Promise<number> {
    return 0;
  }

  async dispose(): Promise<void> {}
}

/**
 * The fast inference path of a world model: ONNX Runtime when `onnxruntime-node` is installed (or asked
 * for), else tfjs, chosen by `options.engine` / `HOP_INFERENCE` (@hop/core `chooseInferenceEngine`).
 * Pass it to `WorldModelSimulator` as `predictor`; call `refresh()` after each training update.
 */
export async function createWorldModelInference(model: WorldModel, options: InferenceOptions = {}): Promise<WorldModelInference> {
  const info = await chooseInferenceEngine(options);
  if (info.engine === 'tfjs') return new TfjsWorldModelInference(model, info);
  return new OnnxWorldModelInference(model, info, await OnnxSession.create(exportWorldModelToOnnx(model).bytes, info));
}
