import { HopError } from '@hop/core';
import { parseConfig } from '../config';
import {
  klScheduleSchema,
  temperatureScheduleSchema,
  type KlSchedule,
  type KlScheduleInput,
  type TemperatureSchedule,
  type TemperatureScheduleInput,
} from './schemas';

function checkStep(step: number): void {
  if (!(Number.isFinite(step) && step >= 0))
    throw new HopError('E_STEP', `schedule step must be a finite number >= 0, got ${step}`);
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** The KL weight `alpha` at `step`: a pure function of the schedule and the step. */
export function klWeight(schedule: KlSchedule, step: number): number {
  checkStep(step);
  switch (schedule.kind) {
    case 'constant':
      return schedule.value;
    case 'linear': {
      const t = clamp01((step - schedule.delaySteps) / schedule.warmupSteps);
      return schedule.start + (schedule.end - schedule.start) * t;
    }
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-schedule.steepness * (step - schedule.midpoint)));
      return schedule.start + (schedule.end - schedule.start) * s;
    }
    case 'cyclical': {
      const phase = (step % schedule.period) / schedule.period;
      return schedule.start + (schedule.end - schedule.start) * Math.min(1, phase / schedule.rampFraction);
    }
  }
}

/** The Gumbel-softmax temperature at `step`. */
export function temperatureAt(schedule: TemperatureSchedule, step: number): number {
  checkStep(step);
  switch (schedule.kind) {
    case 'constant':
      return schedule.value;
    case 'exponential':
      return Math.max(schedule.min, schedule.initial * Math.exp(-schedule.rate * step));
    case 'linear':
      return schedule.initial + (schedule.final - schedule.initial) * clamp01(step / schedule.steps);
  }
}

/** Validates a KL schedule and fills its defaults (`{ kind: 'sigmoid' }` is enough). */
export function klSchedule(input: KlScheduleInput): KlSchedule {
  return parseConfig(klScheduleSchema, input, 'KL weight schedule');
}

/** Validates a temperature schedule and fills its defaults. */
export function temperatureSchedule(input: TemperatureScheduleInput): TemperatureSchedule {
  return parseConfig(temperatureScheduleSchema, input, 'temperature schedule');
}
