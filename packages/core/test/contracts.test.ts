import { describe, expect, it } from 'vitest';
import type {
  Agent,
  AgentId,
  BatchedSimulator,
  CoPlayerModel,
  Evaluator,
  GoalBatch,
  GridObservation,
  ObservationBatch,
  ParallelEnv,
  PerAgent,
  SimStepBatch,
  SimViewBatch,
  StepResult,
  Trajectory,
  Transition,
} from '../src/index';
import { Rng } from '../src/rng/rng';

/**
 * The contracts are types only; this file proves they can be implemented and used as the README shows,
 * with a toy game: two agents on a line of 5 cells, actions 0 = stay, 1 = left, 2 = right; reaching cell 4
 * pays 1 and ends that agent; the episode is cut off after 6 steps.
 */
const CELLS = 5;
const MAX_T = 6;
const NUM_ACTIONS = 3;

function observe(pos: readonly number[], me: number, t: number, done: boolean): GridObservation {
  // [1, CELLS, 2] channels-last: channel 0 = me, channel 1 = the other agent
  const grid = new Float32Array(CELLS * 2);
  grid[pos[me] * 2] = 1;
  grid[pos[1 - me] * 2 + 1] = 1;
  return { grid, shape: [1, CELLS, 2], actionMask: done ? Uint8Array.of(1, 0, 0) : Uint8Array.of(1, 1, 1), time: t };
}

class LineEnv implements ParallelEnv {
  readonly possibleAgents = ['player_0', 'player_1'];
  readonly numActions = NUM_ACTIONS;
  agents: AgentId[] = [];
  private pos = [0, 0];
  private t = 0;

  reset(seed = 0) {
    const rng = new Rng(seed);
    this.pos = [rng.int(2), rng.int(2)];
    this.t = 0;
    this.agents = [...this.possibleAgents];
    const observations = Object.fromEntries(this.agents.map((a, i) => [a, observe(this.pos, i, 0, false)]));
    return { observations, infos: Object.fromEntries(this.agents.map((a) => [a, {}])) };
  }

  step(actions: PerAgent<number>): StepResult<GridObservation, Record<string, unknown>> {
    const acting = this.agents;
    this.t++;
    const r: StepResult<GridObservation, Record<string, unknown>> = { observations: {}, rewards: {}, terminations: {}, truncations: {}, infos: {} };
    for (const a of acting) {
      const i = this.possibleAgents.indexOf(a);
      const act = actions[a] ?? 0;
      this.pos[i] = Math.min(CELLS - 1, Math.max(0, this.pos[i] + (act === 2 ? 1 : act === 1 ? -1 : 0)));
      const hit = this.pos[i] === CELLS - 1;
      r.rewards[a] = hit ? 1 : 0;
      r.terminations[a] = hit;
      r.truncations[a] = !hit && this.t >= MAX_T;
      r.observations[a] = observe(this.pos, i, this.t, hit);
      r.infos[a] = {};
    }
    this.agents = acting.filter((a) => !r.terminations[a] && !r.truncations[a]);
    return r;
  }

  actionMask(agent: AgentId): Uint8Array {
    return this.agents.includes(agent) ? Uint8Array.of(1, 1, 1) : Uint8Array.of(1, 0, 0);
  }
}

/** Plays one episode with one Agent per player, recording every step of every live agent. */
function playEpisode(env: ParallelEnv, agents: Record<AgentId, Agent>, seed: number, episode = 0): Trajectory[] {
  let { observations } = env.reset(seed);
  for (const a of Object.values(agents)) a.reset?.(seed);
  const trajectories = env.possibleAgents.map((_, agent): Trajectory => ({ agent, episode, transitions: [] }));
  while (env.agents.length > 0) {
    const actions = Object.fromEntries(env.agents.map((id) => [id, agents[id].act(observations[id])]));
    const step = env.step(actions);
    for (const id of Object.keys(actions)) {
      const o = observations[id];
      const agent = env.possibleAgents.indexOf(id);
      const t: Transition = {
        obs: Float32Array.from([...o.actionMask, ...o.grid]),
        action: actions[id],
        reward: step.rewards[id],
        done: step.terminations[id] || step.truncations[id],
        time: o.time,
        agent,
        episode,
        envId: 0,
        goal: -1,
      };
      trajectories[agent].transitions.push(t);
    }
    observations = step.observations;
  }
  return trajectories;
}

const always = (name: string, action: number): Agent => ({ name, act: () => action });

