import { z } from 'zod';

const weight = z.number().min(0);
const posInt = z.number().int().positive();

/** KL weight `alpha(step)` schedules (Bowman et al. 2016 sigmoid; Fu et al. 2019 cyclical). */
export const klScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), value: weight.default(1) }),
  /** `start` until `delaySteps`, then linear to `end` over `warmupSteps`, then `end`. */
  z.object({
    kind: z.literal('linear'),
    start: weight.default(0),
    end: weight.default(1),
    warmupSteps: posInt.default(5000),
    delaySteps: z.number().int().min(0).default(0),
  }),
  /** `start + (end - start) / (1 + exp(-steepness * (step - midpoint)))`. */
  z.object({
    kind: z.literal('sigmoid'),
    start: weight.default(0),
    end: weight.default(1),
    midpoint: z.number().min(0).default(2500),
    steepness: z.number().positive().default(0.002),
  }),
  /** Repeats every `period` steps: a linear ramp over the first `rampFraction` of it, then `end`. */
  z.object({
    kind: z.literal('cyclical'),
    start: weight.default(0),
    end: weight.default(1),
    period: posInt.default(5000),
    rampFraction: z.number().gt(0).max(1).default(0.5),
  }),
]);

/** Gumbel-softmax temperature `tau(step)` schedules (Jang et al. 2017 anneal exponentially to a floor). */
export const temperatureScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), value: z.number().positive().default(1) }),
  /** `max(min, initial * exp(-rate * step))`. */
  z.object({
    kind: z.literal('exponential'),
    initial: z.number().positive().default(1),
    min: z.number().positive().default(0.5),
    rate: z.number().min(0).default(1e-4),
  }),
  /** Linear from `initial` to `final` over `steps`, then `final`. */
  z.object({
    kind: z.literal('linear'),
    initial: z.number().positive().default(1),
    final: z.number().positive().default(0.5),
    steps: posInt.default(10000),
  }),
]);

export type KlSchedule = z.output<typeof klScheduleSchema>;
export type KlScheduleInput = z.input<typeof klScheduleSchema>;
export type TemperatureSchedule = z.output<typeof temperatureScheduleSchema>;
export type TemperatureScheduleInput = z.input<typeof temperatureScheduleSchema>;
