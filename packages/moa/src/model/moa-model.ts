import * as tf from '@tensorflow/tfjs';
import { HopError, warnIfBackendNotInitialised, type Rng } from '@hop/core';
import { MOAConfigSchema, parseConfig, type MOAConfig, type MOAConfigInput } from '../config';
import { buildMOANetwork } from './network';
import {
  assertMaskRows,
  goalTensor,
  maskLogits,
  rowsTensor,
  toInputTensors,
  type InputSpec,
  type InputTensors,
  type MOAInput,
} from './inputs';

/** Masked policy logits and values of one forward pass. */
export type MOAForward = {
  /** `[B, A]` logits + clamped log(mask). */
  logits: tf.Tensor2D;
  /** `[B]`. */
  value: tf.Tensor1D;
};

/**
 * The model of other agents: a goal-conditioned policy `pi(a | o, t, g)` with a value head `V(o, t, g)`.
 * One tf.LayersModel (`net`, inputs obs / time / goal [/ mask], outputs raw logits and value) so that
 * checkpoints save and load it; masking happens outside the network. Every method is batched; tensors
 * returned are the caller's to dispose.
 */
export class MOAModel {
  readonly config: MOAConfig;
  /** The whole network: what checkpoints save and training differentiates. */
  readonly net: tf.LayersModel;
  /**
   * `net` split at the trunk output (same layers and weights), for evaluating many goals per row. Read
   * by the ONNX exporter; train through `net`.
   */
  readonly trunk: tf.LayersModel;
  readonly head: tf.LayersModel;
  readonly observationSize: number;
  private readonly spec: InputSpec;

  constructor(config: MOAConfigInput) {
    this.config = parseConfig(MOAConfigSchema, config, 'MOA');
    warnIfBackendNotInitialised('MOAModel');
    this.observationSize = this.config.observationShape.reduce((a, b) => a * b, 1);
    this.spec = { ...this.config, observationSize: this.observationSize };
    ({ net: this.net, trunk: this.trunk, head: this.head } = buildMOANetwork(this.config));
  }

  get numActions(): number {
    return this.config.numActions;
  }

  get goalDim(): number {
    return this.config.goalDim;
  }

