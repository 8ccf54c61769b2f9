import { CenterCrop, Resize, type Transform } from '@bot/augment';
import { TensorPipeline } from '@bot/augment/tensor';
import { Rng } from '@bot/rng';
import type { TrainConfig } from '../config.js';
import { TrainerError } from '../errors.js';
import type { Augmentation } from './augmentation.js';

/** The split of a run's training transforms under `--augment-on device`, and what to print about it. */
export interface DeviceAugmentation {
  /** What the CPU does to each image before batching (null: nothing, the images already share one size). */
  readonly cpu: { readonly transforms: readonly Transform[]; readonly recordSourceSize: boolean } | null;
  /** The rest, on batches on the training backend. */
  readonly pipeline: TensorPipeline;
  /** Appended to the run's augmentation line. */
  readonly description: string;
}

/**
 * The side of the square an ImageFolder image is stored at when its first training transform is random
 * (the paper's RandomResizedCrop): the validation resize, round(input / 0.875) (256 for 224), so a crop of
 * the whole image still shrinks to the input.
 */
export function storedSide(inputSize: number): number {
  return Math.round(inputSize / 0.875);
}

/** Leading transforms that draw nothing (Resize, CenterCrop): the CPU can run them without moving a draw. */
function fixedPrefix(transforms: readonly Transform[]): Transform[] {
  const end = transforms.findIndex((t) => !(t instanceof Resize || t instanceof CenterCrop));
  return transforms.slice(0, end < 0 ? transforms.length : end);
}

/**
 * With --augment-on device, how the run's training transforms (the host path's) are split: on an
 * ImageFolder the CPU runs the leading transforms that draw nothing (Resize + CenterCrop of the small
 * recipe), or, when the first one is random (RandomResizedCrop), resizes every image to a stored square and
 * records the image's own size, on which the crop boxes are then drawn; the training backend runs the rest on
 * batches. `sizes: 'one'`: the set's images share one size already (Fashion-MNIST). Null on the host path.
 */
export function deviceAugmentation(
  config: TrainConfig,
  augmentation: Augmentation,
  sizes: 'one' | 'many',
): DeviceAugmentation | null {
  if (config.augmentOn !== 'device') return null;
  const transforms = augmentation.train.transforms;
  const prefix = sizes === 'many' ? fixedPrefix(transforms) : [];
  const side = storedSide(config.inputSize);
  const cpu =
    sizes === 'one'
      ? null
      : prefix.length > 0
        ? { transforms: prefix, recordSourceSize: false }
        : { transforms: [new Resize([side, side])], recordSourceSize: true };
  let pipeline: TensorPipeline;
  try {
    pipeline = new TensorPipeline(transforms.slice(prefix.length));
    // Plan one sample of the size the backend will see, so an unsupported recipe fails before training.
    const size = cpu?.recordSourceSize
      ? { width: 4 * side, height: 3 * side }
      : { width: config.inputSize, height: config.inputSize };
    pipeline.plan(size, augmentation.preprocess.channels, Rng.from(0));
  } catch (error) {
    throw new TrainerError(
      `augmentOn = "device": the ${augmentation.recipe} training transforms do not run on tensors (${(error as Error).message}); use --augment-on host`,
      2,
    );
  }
  const stored = !cpu
    ? 'as they are'
    : cpu.recordSourceSize
      ? `resized to ${side}x${side} px`
      : `resized and centre-cropped to ${config.inputSize} px`;
  return {
    cpu,
    pipeline,
    description: `; on the device: images decoded on the CPU (${stored}), augmented in batches on the training backend (bilinear crop-and-resize, no antialiasing)`,
  };
}
