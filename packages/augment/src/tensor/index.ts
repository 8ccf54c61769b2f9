// @bot/augment/tensor: the training transforms on batched tfjs tensors. Nothing here imports sharp or a
// Node built-in, so this entry bundles for the browser.
export {
  ColorJitter,
  type ColorJitterOptions,
  type ColorJitterParams,
  colorJitterParams,
} from '../color-jitter.js';
export { CenterCrop, Crop, RandomCrop } from '../crop.js';
export { HorizontalFlip, RandomHorizontalFlip } from '../flip.js';
export type { Box, GeometryOp, Size } from '../geometry.js';
export { IMAGENET_EIGVAL, IMAGENET_EIGVEC, Lighting, lightingOffset, lightingParams } from '../lighting.js';
export { type CutBox, cutmixBox, mixTargets } from '../mix.js';
export { IMAGENET_MEAN, IMAGENET_STD, Normalize } from '../normalize.js';
export { RandomResizedCrop, ResizedCrop, randomResizedCropParams } from '../random-resized-crop.js';
export { Resize } from '../resize.js';
export type { ChannelAffine, GeometryTransform, PixelTransform, Transform } from '../transform.js';
export { colorJitterBatch } from './color-jitter.js';
export {
  cutmixTensor,
  cutmixTensorWithBox,
  type MixedTensorBatch,
  mixupTensor,
  mixupTensorWithLambda,
} from './mix.js';
export {
  type BatchInput,
  type PixelStep,
  type RawBatch,
  type SamplePlan,
  TensorPipeline,
} from './pipeline.js';
export { type ImagenetTrainTensorOptions, imagenetTrainTensor } from './presets.js';
export { resampleBatch } from './resample-batch.js';
export { type Sampling, samplingOf, samplingOnResized } from './sampling.js';
