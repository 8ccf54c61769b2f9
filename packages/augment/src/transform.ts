import type { Rng } from '@bot/rng';
import type { GeometryOp, Size } from './geometry.js';
import type { ImageTensor } from './image-tensor.js';

/**
 * A transform that moves pixels (crop, resize, flip). `plan` draws its random parameters for an image of the
 * given size and returns them as fixed operations; the pipeline runs consecutive geometry transforms in one
 * libvips/JS pass.
 */
export interface GeometryTransform {
  readonly kind: 'geometry';
  readonly name: string;
  plan(size: Size, rng: Rng): GeometryOp[];
}

/**
 * A transform that changes pixel values. `apply` receives an HWC image on the 0-255 scale that it owns (it may
 * change it in place) and returns the result.
 */
export interface PixelTransform {
  readonly kind: 'pixel';
  readonly name: string;
  apply(image: ImageTensor, rng: Rng): ImageTensor;
  /**
   * Optional: for a transform that is `x[c] * scale[c] + offset[c]` per channel with no clamping, the same
   * map (drawing the same random numbers `apply` would). The pipeline then folds consecutive such transforms
   * and the final layout change into one pass.
   */
  channelAffine?(channels: number, rng: Rng): ChannelAffine;
}

/** `x[c] * scale[c] + offset[c]` for each channel c. */
export interface ChannelAffine {
  scale: number[];
  offset: number[];
}

export type Transform = GeometryTransform | PixelTransform;
