import type { Schedule } from './schedule.js';
import { checkStep, fail, increasingIntegers } from './validate.js';

/**
 * Schedules run one after another (optax's join_schedules): `schedules[0]` until `boundaries[0]`, then
 * `schedules[1]` until `boundaries[1]`, and so on. Each later schedule sees the step counted from its own
 * boundary, so `join([warmup(peak, m), cosineDecay({ init: peak, steps: T })], [m])` starts the cosine at t = 0.
 */
export function join(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const where = 'join';
  if (!Array.isArray(schedules) || schedules.length === 0) {
    fail(where, 'schedules', schedules, 'a non-empty array of schedules');
  }
  schedules.forEach((s, i) => {
    if (typeof s !== 'function') fail(where, `schedules[${i}]`, s, 'a function (step) => number');
  });
  const bounds = increasingIntegers(where, 'boundaries', boundaries);
  if (bounds.length !== schedules.length - 1) {
    fail(where, 'boundaries.length', bounds.length, `schedules.length - 1 = ${schedules.length - 1}`);
  }
  const parts = [...schedules];
  return (step) => {
    checkStep(where, step);
    let i = 0;
    while (i < bounds.length && bounds[i]! <= step) i++;
    return parts[i]!(i === 0 ? step : step - bounds[i - 1]!);
  };
}
