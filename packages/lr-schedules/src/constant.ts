import type { Schedule } from './schedule.js';
import { checkStep, finite } from './validate.js';

/** The same rate at every step. */
export function constant(value: number): Schedule {
  finite('constant', 'value', value);
  return (step) => {
    checkStep('constant', step);
    return value;
  };
}
