import type { BatchedSimulator, CatchRewards, SimStepBatch, SimViewBatch } from '@hop/core';
import { Rng } from '@hop/core';
import { TransitionDataset } from '../../src/data/dataset';
import { FOUR_MOVES, gridSizeOf, parseGridLayout, type GridLayout } from '../../src/layout';
import { StateCodec } from '../../src/sim/state';

/**
 * A small deterministic grid game written independently of the world model, used as ground truth:
 * players move (invalid moves act as stay), prey of channel k is caught by >= minHunters[k] players
 * choosing its hunt action on its cell, who split reward[k] and leave the grid. States use the world
 * model's StateCodec so both simulators' states compare word for word.
 */
export interface TinyRules {
  minHunters: number[];
  reward: number[];
  finalTime: number;
}

/**
 * 2 players on 3x3, channels [p0, p1, obstacle, prey], actions up/down/left/right/stay/hunt; `rewards`
 * sets the layout's reward rules (prey reward per channel, equal split), which must match the TinyWorld's.
 */
export function tinyLayout(o: { height?: number; width?: number; players?: number; preys?: number; rewards?: number[] } = {}): GridLayout {
  const players = o.players ?? 2;
  const preys = o.preys ?? 1;
  return parseGridLayout({
    height: o.height ?? 3,
    width: o.width ?? 3,
    players,
    channels: players + 1 + preys,
    numActions: 5 + preys,
    maskSize: 0,
    playerChannels: Array.from({ length: players }, (_, i) => i),
    staticChannels: [players],
    preyChannels: Array.from({ length: preys }, (_, k) => players + 1 + k),
    huntActions: Array.from({ length: preys }, (_, k) => 5 + k),
    moves: FOUR_MOVES,
    stayAction: 4,
    ...(o.rewards ? { rules: { preyRewards: o.rewards } } : {}),
  });
}

export class TinyWorld implements BatchedSimulator {
  readonly codec: StateCodec;
  readonly numAgents: number;
  readonly numActions: number;
  readonly stateWords: number;
  readonly observationShape: readonly number[];
  readonly observationSize: number;
  readonly noopAction: number;
  readonly numGoals: number;

  constructor(
    readonly layout: GridLayout,
    readonly rules: TinyRules,
  ) {
    this.codec = new StateCodec(layout, rules.finalTime);
    this.numAgents = layout.players;
    this.numActions = layout.numActions;
    this.stateWords = this.codec.stateWords;
    this.observationShape = [layout.height, layout.width, layout.channels];
    this.observationSize = gridSizeOf(layout);
    this.noopAction = layout.stayAction;
    this.numGoals = layout.preyChannels.length;
  }

  /** Writes a random start state into `slot`: players, `obstacles` static cells and `prey[k]` prey per channel on distinct cells. */
  randomState(rng: Rng, st: Int32Array, slot: number, counts: { obstacles: number; prey: number[] }): void {
    const c = this.codec;
    const b = slot * this.stateWords;
    st.fill(0, b, b + this.stateWords);
    const order = rng.permutation(c.cells);
    let i = 0;
    for (let p = 0; p < this.numAgents; p++) st[b + c.POS + p] = order[i++];
    // Players may share cells; prey and obstacles take fresh ones.
    for (let o = 0; o < counts.obstacles; o++) c.setBit(st, b, c.staticOff[0], order[i++]);
    counts.prey.forEach((n, k) => {
      for (let j = 0; j < n; j++) c.setBit(st, b, c.preyOff[k], order[i++]);
    });
  }

