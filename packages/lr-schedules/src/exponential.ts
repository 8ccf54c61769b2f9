import type { Schedule } from './schedule.js';
import { checkStep, finite, nonNegativeInteger, positive } from './validate.js';

export interface ExponentialOptions {
  init: number;
  /** Factor applied per `every` steps. */
  gamma: number;
  /** Default 1: gamma per step (PyTorch's ExponentialLR). */
  every?: number;
  /** Decay in whole periods of `every` steps instead of continuously (default false). */
  staircase?: boolean;
  /** Step at which the decay starts (default 0). */
  begin?: number;
  /** Bound the rate stops at: a floor when gamma < 1, a ceiling when gamma > 1. */
  final?: number;
}

/** init * gamma^((step - begin) / every), optax's exponential_decay. */
export function exponential(options: ExponentialOptions): Schedule {
  const where = 'exponential';
  const init = finite(where, 'init', options.init);
  const gamma = positive(where, 'gamma', options.gamma);
  const every = positive(where, 'every', options.every ?? 1);
  const begin = nonNegativeInteger(where, 'begin', options.begin ?? 0);
  const staircase = options.staircase ?? false;
  const final = options.final === undefined ? undefined : finite(where, 'final', options.final);
  return (step) => {
    checkStep(where, step);
    const periods = Math.max(step - begin, 0) / every;
    const value = init * gamma ** (staircase ? Math.floor(periods) : periods);
    if (final === undefined) return value;
    return gamma < 1 ? Math.max(value, final) : Math.min(value, final);
  };
}
