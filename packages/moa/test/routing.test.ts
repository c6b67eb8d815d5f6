import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hop/core';
import { MOAModel, PairRegistry, pairCoPlayerModel } from '../src/index';

describe('pairCoPlayerModel', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('answers each row with its own pair model (generic while shared), one call per distinct model', async () => {
    const make = (seed: number) => new MOAModel({ observationShape: [4], numActions: 3, goalDim: 2, maxTime: 10, mlpUnits: [4], hiddenUnits: 4, seed });
    const generic = make(1);
    const reg = new PairRegistry(generic, 3);
    reg.adopt(0, 1, make(2)); // pair 0 -> 1 has its own weights, the rest share the generic model
    const B = 4;
    const input = {
      batch: B,
      observations: Float32Array.from({ length: B * 4 }, (_, k) => Math.sin(k)),
      masks: Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1]),
      times: Float32Array.of(0, 1, 2, 3),
      goals: Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1),
      goalDim: 2,
    };
    const owners = { focal: Int32Array.of(0, 1, 0, 2), agent: Int32Array.of(1, 0, 2, 1) };
    const calls: number[] = [];
    const route = pairCoPlayerModel(reg, (m) => async (b) => {
      calls.push(b.batch);
      const p = m.probs({ obs: b.observations, mask: b.masks, time: b.times, goal: b.goals });
      const probs = p.dataSync() as Float32Array;
      p.dispose();
      return { probs };
    });
    const out = (await route(input, owners)).probs;
    expect(calls.sort()).toEqual([1, 3]); // row 0 by the own pair model, rows 1-3 by the generic one
    // each row equals its model run on that row alone
    for (let r = 0; r < B; r++) {
      const m = r === 0 ? reg.model(0, 1) : generic;
      const p = m.probs({ obs: input.observations.subarray(r * 4, r * 4 + 4), mask: input.masks.subarray(r * 3, r * 3 + 3), time: input.times.subarray(r, r + 1), goal: input.goals.subarray(r * 2, r * 2 + 2) });
      const v = p.dataSync();
      p.dispose();
      for (let a = 0; a < 3; a++) expect(out[r * 3 + a]).toBeCloseTo(v[a], 6);
    }
    // masked actions (row 1: action 1, row 2: action 2, row 3: action 0) have probability exactly 0,
    // and the pair's own model answers differently from the generic one
    expect([out[1 * 3 + 1], out[2 * 3 + 2], out[3 * 3 + 0]]).toEqual([0, 0, 0]);
    const g = generic.probs({ obs: input.observations.subarray(0, 4), mask: input.masks.subarray(0, 3), time: input.times.subarray(0, 1), goal: input.goals.subarray(0, 2) });
    expect(Array.from(g.dataSync())).not.toEqual(Array.from(out.subarray(0, 3)));
    g.dispose();
    // the default runner is tfjs and gives the same answers
    expect(Array.from((await pairCoPlayerModel(reg)(input, owners)).probs)).toEqual(Array.from(out));
    await expect(pairCoPlayerModel(reg)({ ...input, goalDim: 3 }, owners)).rejects.toThrow(/goalDim is 3/);
    reg.dispose();
    generic.dispose();
  });
});
