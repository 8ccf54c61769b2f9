import { compose, openEncoded, type Pipeline, type Transform } from '@bot/augment';
import { checkIndex, type Dataset, type ImageFolder, type Sample } from '@bot/data';
import type { Rng } from '@bot/rng';

/**
 * The CPU half of `--augment-on device` for an ImageFolder: each image decoded (RGB, as the host path
 * decodes it) and given one common size by `transforms`, which draw nothing (a resize to a square, or the
 * small recipe's Resize + CenterCrop), so that a batch stacks. With `recordSourceSize`, the image's size in
 * the file rides along as `sourceSize`: the crop boxes are drawn on it, as the host path draws them.
 */
export class StoredImageFolder implements Dataset {
  readonly length: number;
  readonly classes: readonly string[];
  private readonly pipeline: Pipeline;

  constructor(
    private readonly folder: ImageFolder,
    transforms: readonly Transform[],
    private readonly recordSourceSize: boolean,
  ) {
    this.length = folder.length;
    this.classes = folder.classes;
    // libvips shrinks, PIL's filter enlarges: the host path's default (--interpolation bilinear).
    this.pipeline = compose(transforms, { resampler: 'fast' });
  }

  describe(index: number): string {
    return this.folder.describe(index);
  }

  async load(index: number, rng: Rng): Promise<Sample> {
    checkIndex(index, this.length);
    const { path, label } = this.folder.samples[index] as { path: string; label: number };
    // The transforms draw nothing from rng: the sample's stream is drawn on the main thread, by its plan.
    if (!this.recordSourceSize) return { image: await this.pipeline.apply(path, rng), label };
    // Opened here for its size; the pipeline then takes the bytes, not the path, so the file is read once.
    const encoded = await openEncoded(path);
    const image = await this.pipeline.apply(encoded.buffer, rng);
    return { image, label, sourceSize: { width: encoded.width, height: encoded.height } };
  }
}
