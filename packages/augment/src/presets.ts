import { CenterCrop } from './crop.js';
import type { Resampler } from './geometry.js';
import type { Layout } from './image-tensor.js';
import { imagenetTrainTransforms } from './imagenet-train-transforms.js';
import { IMAGENET_MEAN, IMAGENET_STD, Normalize } from './normalize.js';
import { compose, type Pipeline } from './pipeline.js';
import { Resize } from './resize.js';
import type { Transform } from './transform.js';

export interface ImagenetTrainOptions {
  /** Output side. */
  size?: number;
  /** RandomResizedCrop area range. */
  scale?: readonly [number, number];
  /** RandomResizedCrop aspect-ratio range. */
  ratio?: readonly [number, number];
  /** Flip probability. */
  flip?: number;
  /** Brightness, contrast and saturation jitter strength (0 turns ColorJitter off). */
  jitter?: number;
  /** Hue jitter in [0, 0.5] (the paper: none). */
  hue?: number;
  /** PCA lighting alpha std (0 turns it off). */
  lighting?: number;
  /** Per-channel mean and std on the 0-255 scale, or `false` to leave pixels on the 0-255 scale. */
  normalize?: { mean: readonly number[]; std: readonly number[] } | false;
  layout?: Layout;
  resampler?: Resampler;
}

/**
 * The paper's training pipeline: RandomResizedCrop(224, scale [0.08, 1], ratio [3/4, 4/3]), flip p = 0.5,
 * ColorJitter(0.4, 0.4, 0.4), PCA lighting alpha std 0.1, Normalize(ImageNet mean/std).
 */
export function imagenetTrain(options: ImagenetTrainOptions = {}): Pipeline {
  return compose(imagenetTrainTransforms(options), {
    layout: options.layout ?? 'hwc',
    resampler: options.resampler ?? 'fast',
  });
}

export interface ImagenetValOptions {
  /** Output side (centre crop). */
  size?: number;
  /** Shorter side after resizing; default `round(size / 0.875)` = 256 for 224. */
  resize?: number;
  normalize?: { mean: readonly number[]; std: readonly number[] } | false;
  layout?: Layout;
  resampler?: Resampler;
}

/** The paper's validation pipeline: Resize(256) of the shorter side, CenterCrop(224), Normalize. */
export function imagenetVal(options: ImagenetValOptions = {}): Pipeline {
  const size = options.size ?? 224;
  const transforms: Transform[] = [
    new Resize(options.resize ?? Math.round(size / 0.875)),
    new CenterCrop(size),
  ];
  const norm = options.normalize ?? { mean: IMAGENET_MEAN, std: IMAGENET_STD };
  if (norm) transforms.push(new Normalize({ mean: norm.mean, std: norm.std, scale: 255 }));
  return compose(transforms, { layout: options.layout ?? 'hwc', resampler: options.resampler ?? 'fast' });
}
