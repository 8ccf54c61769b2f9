import { crossEntropy, distillationLoss } from '@bot/losses';
import { decayAll, NesterovSGD } from '@bot/optim';
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config.js';
import { isDecayedVariable } from './integrations/model.js';
import { buildSchedule } from './integrations/schedule.js';

/** The run's optimizer: NAG (or plain momentum) on the run's schedule, with or without bias decay. */
export function buildOptimizer(config: TrainConfig, stepsPerEpoch: number): NesterovSGD {
  return new NesterovSGD({
    learningRate: buildSchedule(config, stepsPerEpoch),
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
    decayFilter: config.noBiasDecay ? isDecayedVariable : decayAll,
  });
}

/** The mean training loss of a batch: cross-entropy on (soft) targets with smoothing, or distillation. */
export function trainingLoss(
  config: TrainConfig,
  logits: tf.Tensor2D,
  targets: tf.Tensor2D,
  teacherLogits: tf.Tensor2D | null,
): tf.Scalar {
  const smoothing = { labelSmoothing: config.labelSmoothing, smoothing: config.smoothing };
  return teacherLogits
    ? distillationLoss(logits, teacherLogits, targets, {
        form: config.distillForm,
        temperature: config.distillTemperature,
        weight: config.distillWeight,
        ...smoothing,
      })
    : crossEntropy(logits, targets, smoothing);
}