  /** Trainable variables of the network, in a stable order. */
  trainableVariables(): tf.Variable[] {
    return this.net.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Input tensors of a batch (call inside tf.tidy); checks sizes and (by default) that no mask row is empty. */
  inputTensors(input: Omit<MOAInput, 'goal'>, checkMask = true): InputTensors {
    const x = toInputTensors(this.spec, input);
    if (checkMask) assertMaskRows(input.mask, x.batch, this.numActions);
    return x;
  }

  /** `[B, goalDim]` goal tensor of a batch, or null without goal input. */
  goalTensor(goal: MOAInput['goal'], batch: number): tf.Tensor2D | null {
    return goalTensor(this.spec, goal, batch);
  }

  /** Raw (unmasked) logits `[B, A]` and values `[B]` of prepared tensors; differentiable. */
  rawForward(x: InputTensors, goal: tf.Tensor | null, training = false): MOAForward {
    return tf.tidy(() => {
      const inputs: tf.Tensor[] = [x.obs, x.time];
      if (this.goalDim > 0) {
        if (goal === null) throw new HopError('E_GOAL', `this MOA needs a goal [B, ${this.goalDim}]`);
        inputs.push(goal);
      }
      if (this.config.maskAsInput) inputs.push(x.mask);
      const [logits, value] = this.net.apply(inputs, { training }) as tf.Tensor[];
      return { logits: logits as tf.Tensor2D, value: value.reshape([x.batch]) as tf.Tensor1D };
    });
  }

  /**
   * Masked logits and values of prepared tensors; differentiable, so training steps (and joint VAE + MOA
   * training, whose goal tensor comes from the encoder inside the same tape) call this.
   */
  forwardTensors(x: InputTensors, goal: tf.Tensor | null, training = false): MOAForward {
    return tf.tidy(() => {
      const { logits, value } = this.rawForward(x, goal, training);
      return { logits: maskLogits(logits, x.mask), value };
    });
  }

  /** Masked logits and values. */
  forward(input: MOAInput): MOAForward {
    return tf.tidy(() => {
      const x = this.inputTensors(input);
      return this.forwardTensors(x, this.goalTensor(input.goal, x.batch));
    });
  }

  /** `[B, A]` masked logits (masked entries are about -1e9). */
  logits(input: MOAInput): tf.Tensor2D {
    return tf.tidy(() => this.forward(input).logits);
  }

  /** `[B, A]` action probabilities; masked actions are exactly 0, rows sum to 1. */
  probs(input: MOAInput): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.forward(input).logits));
  }

  /** `[B, A]` log-probabilities (masked actions about -1e9). */
  logProbs(input: MOAInput): tf.Tensor2D {
    return tf.tidy(() => tf.logSoftmax(this.forward(input).logits));
  }

  /** `[B]` state values. */
  value(input: MOAInput): tf.Tensor1D {
    return tf.tidy(() => this.forward(input).value);
  }

  /** One action per row drawn from the masked policy with the given seeded generator. */
  sample(input: MOAInput, rng: Rng): Int32Array {
    const p = this.probs(input);
    const probs = p.dataSync();
    const [batch, a] = p.shape;
    p.dispose();
    const out = new Int32Array(batch);
    for (let b = 0; b < batch; b++) out[b] = rng.categorical(probs, b * a, a);
    return out;
  }

  /**
   * `[B, G, A]` probabilities of every row under every goal, in one batched pass: the trunk runs once on
   * the B observations, the head once on the B * G (features, goal) rows. `goals` is `[G, goalDim]` shared
   * by all rows (a Float32Array is read this way), or a `[B, G, goalDim]` tensor of per-row goals.
   */
  probsForGoals(input: Omit<MOAInput, 'goal'>, goals: tf.Tensor | Float32Array): tf.Tensor3D {
    const d = this.goalDim;
    if (d === 0) throw new HopError('E_GOAL', 'probsForGoals needs a goal-conditioned MOA (goalDim > 0)');
    return tf.tidy(() => {
      const x = this.inputTensors(input);
      const b = x.batch;
      let g: tf.Tensor;
      let numGoals: number;
      if (goals instanceof tf.Tensor && goals.rank === 3) {
        numGoals = goals.shape[1] as number;
        g = rowsTensor('goals', goals, b, [numGoals, d]).reshape([b * numGoals, d]);
      } else {
        const size = goals instanceof tf.Tensor ? goals.size : goals.length;
        numGoals = size / d;
        if (!Number.isInteger(numGoals) || numGoals < 1 || (goals instanceof tf.Tensor && goals.rank !== 2))
          throw new HopError('E_SHAPE', `goals must be [G, ${d}] or [B, G, ${d}]; got ${size} values`);
        // [B, G*D] rows of all goals via ones[B,1] x goals[1,G*D]: exact, and fast on every backend.
        g = tf.matMul(tf.ones([b, 1]), rowsTensor('goals', goals, numGoals, [d]).reshape([1, numGoals * d])).reshape([b * numGoals, d]);
      }
      // Row k of the tiled batch is row floor(k / G) under goal k % G.
      const features = repeatRows(this.trunk.apply(x.obs) as tf.Tensor, numGoals);
      const mask = repeatRows(x.mask, numGoals);
      const inputs = [features, repeatRows(x.time, numGoals), g];
      if (this.config.maskAsInput) inputs.push(mask);
      const [logits] = this.head.apply(inputs) as tf.Tensor[];
      const masked = maskLogits(logits as tf.Tensor2D, mask as tf.Tensor2D);
      return tf.softmax(masked).reshape([b, numGoals, this.numActions]) as tf.Tensor3D;
    });
  }

  /** A model with the same config and its own copy of the current weights. */
  clone(): MOAModel {
    const m = new MOAModel(this.config);
    m.copyWeightsFrom(this);
    return m;
  }

  /** Overwrites this model's weights with another's (same config). */
  copyWeightsFrom(other: MOAModel): void {
    const ws = other.net.getWeights();
    this.net.setWeights(ws);
  }

  /** Frees the weights. The trunk's layers belong to `net` too, so disposing `net` and `head` frees all. */
  dispose(): void {
    this.net.dispose();
    this.head.dispose();
  }
}

/**
 * Repeats each row `g` times: `[B, ...]` -> `[B * g, ...]`, rows `b*g .. b*g+g-1` copies of row b.
 * Concatenation along the row axis is a plain copy; gather, tile and broadcastTo are an order of magnitude
 * slower on the wasm backend.
 */
function repeatRows(t: tf.Tensor, g: number): tf.Tensor {
  const [b, ...rest] = t.shape;
  const flat = t.reshape([b, t.size / b]);
  return tf.concat(new Array<tf.Tensor>(g).fill(flat), 1).reshape([b * g, ...rest]);
}

/** `[G, G]` identity: the one-hot goal vectors of `G` discrete goals, ready for `probsForGoals`. */
export function oneHotGoals(numGoals: number): Float32Array {
  const out = new Float32Array(numGoals * numGoals);
  for (let g = 0; g < numGoals; g++) out[g * numGoals + g] = 1;
  return out;
}
