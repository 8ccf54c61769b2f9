import type { Schedule } from './schedule.js';
import { checkStep, finite, nonNegativeInteger, positive, positiveInteger } from './validate.js';

export interface LinearOptions {
  /** Rate at step `begin` and before it. */
  from: number;
  /** Rate at step `begin + steps` and after it. */
  to: number;
  /** Number of steps the ramp takes (>= 1). */
  steps: number;
  /** Step at which the ramp starts (default 0). */
  begin?: number;
}

/**
 * Linear interpolation from `from` (step `begin`) to `to` (step `begin + steps`), held constant outside
 * (optax's `linear_schedule`; PyTorch's LinearLR with `from = base * start_factor`, `to = base * end_factor`).
 * `linear({ from: 0, to: peak, steps: m })` is the warmup that starts at 0 (timm, optax); the paper's form,
 * whose first step already uses peak / m, is `warmup(peak, m)`.
 */
export function linear(options: LinearOptions): Schedule {
  const where = 'linear';
  const from = finite(where, 'from', options.from);
  const to = finite(where, 'to', options.to);
  const steps = positiveInteger(where, 'steps', options.steps);
  const begin = nonNegativeInteger(where, 'begin', options.begin ?? 0);
  return (step) => {
    checkStep(where, step);
    const t = Math.min(Math.max(step - begin, 0), steps);
    return t === steps ? to : from + (to - from) * (t / steps);
  };
}

/**
 * The paper's linear warmup: lr_i = i * peak / m for batch i = 1..m, where batch i is step i - 1. So step 0
 * already uses peak / m (no update is wasted at rate 0), step m - 1 reaches `peak`, and later steps hold it.
 * Equals `linear({ from: peak / m, to: peak, steps: m - 1 })` for m >= 2.
 */
export function warmup(peak: number, steps: number): Schedule {
  positive('warmup', 'peak', peak);
  positiveInteger('warmup', 'steps', steps);
  return (step) => {
    checkStep('warmup', step);
    return step + 1 >= steps ? peak : (peak * (step + 1)) / steps;
  };
}
