import type { Schedule } from './schedule.js';
import { checkStep, finite, increasingIntegers, positive } from './validate.js';

export interface MultiStepOptions {
  init: number;
  /** Steps at which the rate is multiplied by `gamma`: strictly increasing integers >= 0. */
  milestones: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/** init * gamma^(number of milestones <= step), PyTorch's MultiStepLR. */
export function multiStep(options: MultiStepOptions): Schedule {
  const where = 'multiStep';
  const init = finite(where, 'init', options.init);
  const milestones = increasingIntegers(where, 'milestones', options.milestones);
  const gamma = positive(where, 'gamma', options.gamma ?? 0.1);
  return (step) => {
    checkStep(where, step);
    let passed = 0;
    while (passed < milestones.length && milestones[passed]! <= step) passed++;
    return init * gamma ** passed;
  };
}
