import type { Schedule } from './schedule.js';
import { checkStep, finite, positiveInteger } from './validate.js';

export interface CosineDecayOptions {
  init: number;
  /** Length T of the decay; from step T on the rate is `final`. */
  steps: number;
  /** Default 0. */
  final?: number;
}

/**
 * final + (init - final) * (1 + cos(pi * t / T)) / 2 for t = min(step, T): the paper's cosine decay, held at
 * `final` after T. Equals PyTorch's CosineAnnealingLR (eta_min = final, T_max = T) for steps 0..T; PyTorch
 * keeps following the cosine back up after T, this schedule does not.
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  const where = 'cosineDecay';
  const init = finite(where, 'init', options.init);
  const steps = positiveInteger(where, 'steps', options.steps);
  const final = finite(where, 'final', options.final ?? 0);
  return (step) => {
    checkStep(where, step);
    if (step >= steps) return final;
    return final + ((init - final) * (1 + Math.cos((Math.PI * step) / steps))) / 2;
  };
}
