import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HopError, createGameSimulator, legalActionsOf, observeState, stepState, viewState } from '../src/base';

/**
 * A walk on a line of 4 cells, 2 walkers, actions 0 left / 1 stay / 2 right (no move off the line); standing
 * on cell 3 pays 1 and makes that walker done; the episode ends when both are done. Observation of agent i:
 * [own cell, other's cell]. Goals: "reach 3" is available while someone is not there yet.
 */
const sim = createGameSimulator({
  numAgents: 2,
  numActions: 3,
  noopAction: 1,
  state: { pos: 2 },
  observationShape: [2],
  maxSteps: 10,
  reset: (s) => s.pos.set([0, 1]),
  step(s, actions, rewards) {
    for (let i = 0; i < 2; i++) {
      if (actions[i] < 0) continue; // done
      s.pos[i] = Math.min(3, Math.max(0, s.pos[i] + actions[i] - 1));
      if (s.pos[i] === 3) rewards[i] = 1;
    }
  },
  legalActions: (s, i, mask) => mask.set([+(s.pos[i] > 0), 1, 1]),
  agentDone: (s, i) => s.pos[i] === 3,
  observe: (s, i, out) => out.set([s.pos[i], s.pos[1 - i]]),
  terminal: (s) => s.pos[0] === 3 && s.pos[1] === 3,
  goals: { count: 1, available: (s, out) => out.set([+(s.pos[0] < 3 || s.pos[1] < 3)]) },
});

describe('single-state helpers', () => {
  it('read one state of an arena by hand-worked values', () => {
    const states = sim.allocate(3);
    sim.write(states, 1, { pos: [0, 3] }, 4);
    expect(Array.from(observeState(sim, states, 1))).toEqual([0, 3, 3, 0]);
    expect(Array.from(observeState(sim, states, 1, 1))).toEqual([3, 0]);
    // walker 0 at the left end: no "left"; walker 1 is done: only the no-op (1)
    expect(Array.from(legalActionsOf(sim, states, 1))).toEqual([0, 1, 1, 0, 1, 0]);
    expect(Array.from(legalActionsOf(sim, states, 1, 0))).toEqual([0, 1, 1]);
    const v = viewState(sim, states, 1);
    expect({ ...v, observations: [...v.observations], legalActions: [...v.legalActions], agentDone: [...v.agentDone], goalsAvailable: [...v.goalsAvailable] }).toEqual({
      observations: [0, 3, 3, 0],
      legalActions: [0, 1, 1, 0, 1, 0],
      agentDone: [0, 1],
      goalsAvailable: [1],
      time: 4,
      terminal: false,
    });
  });

  it('step one state in place or into another slot, synchronously for a game simulator', () => {
    const states = sim.allocate(2);
    sim.write(states, 0, { pos: [2, 3] }, 1);
    const r = stepState(sim, states, 0, [2, 1], 1);
    expect({ rewards: [...r.rewards], terminal: r.terminal }).toEqual({ rewards: [1, 0], terminal: true });
    expect(sim.read(states, 1)).toEqual({ time: 2, values: { pos: [3, 3] } });
    expect(sim.read(states, 0)).toEqual({ time: 1, values: { pos: [2, 3] } }); // the source is untouched
    const again = stepState(sim, states, 0, [0, 1]);
    expect({ rewards: [...again.rewards], terminal: again.terminal }).toEqual({ rewards: [0, 0], terminal: false });
    expect(sim.read(states, 0).values.pos).toEqual([1, 3]);
  });

  it('equal the batched calls row for row (any positions, any slot)', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 6 }), (positions) => {
        const states = sim.allocate(positions.length);
        positions.forEach((pos, k) => sim.write(states, k, { pos }));
        const slots = Int32Array.from(positions.keys()).reverse();
        const view = { states, slots, count: slots.length };
        const obs = new Float32Array(slots.length * 4);
        const legal = new Uint8Array(slots.length * 6);
        sim.observe(view, obs);
        sim.legalActions(view, legal);
        slots.forEach((slot, k) => {
          expect(observeState(sim, states, slot)).toEqual(obs.subarray(k * 4, k * 4 + 4));
          expect(legalActionsOf(sim, states, slot)).toEqual(legal.subarray(k * 6, k * 6 + 6));
          checked++;
        });
      }),
      { seed: 27, numRuns: 50 },
    );
    console.log(`single-state helpers: ${checked} states compared with the batched calls`);
    expect(checked).toBeGreaterThan(50);
  });

  it('name a slot outside the arena, a missing agent and a wrong number of actions', () => {
    const states = sim.allocate(2);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof HopError ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(code(() => observeState(sim, states, 2))).toBe('E_GAME: observeState: slot 2 is outside the arena (6 words hold 2 states of 3 words)');
    expect(code(() => legalActionsOf(sim, states, 0, 2))).toBe('E_AGENT: legalActionsOf: agent 2 does not exist (the game has 2 agents)');
    expect(code(() => stepState(sim, states, 0, [1]))).toBe('E_SHAPE: stepState: 1 actions given, the game has 2 agents (one action each)');
  });
});
