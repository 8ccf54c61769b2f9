import type { Rng } from '@bot/rng';
import { type Box, checkBox, type GeometryOp, type Size } from './geometry.js';
import { roundHalfEven } from './python-round.js';
import type { GeometryTransform } from './transform.js';

/** A size argument as torchvision takes it: one number (square) or [height, width]. */
export type SizeArg = number | readonly [number, number];

export function parseSize(size: SizeArg, name: string): Size {
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(height) || height < 1 || !Number.isInteger(width) || width < 1) {
    throw new RangeError(
      `${name} must be a positive integer or [height, width] of them, got ${JSON.stringify(size)}`,
    );
  }
  return { width, height };
}

/** torchvision's centre crop box (`F.center_crop`): offsets rounded half to even; a crop larger than the image pads. */
export function centerCropBox(size: Size, crop: Size): Box {
  return {
    left: roundHalfEven((size.width - crop.width) / 2),
    top: roundHalfEven((size.height - crop.height) / 2),
    width: crop.width,
    height: crop.height,
  };
}

/** Crops the centre (torchvision `CenterCrop`); pads with 0 where the crop is larger than the image. */
export class CenterCrop implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'CenterCrop';
  readonly size: Size;
  constructor(size: SizeArg) {
    this.size = parseSize(size, 'CenterCrop size');
  }
  plan(size: Size): GeometryOp[] {
    return [{ type: 'crop', ...centerCropBox(size, this.size) }];
  }
}

/** A fixed crop (torchvision `F.crop`): for tests and for callers that chose the box themselves. */
export class Crop implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'Crop';
  constructor(
    readonly box: Box,
    readonly fill = 0,
  ) {
    checkBox(box, 'Crop box');
  }
  plan(): GeometryOp[] {
    return [{ type: 'crop', ...this.box, fill: this.fill }];
  }
}

export interface RandomCropOptions {
  /** Pixels added on each side before cropping: one number, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** Pad the image when it is smaller than the crop (torchvision `pad_if_needed`). */
  padIfNeeded?: boolean;
  /** Value of padded pixels on the 0-255 scale. */
  fill?: number;
}

function parsePadding(p: RandomCropOptions['padding']): [number, number, number, number] {
  if (p === undefined) return [0, 0, 0, 0];
  const arr = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : [...p];
  if (arr.length !== 4 || !arr.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    throw new RangeError(
      `padding must be a non-negative integer or an array of 2 or 4 of them, got ${JSON.stringify(p)}`,
    );
  }
  return arr as [number, number, number, number];
}

/**
 * The crop box of torchvision's `RandomCrop.get_params` after padding, in the unpadded image's coordinates
 * (negative offsets read the padding). Draws the top offset first, then the left.
 */
export function randomCropBox(size: Size, crop: Size, rng: Rng, options: RandomCropOptions = {}): Box {
  const [pl, pt, pr, pb] = parsePadding(options.padding);
  let w = size.width + pl + pr;
  let h = size.height + pt + pb;
  let left0 = -pl;
  let top0 = -pt;
  if (options.padIfNeeded) {
    if (w < crop.width) {
      const extra = crop.width - w;
      left0 -= extra;
      w += 2 * extra;
    }
    if (h < crop.height) {
      const extra = crop.height - h;
      top0 -= extra;
      h += 2 * extra;
    }
  }
  if (w < crop.width || h < crop.height) {
    throw new RangeError(
      `RandomCrop size ${crop.height}x${crop.width} is larger than the padded image ${h}x${w}; use padIfNeeded`,
    );
  }
  const top = rng.int(h - crop.height + 1);
  const left = rng.int(w - crop.width + 1);
  return { left: left0 + left, top: top0 + top, width: crop.width, height: crop.height };
}

/** torchvision `RandomCrop(size, padding, pad_if_needed, fill)` with constant padding: the CIFAR/Fashion-MNIST crop. */
export class RandomCrop implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'RandomCrop';
  readonly size: Size;
  constructor(
    size: SizeArg,
    readonly options: RandomCropOptions = {},
  ) {
    this.size = parseSize(size, 'RandomCrop size');
    parsePadding(options.padding);
  }
  plan(size: Size, rng: Rng): GeometryOp[] {
    return [
      { type: 'crop', ...randomCropBox(size, this.size, rng, this.options), fill: this.options.fill ?? 0 },
    ];
  }
}
