import type { Schedule } from './schedule.js';
import { checkStep, finite, positive, positiveInteger } from './validate.js';

export interface StepDecayOptions {
  init: number;
  /** Multiply by `gamma` every `stepSize` steps. */
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
}

/** init * gamma^floor(step / stepSize), PyTorch's StepLR. */
export function stepDecay(options: StepDecayOptions): Schedule {
  const where = 'stepDecay';
  const init = finite(where, 'init', options.init);
  const stepSize = positiveInteger(where, 'stepSize', options.stepSize);
  const gamma = positive(where, 'gamma', options.gamma ?? 0.1);
  return (step) => init * gamma ** Math.floor(checkStep(where, step) / stepSize);
}
