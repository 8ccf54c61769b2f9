import type { Schedule } from './schedule.js';
import { fail, nonNegativeInteger } from './validate.js';

interface RateHolder {
  learningRate?: unknown;
  setLearningRate?: unknown;
  applyGradients?: unknown;
  iterations?: unknown;
}

/**
 * Sets an optimizer's learning rate. tfjs's SGD and Momentum optimizers cache the rate in a tensor, so for
 * them (and anything else with a `setLearningRate` method) the method is called; otherwise (Adam, RMSProp,
 * Adagrad, ...) the `learningRate` field, which they read on every step, is assigned.
 */
export function setLearningRate(optimizer: object, lr: number): void {
  const o = optimizer as RateHolder;
  if (typeof o.setLearningRate === 'function') {
    (o.setLearningRate as (lr: number) => void).call(optimizer, lr);
  } else if ('learningRate' in o) {
    o.learningRate = lr;
  } else {
    throw new TypeError(
      'setLearningRate: optimizer has neither a setLearningRate() method nor a learningRate field',
    );
  }
}

export interface BindOptions {
  /**
   * Step of the next update. Default: the optimizer's `iterations` when it has a numeric one (tfjs optimizers
   * count their updates and restore the count with setWeights), else 0.
   */
  startStep?: number;
}

export interface OptimizerBinding {
  /** Step the next update will use. */
  readonly step: number;
  /** Rate last set on the optimizer. */
  readonly learningRate: number;
  /** Moves to `step` (e.g. after restoring a checkpoint) and sets its rate now. */
  seek(step: number): void;
  /** Restores the optimizer's own applyGradients; the rate stays where it is. */
  unbind(): void;
}

/**
 * Makes `optimizer` follow `schedule`: before every `applyGradients` call (which `minimize` and
 * `model.fit` go through) the rate for the current step is set, and the step advances by one afterwards.
 * Needs no tfjs import: it works on any object with `applyGradients` and a settable rate.
 */
export function bindOptimizer(
  optimizer: object,
  schedule: Schedule,
  options: BindOptions = {},
): OptimizerBinding {
  const o = optimizer as RateHolder;
  if (typeof schedule !== 'function')
    fail('bindOptimizer', 'schedule', schedule, 'a function (step) => number');
  if (typeof o.applyGradients !== 'function') {
    throw new TypeError('bindOptimizer: optimizer has no applyGradients() method');
  }
  const hadOwn = Object.hasOwn(o, 'applyGradients');
  const original = o.applyGradients as (...args: unknown[]) => unknown;
  const fromOptimizer = typeof o.iterations === 'number' ? o.iterations : 0;
  let step = nonNegativeInteger('bindOptimizer', 'startStep', options.startStep ?? fromOptimizer);
  let current = Number.NaN;
  let bound = true;

  const apply = (): void => {
    const lr = schedule(step);
    if (typeof lr !== 'number' || !Number.isFinite(lr))
      fail('bindOptimizer', `schedule(${step})`, lr, 'finite');
    // Skipping unchanged rates avoids re-creating SGD's cached scalar tensor on every step.
    if (lr !== current) {
      setLearningRate(optimizer, lr);
      current = lr;
    }
  };

  apply();
  o.applyGradients = function (this: unknown, ...args: unknown[]): unknown {
    apply();
    const result = original.apply(this, args);
    step++;
    return result;
  };

  return {
    get step() {
      return step;
    },
    get learningRate() {
      return current;
    },
    seek(next: number) {
      step = nonNegativeInteger('seek', 'step', next);
      apply();
    },
    unbind() {
      if (!bound) return;
      bound = false;
      if (hadOwn) o.applyGradients = original;
      else delete o.applyGradients;
    },
  };
}
