import { cutmix, mixup } from '@bot/augment';
import type { StepBatch } from '@bot/parallel';
import type { Rng } from '@bot/rng';
import type { TrainConfig } from './config.js';
import type { Batch } from './integrations/data.js';

/** Whether an epoch mixes its batches: mixup or cutmix on, and not in the last mixupOffEpochs epochs. */
export function mixesIn(config: TrainConfig, epoch: number): boolean {
  return (config.mixupAlpha > 0 || config.cutmixAlpha > 0) && epoch < config.epochs - config.mixupOffEpochs;
}

/** One-hot target rows [N, K] of integer labels. */
export function oneHotTargets(labels: Int32Array, numClasses: number): Float32Array {
  const targets = new Float32Array(labels.length * numClasses);
  labels.forEach((label, i) => {
    targets[i * numClasses + label] = 1;
  });
  return targets;
}

/** Which of mixup and cutmix mixes a batch: timm's switch, one of the two at random (from `rng`) when both are on. */
export function mixChoice(config: TrainConfig, rng: Rng): 'mixup' | 'cutmix' {
  const both = config.mixupAlpha > 0 && config.cutmixAlpha > 0;
  return (both ? rng.bernoulli(0.5) : config.cutmixAlpha > 0) ? 'cutmix' : 'mixup';
}

/**
 * A loader batch as the training step takes it, with soft targets: mixup or cutmix (timm's switch: one of
 * the two at random per batch when both are on), or plain one-hot rows.
 */
export function stepBatch(
  batch: Batch,
  numClasses: number,
  config: TrainConfig,
  mix: boolean,
  rng: Rng,
): StepBatch & { images: Float32Array } {
  const { shape, labels } = batch;
  if (!mix) return { images: batch.images, shape, labels, targets: oneHotTargets(labels, numClasses) };
  const mixBatch = { images: batch.images, shape, labels, numClasses, layout: batch.layout };
  const mixed =
    mixChoice(config, rng) === 'cutmix'
      ? cutmix({ ...mixBatch, layout: 'hwc' }, config.cutmixAlpha, rng)
      : mixup(mixBatch, config.mixupAlpha, rng);
  return { images: mixed.images, shape, labels, targets: mixed.targets };
}
