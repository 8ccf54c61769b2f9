import { atLeast, finite, nonNegativeInteger, positive, positiveInteger } from './validate.js';

export interface LinearScalingOptions {
  /** Rate at the reference batch size (default 0.1, the paper's). */
  baseLr?: number;
  /** Reference batch size (default 256). */
  baseBatchSize?: number;
}

/** The linear scaling rule (Goyal et al.; the paper): baseLr * batchSize / baseBatchSize; 0.4 at 1024. */
export function linearScaling(batchSize: number, options: LinearScalingOptions = {}): number {
  positiveInteger('linearScaling', 'batchSize', batchSize);
  const baseLr = finite('linearScaling', 'baseLr', options.baseLr ?? 0.1);
  const baseBatchSize = positive('linearScaling', 'baseBatchSize', options.baseBatchSize ?? 256);
  return (baseLr * batchSize) / baseBatchSize;
}

/** Optimizer steps in one epoch: ceil(samples / batchSize), or floor with `dropLast`. */
export function stepsPerEpoch(
  samples: number,
  batchSize: number,
  options: { dropLast?: boolean } = {},
): number {
  nonNegativeInteger('stepsPerEpoch', 'samples', samples);
  positiveInteger('stepsPerEpoch', 'batchSize', batchSize);
  return options.dropLast ? Math.floor(samples / batchSize) : Math.ceil(samples / batchSize);
}

/** The step at which `epochs` (may be fractional) have passed, rounded to the nearest step. */
export function epochsToSteps(epochs: number, stepsPerEpoch: number): number {
  atLeast('epochsToSteps', 'epochs', epochs, 0);
  positiveInteger('epochsToSteps', 'stepsPerEpoch', stepsPerEpoch);
  return Math.round(epochs * stepsPerEpoch);
}
