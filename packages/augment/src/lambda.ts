import type { Rng } from '@bot/rng';
import type { ImageTensor } from './image-tensor.js';
import type { PixelTransform } from './transform.js';

/** A pixel transform from a function (torchvision `Lambda`): it gets an HWC 0-255 image it may change in place. */
export class Lambda implements PixelTransform {
  readonly kind = 'pixel';
  constructor(
    readonly name: string,
    readonly fn: (image: ImageTensor, rng: Rng) => ImageTensor,
  ) {
    if (typeof fn !== 'function') throw new RangeError(`Lambda fn must be a function, got ${typeof fn}`);
  }
  apply(image: ImageTensor, rng: Rng): ImageTensor {
    return this.fn(image, rng);
  }
}
