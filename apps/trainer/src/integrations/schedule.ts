import { join, multiStep, type Schedule, svgLineChart, warmup, warmupCosine } from '@bot/lr-schedules';
import type { TrainConfig } from '../config.js';

export type { Schedule };
export { svgLineChart };

/** The run's learning rate per optimizer step: the paper's linear warmup, then step decay or cosine. */
export function buildSchedule(config: TrainConfig, stepsPerEpoch: number): Schedule {
  const totalSteps = config.epochs * stepsPerEpoch;
  // At least one step after the warmup, however few steps a tiny run has.
  const warmupSteps = Math.min(Math.round(config.warmupEpochs * stepsPerEpoch), totalSteps - 1);
  if (config.schedule === 'cosine') return warmupCosine({ peak: config.lr, warmupSteps, totalSteps });
  const milestones = config.milestones.map((e) => e * stepsPerEpoch - warmupSteps).filter((s) => s > 0);
  const decay = multiStep({ init: config.lr, milestones, gamma: config.stepGamma });
  return warmupSteps === 0 ? decay : join([warmup(config.lr, warmupSteps), decay], [warmupSteps]);
}