  step(batch: SimStepBatch): void {
    const c = this.codec;
    const l = this.layout;
    const W = this.stateWords;
    const P = this.numAgents;
    const eff = new Int32Array(P);
    for (let k = 0; k < batch.count; k++) {
      const src = batch.from[k] * W;
      const b = batch.to[k] * W;
      if (src !== b) batch.states.copyWithin(b, src, src + W);
      const st = batch.states;
      for (let p = 0; p < P; p++) batch.rewards[k * P + p] = 0;
      if (c.isTerminal(st, b)) {
        batch.terminal[k] = 1;
        continue;
      }
      for (let p = 0; p < P; p++) {
        const pos = st[b + c.POS + p];
        let a = batch.actions[k * P + p];
        if (pos < 0) {
          eff[p] = -1;
          continue;
        }
        const mi = l.moves.findIndex((m) => m.action === a);
        const hk = l.huntActions.indexOf(a);
        if (mi >= 0) {
          const t = c.moveTarget[pos * l.moves.length + mi];
          if (t < 0 || c.blocked(st, b, t)) a = l.stayAction;
        } else if (hk >= 0) {
          if (!c.bit(st, b, c.preyOff[hk], pos)) a = l.stayAction;
        } else a = l.stayAction;
        eff[p] = a;
      }
      const leaving = new Uint8Array(P);
      l.huntActions.forEach((ha, hk) => {
        for (let cell = 0; cell < c.cells; cell++) {
          if (!c.bit(st, b, c.preyOff[hk], cell)) continue;
          const group = [];
          for (let p = 0; p < P; p++) if (eff[p] === ha && st[b + c.POS + p] === cell) group.push(p);
          if (group.length === 0 || group.length < this.rules.minHunters[hk]) continue;
          for (const p of group) {
            batch.rewards[k * P + p] += this.rules.reward[hk] / group.length;
            leaving[p] = 1;
          }
          c.clearBit(st, b, c.preyOff[hk], cell);
        }
      });
      for (let p = 0; p < P; p++) {
        if (eff[p] < 0) continue;
        if (leaving[p]) st[b + c.POS + p] = -1;
        else {
          const mi = l.moves.findIndex((m) => m.action === eff[p]);
          if (mi >= 0) st[b + c.POS + p] = c.moveTarget[st[b + c.POS + p] * l.moves.length + mi];
        }
      }
      st[b + c.T]++;
      batch.terminal[k] = c.isTerminal(st, b) ? 1 : 0;
    }
  }

  legalActions(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++)
      for (let p = 0; p < this.numAgents; p++)
        this.codec.writeLegal(view.states, view.slots[k] * this.stateWords, p, out, (k * this.numAgents + p) * this.numActions);
  }

  agentDone(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) {
      const b = view.slots[k] * this.stateWords;
      const over = this.codec.isTerminal(view.states, b);
      for (let p = 0; p < this.numAgents; p++) out[k * this.numAgents + p] = over || view.states[b + this.codec.POS + p] < 0 ? 1 : 0;
    }
  }

  observe(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++)
      for (let p = 0; p < this.numAgents; p++)
        this.codec.render(view.states, view.slots[k] * this.stateWords, p, out, (k * this.numAgents + p) * this.observationSize);
  }

  time(view: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = view.states[view.slots[k] * this.stateWords];
  }

  terminal(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++) out[k] = this.codec.isTerminal(view.states, view.slots[k] * this.stateWords) ? 1 : 0;
  }

  hash(view: SimViewBatch, out: Uint32Array): void {
    for (let k = 0; k < view.count; k++) out[k] = this.codec.hash(view.states, view.slots[k] * this.stateWords);
  }

  goalsAvailable(view: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < view.count; k++)
      for (let g = 0; g < this.numGoals; g++) out[k * this.numGoals + g] = this.codec.preyLeft(view.states, view.slots[k] * this.stateWords, g);
  }
}

/**
 * A random legal joint action for every state (done players: noop). With `huntBias`, a player that may
 * hunt does so with that probability (uniform play rarely hunts, and hunts are what the model must learn).
 */
