import { checkImageTensor, type ImageTensor, imageSize } from './image-tensor.js';
import type { ChannelAffine, PixelTransform } from './transform.js';

/** ImageNet channel means and standard deviations on the 0-255 scale (the paper's 123.68, 116.779, 103.939). */
export const IMAGENET_MEAN = [123.675, 116.28, 103.53] as const;
export const IMAGENET_STD = [58.395, 57.12, 57.375] as const;

export interface NormalizeOptions {
  mean?: readonly number[];
  std?: readonly number[];
  /**
   * The scale `mean` and `std` are written on: 255 (default, e.g. 123.675) or 1 (torchvision's 0.485). Pixels
   * are on the 0-255 scale either way; the output `(x / 255 - mean) / std` is the same number.
   */
  scale?: 255 | 1;
}

/** Per-channel `(x - mean) / std` (torchvision `Normalize`). */
export class Normalize implements PixelTransform {
  readonly kind = 'pixel';
  readonly name = 'Normalize';
  /** Mean and std on the 0-255 scale. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  constructor(options: NormalizeOptions = {}) {
    const scale = options.scale ?? 255;
    if (scale !== 255 && scale !== 1) throw new RangeError(`scale must be 255 or 1, got ${String(scale)}`);
    const mean = options.mean ?? (scale === 255 ? IMAGENET_MEAN : IMAGENET_MEAN.map((m) => m / 255));
    const std = options.std ?? (scale === 255 ? IMAGENET_STD : IMAGENET_STD.map((s) => s / 255));
    if (mean.length === 0 || !mean.every(Number.isFinite)) {
      throw new RangeError(`mean must be finite numbers, got ${JSON.stringify(mean)}`);
    }
    if (std.length !== mean.length || !std.every((s) => s > 0 && Number.isFinite(s))) {
      throw new RangeError(
        `std must be ${mean.length} positive numbers like mean, got ${JSON.stringify(std)}`,
      );
    }
    const k = 255 / scale;
    this.mean = mean.map((m) => m * k);
    this.std = std.map((s) => s * k);
  }
  apply(image: ImageTensor): ImageTensor {
    return normalizeInPlace(image, this.mean, this.std);
  }
  channelAffine(channels: number): ChannelAffine {
    if (this.mean.length !== channels && this.mean.length !== 1) {
      throw new RangeError(`mean has ${this.mean.length} values but the image has ${channels} channels`);
    }
    const pick = (xs: readonly number[], c: number) => xs[xs.length === 1 ? 0 : c] as number;
    const scale = Array.from({ length: channels }, (_, c) => 1 / pick(this.std, c));
    const offset = Array.from({ length: channels }, (_, c) => -pick(this.mean, c) / pick(this.std, c));
    return { scale, offset };
  }
}

/** `(x - mean[c]) / std[c]` in place on an HWC image; mean and std on the image's own scale. */
export function normalizeInPlace(
  image: ImageTensor,
  mean: readonly number[],
  std: readonly number[],
): ImageTensor {
  checkImageTensor(image);
  const { channels } = imageSize(image);
  if (image.layout !== 'hwc')
    throw new RangeError(`normalize needs image.layout 'hwc', got '${image.layout}'`);
  if (mean.length !== channels && mean.length !== 1) {
    throw new RangeError(`mean has ${mean.length} values but the image has ${channels} channels`);
  }
  const d = image.data;
  const m = Float64Array.from({ length: channels }, (_, c) => mean[mean.length === 1 ? 0 : c] as number);
  const inv = Float64Array.from(
    { length: channels },
    (_, c) => 1 / (std[std.length === 1 ? 0 : c] as number),
  );
  if (channels === 3) {
    const [m0, m1, m2] = m as unknown as [number, number, number];
    const [s0, s1, s2] = inv as unknown as [number, number, number];
    for (let i = 0; i < d.length; i += 3) {
      d[i] = ((d[i] as number) - m0) * s0;
      d[i + 1] = ((d[i + 1] as number) - m1) * s1;
      d[i + 2] = ((d[i + 2] as number) - m2) * s2;
    }
    return image;
  }
  for (let i = 0; i < d.length; i++) {
    const c = i % channels;
    d[i] = ((d[i] as number) - (m[c] as number)) * (inv[c] as number);
  }
  return image;
}