/** The same game as a BatchedSimulator: state = [t, pos0, pos1, done0, done1] (5 int32 words). */
class LineSim implements BatchedSimulator {
  readonly numAgents = 2;
  readonly numActions = NUM_ACTIONS;
  readonly stateWords = 5;
  readonly observationShape = [1, CELLS, 2];
  readonly observationSize = CELLS * 2;
  readonly noopAction = 0;
  readonly numGoals = 1;

  step(b: SimStepBatch): void {
    const W = this.stateWords;
    for (let k = 0; k < b.count; k++) {
      const s = b.from[k] * W;
      const d = b.to[k] * W;
      const t = b.states[s] + 1;
      let over = t >= MAX_T;
      const next = [t, 0, 0, 0, 0];
      for (let i = 0; i < 2; i++) {
        const done = b.states[s + 3 + i] === 1;
        const act = done ? 0 : b.actions[k * 2 + i];
        const p = Math.min(CELLS - 1, Math.max(0, b.states[s + 1 + i] + (act === 2 ? 1 : act === 1 ? -1 : 0)));
        const hit = !done && p === CELLS - 1;
        b.rewards[k * 2 + i] = hit ? 1 : 0;
        next[1 + i] = p;
        next[3 + i] = done || hit ? 1 : 0;
      }
      over ||= next[3] === 1 && next[4] === 1;
      b.states.set(next, d); // written after reading: `to` may equal `from`
      b.terminal[k] = over ? 1 : 0;
    }
  }
  legalActions(v: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < v.count; k++)
      for (let i = 0; i < 2; i++) out.set(v.states[v.slots[k] * 5 + 3 + i] ? [1, 0, 0] : [1, 1, 1], (k * 2 + i) * 3);
  }
  agentDone(v: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < v.count; k++) for (let i = 0; i < 2; i++) out[k * 2 + i] = v.states[v.slots[k] * 5 + 3 + i];
  }
  observe(v: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < v.count; k++) {
      const s = v.slots[k] * 5;
      const pos = [v.states[s + 1], v.states[s + 2]];
      for (let i = 0; i < 2; i++) out.set(observe(pos, i, v.states[s], false).grid, (k * 2 + i) * this.observationSize);
    }
  }
  time(v: SimViewBatch, out: Float32Array): void {
    for (let k = 0; k < v.count; k++) out[k] = v.states[v.slots[k] * 5];
  }
  terminal(v: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < v.count; k++) {
      const s = v.slots[k] * 5;
      out[k] = v.states[s] >= MAX_T || (v.states[s + 3] && v.states[s + 4]) ? 1 : 0;
    }
  }
  hash(v: SimViewBatch, out: Uint32Array): void {
    for (let k = 0; k < v.count; k++) {
      let h = 0x811c9dc5;
      for (let w = 0; w < 5; w++) h = Math.imul(h ^ v.states[v.slots[k] * 5 + w], 0x01000193);
      out[k] = h >>> 0;
    }
  }
  goalsAvailable(v: SimViewBatch, out: Uint8Array): void {
    for (let k = 0; k < v.count; k++) out[k] = v.states[v.slots[k] * 5 + 3] && v.states[v.slots[k] * 5 + 4] ? 0 : 1;
  }
}