export function randomLegalActions(sim: BatchedSimulator, states: Int32Array, slots: Int32Array, rng: Rng, huntBias = 0): Int32Array {
  const n = slots.length;
  const P = sim.numAgents;
  const A = sim.numActions;
  const legal = new Uint8Array(n * P * A);
  sim.legalActions({ states, slots, count: n }, legal);
  const actions = new Int32Array(n * P);
  for (let i = 0; i < n * P; i++) {
    const valid = [];
    for (let a = 0; a < A; a++) if (legal[i * A + a]) valid.push(a);
    const hunts = valid.filter((a) => a >= 5);
    actions[i] = hunts.length && rng.next() < huntBias ? hunts[rng.int(hunts.length)] : valid[rng.int(valid.length)];
  }
  return actions;
}

/**
 * Plays `episodes` random episodes and records, for every step and every player on the grid, its own view
 * before and after, the rotated joint action, its reward and done flag: a dataset like the collector's.
 */
export function collectTinyDataset(
  world: TinyWorld,
  rng: Rng,
  episodes: number,
  counts: { obstacles: number; prey: number[] },
  huntBias = 0.3,
): TransitionDataset {
  const P = world.numAgents;
  const G = world.observationSize;
  const obs: number[] = [];
  const next: number[] = [];
  const ja: number[] = [];
  const reward: number[] = [];
  const done: number[] = [];
  const time: number[] = [];
  const ep: number[] = [];
  const st = new Int32Array(2 * world.stateWords);
  const view = new Float32Array(P * G);
  const after = new Float32Array(P * G);
  const rewards = new Float32Array(P);
  const terminal = new Uint8Array(1);
  for (let e = 0; e < episodes; e++) {
    world.randomState(rng, st, 0, counts);
    for (let t = 0; t < world.rules.finalTime; t++) {
      const slots = Int32Array.of(0);
      if (world.codec.isTerminal(st, 0)) break;
      const actions = randomLegalActions(world, st, slots, rng, huntBias);
      world.observe({ states: st, slots, count: 1 }, view);
      world.step({ states: st, from: slots, to: Int32Array.of(1), actions, count: 1, rewards, terminal });
      world.observe({ states: st, slots: Int32Array.of(1), count: 1 }, after);
      for (let i = 0; i < P; i++) {
        if (st[world.codec.POS + i] < 0) continue;
        obs.push(...view.subarray(i * G, (i + 1) * G));
        next.push(...after.subarray(i * G, (i + 1) * G));
        for (let m = 0; m < P; m++) {
          const p = (i + m) % P;
          ja.push(st[world.codec.POS + p] >= 0 ? actions[p] : -1);
        }
        reward.push(rewards[i]);
        done.push(terminal[0] || st[world.stateWords + world.codec.POS + i] < 0 ? 1 : 0);
        time.push(t);
        ep.push(e);
      }
      st.copyWithin(0, world.stateWords, 2 * world.stateWords);
    }
  }
  return TransitionDataset.fromColumns(world.layout, {
    obs: Float32Array.from(obs),
    nextObs: Float32Array.from(next),
    jointAction: Int32Array.from(ja),
    reward: Float32Array.from(reward),
    done: Uint8Array.from(done),
    time: Float32Array.from(time),
    episodeKey: Float64Array.from(ep),
  }, world.rules.finalTime);
}

/**
 * The TinyWorld's reward rule behind `@hop/core`'s `CatchRewards` (what a caller hands the planning adapter):
 * `reward[k]` split equally in the group that caught prey `k`, nothing else.
 */
export function tinyRewards(rules: TinyRules, players: number): CatchRewards {
  return {
    players,
    write(acting, caught, group, rewards, off) {
      for (let p = 0; p < players; p++) {
        rewards[off + p] = 0;
        const k = caught[p];
        if (k < 0 || !acting[p]) continue;
        let n = 0;
        for (let q = 0; q < players; q++) if (caught[q] === k && group[q] === group[p]) n++;
        rewards[off + p] = rules.reward[k] / n;
      }
    },
  };
}
