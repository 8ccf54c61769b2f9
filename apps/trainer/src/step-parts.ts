import { crossEntropy, distillationLoss } from '@bot/losses';
import { decayAll, NesterovSGD } from '@bot/optim';
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config.js';
import { isDecayedVariable } from './integrations/model.js';
import type { Schedule } from './integrations/schedule.js';

/** The run's optimizer: NAG (or plain momentum) on the run's schedule, with or without bias decay. */
export function buildOptimizer(config: TrainConfig, schedule: Schedule): NesterovSGD {
  return new NesterovSGD({
    learningRate: schedule,
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
    decayFilter: config.noBiasDecay ? isDecayedVariable : decayAll,
  });
}

/**
 * The mean training loss of a batch: cross-entropy with smoothing, or distillation, on targets that are
 * soft rows [N, K] or int32 class indices [N] (as @bot/losses takes them).
 */
export function trainingLoss(
  config: TrainConfig,
  logits: tf.Tensor2D,
  targets: tf.Tensor,
  teacherLogits: tf.Tensor2D | null,
): tf.Scalar {
  const smoothing = { labelSmoothing: config.labelSmoothing, smoothing: config.smoothingForm };
  return teacherLogits
    ? distillationLoss(logits, teacherLogits, targets, {
        form: config.distillForm,
        temperature: config.distillTemperature,
        weight: config.distillWeight,
        ...smoothing,
      })
    : crossEntropy(logits, targets, smoothing);
}
