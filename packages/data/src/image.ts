import type { Rng } from '@bot/rng';
import sharp from 'sharp';

/**
 * A decoded image: float pixels with their shape. `hwc` is [height, width, channels] (tfjs NHWC per image),
 * `chw` is [channels, height, width]. Structurally the same type as `@bot/augment`'s `ImageTensor`.
 */
export interface ImageTensor {
  data: Float32Array;
  shape: [number, number, number];
  layout: 'hwc' | 'chw';
}

/** What a transform or pipeline receives: an encoded image (bytes or a file path) or a decoded image. */
export type ImageInput = Buffer | string | ImageTensor;

/**
 * Anything that turns an image into an `ImageTensor` with a seeded generator, e.g. `@bot/augment`'s
 * `imagenetTrain()` pipeline. The loader hands each sample its own `Rng.derive(seed, epoch, index)`.
 */
export interface Transform {
  apply(input: ImageInput, rng: Rng): Promise<ImageTensor>;
}

/** Options of the built-in decode used when a dataset has no transform. */
export interface DecodeOptions {
  /** Resize to exactly this size (`[height, width]` or a square side): scale to cover, then centre-crop. */
  size?: number | readonly [number, number];
  /** Output channels: 3 (RGB; grey images are expanded) or 1 (luminance). Default 3. */
  channels?: 1 | 3;
}

export function checkSize(name: string, size: number | readonly [number, number]): [number, number] {
  const hw: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  for (const v of hw) {
    if (!Number.isInteger(v) || v < 1 || v > 16384) {
      throw new RangeError(
        `${name} must be a positive integer or [height, width] of them (<= 16384), got ${size}`,
      );
    }
  }
  return hw;
}

/**
 * Decodes an encoded image (file path or bytes) with sharp into an HWC `ImageTensor` with pixel values in
 * [0, 255]. Fails on truncated or corrupt data (sharp's `failOn: 'warning'`), so the loader can skip it.
 */
export async function decodeImage(input: Buffer | string, options: DecodeOptions = {}): Promise<ImageTensor> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  }
  let pipeline = sharp(input, { failOn: 'warning' });
  if (options.size !== undefined) {
    const [height, width] = checkSize('size', options.size);
    pipeline = pipeline.resize(width, height, { fit: 'cover', position: 'centre' });
  }
  pipeline = channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) {
    throw new Error(`decoded ${info.channels} channels where ${channels} were asked for`);
  }
  return { data: new Float32Array(data), shape: [info.height, info.width, channels], layout: 'hwc' };
}
