import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HopError } from '@hop/core';
import { klSchedule, klWeight, temperatureAt, temperatureSchedule, vaeTrainConfigSchema } from '../src/index';

describe('KL weight schedules', () => {
  it('constant', () => {
    const s = klSchedule({ kind: 'constant', value: 0.3 });
    expect([0, 7, 1e6].map((t) => klWeight(s, t))).toEqual([0.3, 0.3, 0.3]);
  });

  it('linear warm-up with a delay, at hand-computed points', () => {
    const s = klSchedule({ kind: 'linear', start: 0.1, end: 1.1, warmupSteps: 100, delaySteps: 20 });
    const at = [0, 20, 70, 120, 500].map((t) => klWeight(s, t));
    [0.1, 0.1, 0.6, 1.1, 1.1].forEach((v, i) => expect(at[i]).toBeCloseTo(v, 12));
  });

  it('sigmoid, at hand-computed points', () => {
    const s = klSchedule({ kind: 'sigmoid', start: 0, end: 2, midpoint: 50, steepness: 0.1 });
    expect(klWeight(s, 50)).toBeCloseTo(1, 12);
    expect(klWeight(s, 60)).toBeCloseTo(2 / (1 + Math.exp(-1)), 12); // 1.4621...
    expect(klWeight(s, 40)).toBeCloseTo(2 / (1 + Math.E), 12); // 0.5378...
  });

  it('cyclical ramps and holds every period', () => {
    const s = klSchedule({ kind: 'cyclical', start: 0, end: 1, period: 100, rampFraction: 0.5 });
    const at = [0, 25, 50, 99, 100, 125, 250].map((t) => klWeight(s, t));
    [0, 0.5, 1, 1, 0, 0.5, 1].forEach((v, i) => expect(at[i]).toBeCloseTo(v, 12));
    const full = klSchedule({ kind: 'cyclical', start: 0.2, end: 1, period: 100, rampFraction: 1 });
    expect(klWeight(full, 30)).toBeCloseTo(0.2 + 0.8 * 0.3, 12);
  });

  it('stays between start and end; linear and sigmoid never decrease; cyclical repeats', () => {
    const scheduleArb = fc.record({
      kind: fc.constantFrom('linear', 'sigmoid', 'cyclical'),
      start: fc.double({ min: 0, max: 5, noNaN: true }),
      end: fc.double({ min: 0, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(scheduleArb, fc.nat(100000), fc.nat(1000), (input, step, d) => {
        const s = klSchedule(
          input.kind === 'linear'
            ? { ...input, kind: 'linear', warmupSteps: 300 }
            : input.kind === 'sigmoid'
            ? { ...input, kind: 'sigmoid', midpoint: 200, steepness: 0.05 }
            : { ...input, kind: 'cyclical', period: 250 },
        );
        const a = klWeight(s, step);
        const lo = Math.min(input.start, input.end) - 1e-9;
        const hi = Math.max(input.start, input.end) + 1e-9;
        expect(a).toBeGreaterThanOrEqual(lo);
        expect(a).toBeLessThanOrEqual(hi);
        if (s.kind === 'cyclical') expect(klWeight(s, step + 250)).toBeCloseTo(a, 9);
        else if (input.end >= input.start) expect(klWeight(s, step + d)).toBeGreaterThanOrEqual(a - 1e-12);
      }),
    );
  });

  it('fills defaults and rejects bad schedules and steps with HopErrors', () => {
    expect(klSchedule({ kind: 'sigmoid' })).toEqual({
      kind: 'sigmoid',
      start: 0,
      end: 1,
      midpoint: 2500,
      steepness: 0.002,
    });
    expect(vaeTrainConfigSchema.parse({}).klWeight).toEqual({
      kind: 'linear',
      start: 0,
      end: 1,
      warmupSteps: 5000,
      delaySteps: 0,
    });
    expect(() => klSchedule({ kind: 'linear', warmupSteps: 0 })).toThrow(/warmupSteps/);
    expect(() => klSchedule({ kind: 'linear', warmupSteps: 0 })).toThrow(HopError);
    expect(() => klWeight(klSchedule({ kind: 'constant' }), -1)).toThrow(/step must be/);
  });
});

describe('temperature schedules', () => {
  it('exponential decays to its floor', () => {
    const s = temperatureSchedule({ kind: 'exponential', initial: 2, min: 0.5, rate: 0.01 });
    expect(temperatureAt(s, 0)).toBe(2);
    expect(temperatureAt(s, 100)).toBeCloseTo(2 * Math.exp(-1), 12);
    expect(temperatureAt(s, 200)).toBe(0.5); // 2 e^-2 = 0.27 is below the floor
  });

  it('linear and constant', () => {
    const s = temperatureSchedule({ kind: 'linear', initial: 1, final: 0.2, steps: 100 });
    expect(temperatureAt(s, 50)).toBeCloseTo(0.6, 12);
    expect(temperatureAt(s, 200)).toBeCloseTo(0.2, 12);
    expect(temperatureAt(temperatureSchedule({ kind: 'constant', value: 0.7 }), 9)).toBe(0.7);
  });

  it('exponential is non-increasing and never below its floor', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e-1, noNaN: true }), fc.nat(1e6), fc.nat(1e4), (rate, t, d) => {
        const s = temperatureSchedule({ kind: 'exponential', initial: 1, min: 0.3, rate });
        expect(temperatureAt(s, t)).toBeGreaterThanOrEqual(0.3);
        expect(temperatureAt(s, t + d)).toBeLessThanOrEqual(temperatureAt(s, t));
      }),
    );
  });
});
