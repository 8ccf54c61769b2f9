import type { Schedule } from './schedule.js';
import { checkStep, finite, nonNegativeInteger, positive, positiveInteger } from './validate.js';

export interface PolynomialOptions {
  init: number;
  /** Steps from `begin` until the rate reaches `final`. */
  steps: number;
  /** Default 0. */
  final?: number;
  /** Default 1 (linear decay). */
  power?: number;
  /** Step at which the decay starts (default 0). */
  begin?: number;
}

/**
 * (init - final) * (1 - t / steps)^power + final with t = clamp(step - begin, 0, steps): optax's
 * polynomial_schedule, GluonCV's 'poly', and PyTorch's PolynomialLR when final = 0.
 */
export function polynomial(options: PolynomialOptions): Schedule {
  const where = 'polynomial';
  const init = finite(where, 'init', options.init);
  const steps = positiveInteger(where, 'steps', options.steps);
  const final = finite(where, 'final', options.final ?? 0);
  const power = positive(where, 'power', options.power ?? 1);
  const begin = nonNegativeInteger(where, 'begin', options.begin ?? 0);
  return (step) => {
    checkStep(where, step);
    const t = Math.min(Math.max(step - begin, 0), steps);
    return (init - final) * (1 - t / steps) ** power + final;
  };
}
