import { ColorJitter } from '../color-jitter.js';
import { RandomHorizontalFlip } from '../flip.js';
import { Lighting } from '../lighting.js';
import { IMAGENET_MEAN, IMAGENET_STD, Normalize } from '../normalize.js';
import type { ImagenetTrainOptions } from '../presets.js';
import { RandomResizedCrop } from '../random-resized-crop.js';
import type { Transform } from '../transform.js';
import { TensorPipeline } from './pipeline.js';

export type ImagenetTrainTensorOptions = Omit<ImagenetTrainOptions, 'layout' | 'resampler' | 'hue'>;

/**
 * The paper's training transforms (those of `imagenetTrain`: RandomResizedCrop, flip p = 0.5, ColorJitter 0.4,
 * PCA lighting 0.1, Normalize) as a `TensorPipeline`, drawing the same parameters as the sharp pipeline.
 */
export function imagenetTrainTensor(options: ImagenetTrainTensorOptions = {}): TensorPipeline {
  const jitter = options.jitter ?? 0.4;
  const lighting = options.lighting ?? 0.1;
  const transforms: Transform[] = [
    new RandomResizedCrop(options.size ?? 224, {
      scale: options.scale ?? [0.08, 1],
      ratio: options.ratio ?? [3 / 4, 4 / 3],
    }),
    new RandomHorizontalFlip(options.flip ?? 0.5),
  ];
  if (jitter > 0) {
    transforms.push(new ColorJitter({ brightness: jitter, contrast: jitter, saturation: jitter, hue: 0 }));
  }
  if (lighting > 0) transforms.push(new Lighting({ alphaStd: lighting }));
  const norm = options.normalize ?? { mean: IMAGENET_MEAN, std: IMAGENET_STD };
  if (norm) transforms.push(new Normalize({ mean: norm.mean, std: norm.std, scale: 255 }));
  return new TensorPipeline(transforms);
}
