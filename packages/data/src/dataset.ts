import type { Rng } from '@bot/rng';
import type { ImageTensor } from './image.js';

/** One labelled sample. */
export interface Sample {
  image: ImageTensor;
  label: number;
  /**
   * Optional: the size of the image the dataset read, when `image` is a copy resized to a common size (to
   * batch it). Augmentation planned on the original image and run later on the batch (`@bot/augment/tensor`)
   * draws its crop boxes on this size, as the per-image path would.
   */
  sourceSize?: { width: number; height: number };
}

/**
 * A random-access labelled image collection. `load` throws on a bad item (corrupt, truncated, not an image);
 * the `DataLoader` skips such items, counts them and reports them by `describe(index)` (a file path where
 * there is one).
 */
export interface Dataset {
  readonly length: number;
  readonly classes: readonly string[];
  load(index: number, rng: Rng): Promise<Sample>;
  /** A human-readable name for an item, e.g. its file path. Optional. */
  describe?(index: number): string;
}

export function checkIndex(index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`index must be an integer in [0, ${length}), got ${index}`);
  }
}
