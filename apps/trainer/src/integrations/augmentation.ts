import {
  CenterCrop,
  compose,
  IMAGENET_MEAN,
  IMAGENET_STD,
  imagenetTrain,
  imagenetVal,
  Normalize,
  type Pipeline,
  RandomCrop,
  RandomHorizontalFlip,
  Resize,
  type Transform,
} from '@bot/augment';
import type { TrainConfig } from '../config.js';

/** Images of this side or less get the 'small' recipe under --aug auto. */
export const SMALL_IMAGE_MAX = 64;

/** How a model's input is made from an image: written to every export as preprocess.json. */
export interface Preprocess {
  /** Per-channel mean and std on the 0-255 scale: input = (pixel - mean) / std. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly inputSize: number;
  /** The shorter side is resized to this, then the centre inputSize x inputSize is cropped. */
  readonly resize: number;
  readonly crop: number;
  readonly channels: number;
  /** NHWC float32, as tfjs takes it. */
  readonly layout: 'hwc';
  readonly interpolation: string;
}

/** The train and validation pipelines of a run, and what to print about them. */
export interface Augmentation {
  readonly recipe: 'imagenet' | 'small' | 'none';
  readonly train: Pipeline;
  readonly val: Pipeline;
  readonly description: string;
  readonly preprocess: Preprocess;
}

/** The recipe --aug names; 'auto' follows the image size (the network input's side). */
export function augmentationRecipe(config: TrainConfig): { recipe: Augmentation['recipe']; why: string } {
  if (config.aug !== 'auto') return { recipe: config.aug, why: '--aug' };
  return config.inputSize <= SMALL_IMAGE_MAX
    ? { recipe: 'small', why: `auto: ${config.inputSize} px images, <= ${SMALL_IMAGE_MAX}` }
    : { recipe: 'imagenet', why: `auto: ${config.inputSize} px images, > ${SMALL_IMAGE_MAX}` };
}

/**
 * The pipelines of a run, from --aug and timm's flags (--scale, --ratio, --hflip, --color-jitter,
 * --pca-noise, --interpolation). `imagenet`: RandomResizedCrop, flip, colour jitter, PCA lighting, and
 * resize to size/0.875 + centre crop for validation (the paper). `small`: the image at the input size,
 * padded by `padding` and randomly cropped back, and flipped (CIFAR's recipe); validation is the image at the
 * input size. `none`: the validation pipeline for training too.
 */
export function buildAugmentation(
  config: TrainConfig,
  norm: { mean: readonly number[]; std: readonly number[] } = { mean: IMAGENET_MEAN, std: IMAGENET_STD },
  options: { channels?: number; padding?: number; atInputSize?: boolean } = {},
): Augmentation {
  const size = config.inputSize;
  const { recipe, why } = augmentationRecipe(config);
  const resampler = config.interpolation === 'bilinear-pil' ? 'pil' : 'fast';
  const normalize = new Normalize({ mean: norm.mean, std: norm.std });
  // Images known to be at the input size (Fashion-MNIST) skip the resize and centre crop.
  const atSize: Transform[] = options.atInputSize ? [] : [new Resize(size), new CenterCrop(size)];
  const padding = options.padding ?? Math.round(size / 8);
  const small = compose([...atSize, normalize], { resampler });
  const pipelines = {
    imagenet: () => ({
      train: imagenetTrain({
        size,
        scale: config.scale,
        ratio: config.ratio,
        flip: config.hflip,
        jitter: config.colorJitter,
        lighting: config.pcaNoise,
        normalize: norm,
        resampler,
      }),
      val: imagenetVal({ size, normalize: norm, resampler }),
      text: `RandomResizedCrop(${size}, scale ${config.scale.join('-')}, ratio ${config.ratio.map((r) => r.toFixed(2)).join('-')}), flip ${config.hflip}, jitter ${config.colorJitter}, lighting ${config.pcaNoise}`,
    }),
    small: () => ({
      train: compose(
        [...atSize, new RandomCrop(size, { padding }), new RandomHorizontalFlip(config.hflip), normalize],
        {
          resampler,
        },
      ),
      val: small,
      text: `pad ${padding} and random crop ${size}, flip ${config.hflip}`,
    }),
    none: () => ({ train: small, val: small, text: 'none' }),
  };
  const { train, val, text } = pipelines[recipe]();
  const resize = recipe === 'imagenet' ? Math.round(size / 0.875) : size;
  return {
    recipe,
    train,
    val,
    description: `${recipe} (${why}): ${text}`,
    preprocess: {
      mean: norm.mean,
      std: norm.std,
      inputSize: size,
      resize,
      crop: size,
      channels: options.channels ?? 3,
      layout: 'hwc',
      interpolation: config.interpolation,
    },
  };
}
