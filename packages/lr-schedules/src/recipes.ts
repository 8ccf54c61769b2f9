import { cosineDecay } from './cosine-decay.js';
import { join } from './join.js';
import { warmup } from './linear.js';
import { multiStep } from './multi-step.js';
import { epochsToSteps, linearScaling } from './scaling.js';
import type { Schedule } from './schedule.js';
import { atLeast, fail, finite, increasingIntegers, nonNegativeInteger, positive } from './validate.js';

export interface BaselineRecipeOptions {
  /** Optimizer steps per epoch (e.g. `stepsPerEpoch(1281167, 256)`). */
  stepsPerEpoch: number;
  /** Default 0.1. */
  lr?: number;
  /** Epochs at which the rate is divided by 10 (default [30, 60, 90] of 120). */
  milestones?: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/** The paper's baseline: lr 0.1 (batch 256), multiplied by 0.1 at epochs 30, 60 and 90 of 120. */
export function baselineRecipe(options: BaselineRecipeOptions): Schedule {
  const lr = positive('baselineRecipe', 'lr', options.lr ?? 0.1);
  const milestones = increasingIntegers('baselineRecipe', 'milestones', options.milestones ?? [30, 60, 90]);
  return multiStep({
    init: lr,
    milestones: milestones.map((e) => epochsToSteps(e, options.stepsPerEpoch)),
    gamma: options.gamma ?? 0.1,
  });
}

export interface EfficientRecipeOptions {
  stepsPerEpoch: number;
  /** Global batch size; the peak rate is `linearScaling(batchSize, { baseLr, baseBatchSize })`. */
  batchSize: number;
  /** Default 0.1. */
  baseLr?: number;
  /** Default 256. */
  baseBatchSize?: number;
  /** Default 5. */
  warmupEpochs?: number;
  /** 'step' (default; the paper's efficient setting) or 'cosine' (its first training refinement). */
  decay?: 'step' | 'cosine';
  /** Total epochs; the cosine reaches `final` at the end (default 120). */
  epochs?: number;
  /** Epochs, counted from the start of training, of the step decay (default [30, 60, 90]). */
  milestones?: readonly number[];
  /** Default 0.1. */
  gamma?: number;
  /** End of the cosine (default 0). */
  final?: number;
}

/**
 * The paper's efficient training schedule: peak = 0.1 * batchSize / 256 (linear scaling), the paper's
 * linear warmup over `warmupEpochs`, then the step decay at epochs 30/60/90 or (decay 'cosine') a cosine
 * decay over the remaining epochs.
 */
export function efficientRecipe(options: EfficientRecipeOptions): Schedule {
  const where = 'efficientRecipe';
  const spe = options.stepsPerEpoch;
  const peak = linearScaling(options.batchSize, {
    baseLr: options.baseLr ?? 0.1,
    baseBatchSize: options.baseBatchSize ?? 256,
  });
  const warmupSteps = epochsToSteps(atLeast(where, 'warmupEpochs', options.warmupEpochs ?? 5, 0), spe);
  const decay = options.decay ?? 'step';
  if (decay === 'cosine') {
    const totalSteps = epochsToSteps(positive(where, 'epochs', options.epochs ?? 120), spe);
    return warmupCosine({ peak, warmupSteps, totalSteps, final: options.final ?? 0 });
  }
  if (decay !== 'step') fail(where, 'decay', decay, "'step' or 'cosine'");
  const milestones = increasingIntegers(where, 'milestones', options.milestones ?? [30, 60, 90]);
  const steps = milestones.map((e) => epochsToSteps(e, spe) - warmupSteps);
  if (steps.length > 0 && steps[0]! <= 0) fail(where, 'milestones', milestones, 'after the warmup epochs');
  const after = multiStep({ init: peak, milestones: steps, gamma: options.gamma ?? 0.1 });
  return warmupSteps === 0 ? after : join([warmup(peak, warmupSteps), after], [warmupSteps]);
}

export interface WarmupCosineOptions {
  peak: number;
  /** Steps of the paper's linear warmup (0 for none). */
  warmupSteps: number;
  /** Total training steps; the cosine spans totalSteps - warmupSteps and ends at `final`. */
  totalSteps: number;
  /** Default 0. */
  final?: number;
}

/**
 * The paper's linear warmup to `peak` over `warmupSteps`, then eta_t = final + (peak - final)(1 + cos(pi t/T))/2
 * with t the step after warmup and T = totalSteps - warmupSteps.
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  const where = 'warmupCosine';
  const peak = positive(where, 'peak', options.peak);
  const warmupSteps = nonNegativeInteger(where, 'warmupSteps', options.warmupSteps);
  const totalSteps = nonNegativeInteger(where, 'totalSteps', options.totalSteps);
  if (totalSteps <= warmupSteps) fail(where, 'totalSteps', totalSteps, `> warmupSteps (${warmupSteps})`);
  const final = finite(where, 'final', options.final ?? 0);
  const cosine = cosineDecay({ init: peak, steps: totalSteps - warmupSteps, final });
  return warmupSteps === 0 ? cosine : join([warmup(peak, warmupSteps), cosine], [warmupSteps]);
}
