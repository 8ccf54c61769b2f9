import { efficientRecipe, type Schedule, svgLineChart } from '@bot/lr-schedules';
import type { TrainConfig } from '../config.js';

export type { Schedule };
export { svgLineChart };

/**
 * The run's learning rate per optimizer step: @bot/lr-schedules' efficient recipe (the paper's linear
 * warmup, then step decay or cosine) at the run's peak rate. The warmup keeps at least one step after it,
 * however few steps a tiny run has, and milestones inside the warmup are dropped.
 */
export function buildSchedule(config: TrainConfig, stepsPerEpoch: number): Schedule {
  const totalSteps = config.epochs * stepsPerEpoch;
  const warmupEpochs = Math.min(config.warmupEpochs, (totalSteps - 1) / stepsPerEpoch);
  const warmupSteps = Math.round(warmupEpochs * stepsPerEpoch);
  return efficientRecipe({
    stepsPerEpoch,
    // batchSize = baseBatchSize: the peak is config.lr itself (the config applies --lr-base's scaling).
    batchSize: 256,
    baseBatchSize: 256,
    baseLr: config.lr,
    warmupEpochs,
    decay: config.schedule,
    epochs: config.epochs,
    milestones: config.milestones.filter((e) => e * stepsPerEpoch > warmupSteps),
    gamma: config.stepGamma,
  });
}
