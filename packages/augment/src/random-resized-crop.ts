import type { Rng } from '@bot/rng';
import { parseSize, type SizeArg } from './crop.js';
import type { Box, GeometryOp, Size } from './geometry.js';
import { roundHalfEven } from './python-round.js';
import type { GeometryTransform } from './transform.js';

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height), sampled log-uniformly. */
  ratio?: readonly [number, number];
  /** Tries before the centre-crop fallback. */
  attempts?: number;
}

function checkRange(r: readonly [number, number], name: string, positive: boolean): void {
  if (
    !Array.isArray(r) ||
    r.length !== 2 ||
    !r.every(Number.isFinite) ||
    r[0] > r[1] ||
    (positive && r[0] <= 0)
  ) {
    throw new RangeError(
      `${name} must be [low, high] with low <= high${positive ? ' and low > 0' : ''}, got ${JSON.stringify(r)}`,
    );
  }
}

/**
 * The crop box of torchvision's `RandomResizedCrop.get_params`: up to `attempts` draws of an area fraction
 * U[scale] and a log-uniform aspect ratio; the first box that fits is placed uniformly (top, then left);
 * otherwise the largest centred box whose ratio is clamped into `ratio`.
 */
export function randomResizedCropParams(size: Size, rng: Rng, options: RandomResizedCropOptions = {}): Box {
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  const attempts = options.attempts ?? 10;
  checkRange(scale, 'scale', false);
  checkRange(ratio, 'ratio', true);
  const { width, height } = size;
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let k = 0; k < attempts; k++) {
    const targetArea = area * rng.uniformRange(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniformRange(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < ratio[0]) {
    w = width;
    h = roundHalfEven(w / ratio[0]);
  } else if (inRatio > ratio[1]) {
    h = height;
    w = roundHalfEven(h * ratio[1]);
  } else {
    w = width;
    h = height;
  }
  return { left: Math.trunc((width - w) / 2), top: Math.trunc((height - h) / 2), width: w, height: h };
}

/** torchvision `RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3))`, bilinear. */
export class RandomResizedCrop implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'RandomResizedCrop';
  readonly size: Size;
  constructor(
    size: SizeArg,
    readonly options: RandomResizedCropOptions = {},
  ) {
    this.size = parseSize(size, 'RandomResizedCrop size');
    if (options.scale) checkRange(options.scale, 'scale', false);
    if (options.ratio) checkRange(options.ratio, 'ratio', true);
    const attempts = options.attempts ?? 10;
    if (!Number.isInteger(attempts) || attempts < 0) {
      throw new RangeError(`attempts must be a non-negative integer, got ${attempts}`);
    }
  }
  plan(size: Size, rng: Rng): GeometryOp[] {
    const box = randomResizedCropParams(size, rng, this.options);
    return [
      { type: 'crop', ...box },
      { type: 'resize', width: this.size.width, height: this.size.height },
    ];
  }
}

/** A fixed crop then resize (torchvision `F.resized_crop`), for tests and callers with their own box. */
export class ResizedCrop implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'ResizedCrop';
  readonly size: Size;
  constructor(
    readonly box: Box,
    size: SizeArg,
  ) {
    this.size = parseSize(size, 'ResizedCrop size');
  }
  plan(): GeometryOp[] {
    return [
      { type: 'crop', ...this.box },
      { type: 'resize', width: this.size.width, height: this.size.height },
    ];
  }
}
