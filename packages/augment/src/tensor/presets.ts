import { imagenetTrainTransforms } from '../imagenet-train-transforms.js';
import type { ImagenetTrainOptions } from '../presets.js';
import { TensorPipeline } from './pipeline.js';

export type ImagenetTrainTensorOptions = Omit<ImagenetTrainOptions, 'layout' | 'resampler' | 'hue'>;

/**
 * The paper's training transforms (those of `imagenetTrain`: RandomResizedCrop, flip p = 0.5, ColorJitter 0.4,
 * PCA lighting 0.1, Normalize) as a `TensorPipeline`, drawing the same parameters as the sharp pipeline.
 */
export function imagenetTrainTensor(options: ImagenetTrainTensorOptions = {}): TensorPipeline {
  return new TensorPipeline(imagenetTrainTransforms({ ...options, hue: 0 }));
}
