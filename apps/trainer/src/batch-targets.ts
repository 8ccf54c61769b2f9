import { cutmix, mixup } from '@bot/augment';
import type { StepBatch } from '@bot/parallel';
import type { Rng } from '@bot/rng';
import type { TrainConfig } from './config.js';
import type { Batch } from './integrations/data.js';

/** Whether an epoch mixes its batches: mixup or cutmix on, and not in the last mixupOffEpochs epochs. */
export function mixesIn(config: TrainConfig, epoch: number): boolean {
  return (config.mixupAlpha > 0 || config.cutmixAlpha > 0) && epoch < config.epochs - config.mixupOffEpochs;
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
  if (!mix) {
    const targets = new Float32Array(labels.length * numClasses);
    labels.forEach((label, i) => {
      targets[i * numClasses + label] = 1;
    });
    return { images: batch.images, shape, labels, targets };
  }
  const both = config.mixupAlpha > 0 && config.cutmixAlpha > 0;
  const useCutmix = both ? rng.bernoulli(0.5) : config.cutmixAlpha > 0;
  const mixBatch = { images: batch.images, shape, labels, numClasses, layout: batch.layout };
  const mixed = useCutmix
    ? cutmix({ ...mixBatch, layout: 'hwc' }, config.cutmixAlpha, rng)
    : mixup(mixBatch, config.mixupAlpha, rng);
  return { images: mixed.images, shape, labels, targets: mixed.targets };
}
