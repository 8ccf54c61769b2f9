import { ColorJitter } from './color-jitter.js';
import { RandomHorizontalFlip } from './flip.js';
import { Lighting } from './lighting.js';
import { IMAGENET_MEAN, IMAGENET_STD, Normalize } from './normalize.js';
import type { ImagenetTrainOptions } from './presets.js';
import { RandomResizedCrop } from './random-resized-crop.js';
import type { Transform } from './transform.js';

/** The transforms of `imagenetTrain`, shared with the tensor path's `imagenetTrainTensor`. */
export function imagenetTrainTransforms(options: ImagenetTrainOptions): Transform[] {
  const jitter = options.jitter ?? 0.4;
  const hue = options.hue ?? 0;
  const lighting = options.lighting ?? 0.1;
  const transforms: Transform[] = [
    new RandomResizedCrop(options.size ?? 224, {
      scale: options.scale ?? [0.08, 1],
      ratio: options.ratio ?? [3 / 4, 4 / 3],
    }),
    new RandomHorizontalFlip(options.flip ?? 0.5),
  ];
  if (jitter > 0 || hue > 0) {
    transforms.push(new ColorJitter({ brightness: jitter, contrast: jitter, saturation: jitter, hue }));
  }
  if (lighting > 0) transforms.push(new Lighting({ alphaStd: lighting }));
  const norm = options.normalize ?? { mean: IMAGENET_MEAN, std: IMAGENET_STD };
  if (norm) transforms.push(new Normalize({ mean: norm.mean, std: norm.std, scale: 255 }));
  return transforms;
}
