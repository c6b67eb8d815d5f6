import { HopError } from '@hop/core/base';
import type { BatchedSimulator, SimStepBatch, SimViewBatch } from '@hop/core/base';
import { NUM_ACTIONS, resolveConfig, type PresetName, type StagHuntConfig, type StagHuntConfigInput } from '../config';
import { makeGeometry, type Geometry } from '../core/geometry';
import { hashState, makeZobrist, type ZobristTable } from '../core/hash';
import { writeGrid } from '../core/observe';
import {
  isTerminal,
  makeRuleScratch,
  makeStepOutputs,
  stepState,
  writeAgentDone,
  writeGoalsAvailable,
  writeMasks,
  type RuleScratch,
  type StepOutputs,
} from '../core/rules';
import { parseAsciiState, renderAscii, type ParseStateOptions } from '../render/ascii';
import { readState, stateProblems, writeState, type StagHuntState } from '../core/state';

/**
 * The true Stag-Hunt dynamics behind the core's `BatchedSimulator` contract: int32 state records in a
 * slot-addressed arena, batched steps `from[k] -> to[k]` with joint actions `[count, players]`. Invalid actions
 * act as stay (never strict: planners explore). Goals: 0 stag, 1 hare. No allocation per call.
 */
export class StagHuntSimulator implements BatchedSimulator {
  readonly config: StagHuntConfig;
  readonly geometry: Geometry;
  readonly numAgents: number;
  readonly numActions = NUM_ACTIONS;
  readonly stateWords: number;
  readonly observationShape: readonly [number, number, number];
  readonly observationSize: number;
  readonly noopAction = 4;
  readonly numGoals = 2;
  private readonly zobrist: ZobristTable;
  private readonly scratch: RuleScratch;
  private readonly out: StepOutputs;

  constructor(config: StagHuntConfigInput | PresetName | StagHuntConfig) {
    this.config = resolveConfig(config);
    const g = (this.geometry = makeGeometry(this.config));
    this.numAgents = g.players;
    this.stateWords = g.stateWords;
    this.observationShape = [g.height, g.width, g.channels];
    this.observationSize = g.gridSize;
    this.zobrist = makeZobrist(g);
    this.scratch = makeRuleScratch(g);
    this.out = makeStepOutputs(g.players);
  }

  /** A zeroed arena of `capacity` slots. */
  allocate(capacity: number): Int32Array {
    return new Int32Array(capacity * this.stateWords);
  }

  /** Copies slot `from` to slot `to` (both in `arena`, or `to` in `dest`). */
  copy(arena: Int32Array, from: number, to: number, dest: Int32Array = arena): void {
    const W = this.stateWords;
    // word loops rather than subarray(): no view object per call in a planner's inner loop
    if (dest === arena) arena.copyWithin(to * W, from * W, from * W + W);
    else for (let i = 0, s = from * W, d = to * W; i < W; i++) dest[d + i] = arena[s + i];
  }

  step(batch: SimStepBatch): void {
    const g = this.geometry;
    const W = g.stateWords;
    const P = g.players;
    const { states, from, to, actions, count, rewards, terminal } = batch;
    const out = this.out;
    for (let k = 0; k < count; k++) {
      const src = from[k] * W;
      const b = to[k] * W;
      if (src !== b) states.copyWithin(b, src, src + W);
      terminal[k] = stepState(g, states, b, actions, k * P, out, 0, this.scratch, false) ? 1 : 0;
      for (let p = 0; p < P; p++) rewards[k * P + p] = out.rewards[p];
    }
  }

  legalActions(view: SimViewBatch, out: Uint8Array): void {
    const g = this.geometry;
    const P = g.players;
    for (let k = 0; k < view.count; k++) writeMasks(g, view.states, view.slots[k] * g.stateWords, out, k * P * NUM_ACTIONS);
  }

  agentDone(view: SimViewBatch, out: Uint8Array): void {
    const g = this.geometry;
    for (let k = 0; k < view.count; k++) writeAgentDone(g, view.states, view.slots[k] * g.stateWords, out, k * g.players);
  }

  observe(view: SimViewBatch, out: Float32Array): void {
    const g = this.geometry;
    const P = g.players;
    for (let k = 0; k < view.count; k++) {
      const b = view.slots[k] * g.stateWords;
      for (let p = 0; p < P; p++) writeGrid(g, view.states, b, p, out, (k * P + p) * g.gridSize);
    }
  }

  time(view: SimViewBatch, out: Float32Array): void {
    const g = this.geometry;
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * g.stateWords + g.T];
  }

  terminal(view: SimViewBatch, out: Uint8Array): void {
    const g = this.geometry;
    for (let k = 0; k < view.count; k++) out[k] = isTerminal(g, view.states, view.slots[k] * g.stateWords) ? 1 : 0;
  }

  hash(view: SimViewBatch, out: Uint32Array): void {
    const g = this.geometry;
    for (let k = 0; k < view.count; k++) out[k] = hashState(g, this.zobrist, view.states, view.slots[k] * g.stateWords);
  }

  goalsAvailable(view: SimViewBatch, out: Uint8Array): void {
    const g = this.geometry;
    for (let k = 0; k < view.count; k++) writeGoalsAvailable(g, view.states, view.slots[k] * g.stateWords, out, k * 2);
  }

  /** Writes the position drawn in ASCII (see `parseAsciiState`) into slot `slot`. */
  parse(picture: string, arena: Int32Array, slot: number, opts?: ParseStateOptions): void {
    if ((slot + 1) * this.stateWords > arena.length) {
      throw new HopError('E_RANGE', `slot ${slot} is outside the arena (${arena.length / this.stateWords} slots)`);
    }
    parseAsciiState(this.geometry, picture, arena, slot * this.stateWords, opts);
  }

  /** Writes the position given field by field into slot `slot` (validated; see `StagHuntState`). */
  writeState(arena: Int32Array, slot: number, state: StagHuntState): void {
    if ((slot + 1) * this.stateWords > arena.length) {
      throw new HopError('E_RANGE', `slot ${slot} is outside the arena (${arena.length / this.stateWords} slots)`);
    }
    writeState(this.geometry, state, arena, slot * this.stateWords, 'StagHuntSimulator.writeState');
  }

  /** Slot `slot` written out field by field. */
  readState(arena: Int32Array, slot: number): Required<StagHuntState> {
    return readState(this.geometry, arena, slot * this.stateWords);
  }

  /** What is wrong with the record in slot `slot` (empty when nothing is). */
  problems(arena: Int32Array, slot: number): string[] {
    return stateProblems(this.geometry, arena, slot * this.stateWords);
  }

  /** ASCII picture of slot `slot`. */
  render(arena: Int32Array, slot: number): string {
    return renderAscii(this.geometry, arena, slot * this.stateWords);
  }
}

/** The simulator of a config or preset. */
export function createStagHuntSimulator(
  config: StagHuntConfigInput | PresetName | StagHuntConfig = 'hop-msh',
): StagHuntSimulator {
  return new StagHuntSimulator(config);
}