describe('ParallelEnv + Agent + Transition', () => {
  it('plays an episode in the PettingZoo parallel convention: finished agents leave `agents`', () => {
    const env = new LineEnv();
    const runner = always('runner', 2);
    const sitter = always('sitter', 0);
    const [a, b] = playEpisode(env, { player_0: runner, player_1: sitter }, 7);
    const start = new Rng(7).int(2);
    // the runner needs 4 - start steps to reach cell 4, is paid 1 and terminates
    expect(a.transitions.map((t) => t.reward)).toEqual([...Array(3 - start).fill(0), 1]);
    expect(a.transitions.at(-1)?.done).toBe(true);
    // the sitter stays until the 6-step cut-off
    expect(b.transitions).toHaveLength(MAX_T);
    expect(b.transitions.every((t) => t.reward === 0)).toBe(true);
    expect(b.transitions.map((t) => t.time)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(env.agents).toEqual([]);
    expect(env.actionMask('player_0')).toEqual(Uint8Array.of(1, 0, 0));
    // obs is the flat [mask, grid] record
    expect(a.transitions[0].obs).toHaveLength(NUM_ACTIONS + CELLS * 2);
  });
});

describe('BatchedSimulator', () => {
  it('snapshots, restores and steps slot-addressed states in one int32 arena', () => {
    const sim = new LineSim();
    const capacity = 4;
    const states = new Int32Array(capacity * sim.stateWords);
    states.set([0, 2, 3, 0, 0], 0); // slot 0: t=0, players at 2 and 3
    const snapshot = states.slice(0, sim.stateWords); // a snapshot is a copy of stateWords words
    // two children of slot 0 in one call: both step right / both stay
    const batch: SimStepBatch = {
      states,
      from: Int32Array.of(0, 0),
      to: Int32Array.of(1, 2),
      actions: Int32Array.of(2, 2, 0, 0),
      count: 2,
      rewards: new Float32Array(4),
      terminal: new Uint8Array(2),
    };
    sim.step(batch);
    expect(Array.from(states.subarray(5, 10))).toEqual([1, 3, 4, 0, 1]);
    expect(Array.from(states.subarray(10, 15))).toEqual([1, 2, 3, 0, 0]);
    expect(Array.from(batch.rewards)).toEqual([0, 1, 0, 0]);
    expect(Array.from(states.subarray(0, 5))).toEqual(Array.from(snapshot)); // the parent is untouched

    const view: SimViewBatch = { states, slots: Int32Array.of(1, 2, 0), count: 3 };
    const legal = new Uint8Array(3 * 2 * 3);
    sim.legalActions(view, legal);
    expect(Array.from(legal.subarray(0, 6))).toEqual([1, 1, 1, 1, 0, 0]); // player_1 is done: only the no-op
    const obs = new Float32Array(3 * 2 * sim.observationSize);
    sim.observe(view, obs);
    expect(obs[(0 * 2 + 0) * sim.observationSize + 3 * 2]).toBe(1); // player_0 of slot 1 sees itself at cell 3

    // equal states hash equal: step slot 2 in place back to the state of slot 1
    sim.step({ ...batch, from: Int32Array.of(2), to: Int32Array.of(2), actions: Int32Array.of(2, 2), count: 1 });
    const h = new Uint32Array(2);
    sim.hash({ states, slots: Int32Array.of(1, 2), count: 2 }, h);
    expect(Array.from(states.subarray(10, 15))).toEqual([2, 3, 4, 0, 1]);
    expect(h[0]).not.toBe(h[1]); // the time differs
    states.copyWithin(10, 5, 10); // restore slot 1 into slot 2
    sim.hash({ states, slots: Int32Array.of(1, 2), count: 2 }, h);
    expect(h[0]).toBe(h[1]);
  });
});

describe('Evaluator and CoPlayerModel', () => {
  it('are batched functions over flat typed arrays, batch first', async () => {
    const sim = new LineSim();
    // evaluator: prefer "right" and value = the observer's position / 4
    const evaluator: Evaluator = ({ batch, observations }: ObservationBatch) => {
      const logits = new Float32Array(batch * NUM_ACTIONS);
      const values = new Float32Array(batch);
      for (let b = 0; b < batch; b++) {
        logits[b * NUM_ACTIONS + 2] = 1;
        const mine = observations.subarray(b * sim.observationSize, (b + 1) * sim.observationSize);
        values[b] = mine.findIndex((v, j) => v === 1 && j % 2 === 0) / 2 / 4;
      }
      return { logits, values };
    };
    // co-player: goal 0 = "go right", goal 1 = "stay"; masked actions get 0
    const coPlayer: CoPlayerModel = async ({ batch, masks, goals, goalDim }: GoalBatch) => {
      const probs = new Float32Array(batch * NUM_ACTIONS);
      for (let b = 0; b < batch; b++) {
        const want = goals[b * goalDim] === 1 ? 2 : 0;
        probs[b * NUM_ACTIONS + (masks[b * NUM_ACTIONS + want] ? want : 0)] = 1;
      }
      return { probs };
    };
    const states = Int32Array.of(0, 1, 3, 0, 0);
    const observations = new Float32Array(2 * sim.observationSize);
    sim.observe({ states, slots: Int32Array.of(0), count: 1 }, observations);
    const masks = new Uint8Array(2 * NUM_ACTIONS);
    sim.legalActions({ states, slots: Int32Array.of(0), count: 1 }, masks);
    const input: ObservationBatch = { batch: 2, observations, masks, times: new Float32Array(2) };
    const ev = await evaluator(input);
    expect(Array.from(ev.values)).toEqual([1 / 4, 3 / 4]);
    const cp = await coPlayer({ ...input, goals: Float32Array.of(1, 0, 0, 1), goalDim: 2 });
    expect(Array.from(cp.probs)).toEqual([0, 0, 1, 1, 0, 0]);
  });
});
