import {
  cutmixTensor,
  type MixedTensorBatch,
  mixTargets,
  mixupTensor,
  type SamplePlan,
  samplingOnResized,
  type TensorPipeline,
} from '@bot/augment/tensor';
import type { StepBatch } from '@bot/parallel';
import { Rng, type Seed } from '@bot/rng';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { mixChoice, oneHotTargets } from './batch-targets.js';
import type { TrainConfig } from './config.js';
import type { Batch } from './integrations/data.js';

/** Where a loader batch's sample k was read at: its `sourceSize`, or the stored size when the set is of one size. */
function sourceSizeOf(batch: Batch, k: number): { width: number; height: number } {
  const sizes = batch.sourceSizes;
  if (!sizes) return { width: batch.shape[2], height: batch.shape[1] };
  return { width: sizes[2 * k] as number, height: sizes[2 * k + 1] as number };
}

/**
 * Each sample's augmentation plan, drawn on its source size from `Rng.derive(seed, epoch, index)`: the
 * stream the host path's loader hands that sample's sharp pipeline, so the crop box, flip, jitter and
 * lighting are the ones the host path would draw.
 */
export function devicePlans(pipeline: TensorPipeline, batch: Batch, seed: Seed): SamplePlan[] {
  const channels = batch.shape[3];
  return Array.from(batch.indices, (index, k) =>
    pipeline.plan(sourceSizeOf(batch, k), channels, Rng.derive(seed, batch.epoch, index)),
  );
}

/**
 * `--augment-on device`: a loader batch of stored pixels (decoded, resized to one size) augmented on the
 * training backend, then mixed (mixup or cutmix with the host path's draws from `rng`) as the step takes it.
 * `images` is a tensor the caller disposes after the step.
 */
export function deviceStepBatch(
  batch: Batch,
  pipeline: TensorPipeline,
  numClasses: number,
  config: TrainConfig,
  mix: boolean,
  rng: Rng,
): StepBatch & { images: Tensor4D } {
  const { labels } = batch;
  const stored = { width: batch.shape[2], height: batch.shape[1] };
  const plans = devicePlans(pipeline, batch, config.seed).map((plan, k) => ({
    ...plan,
    sampling: samplingOnResized(plan.sampling, sourceSizeOf(batch, k), stored),
  }));
  const images = pipeline.run({ data: batch.images, shape: batch.shape }, plans);
  const shape = images.shape as StepBatch['shape'];
  if (!mix) return { images, shape, labels, targets: oneHotTargets(labels, numClasses) };
  let mixed: MixedTensorBatch;
  try {
    mixed =
      mixChoice(config, rng) === 'cutmix'
        ? cutmixTensor(images, labels, numClasses, config.cutmixAlpha, rng)
        : mixupTensor(images, labels, numClasses, config.mixupAlpha, rng);
  } finally {
    images.dispose();
  }
  mixed.targets.dispose();
  return { images: mixed.images, shape, labels, targets: mixTargets(labels, numClasses, mixed.lambda) };
}
