import type { GeometryOp, Size } from './geometry.js';
import type { GeometryTransform } from './transform.js';

/**
 * torchvision's output size for `Resize(size)`: a number sets the shorter side and scales the longer one by
 * the same factor, truncated (`int(size * long / short)`), capped by `maxSize`; [height, width] is taken as is.
 */
export function resizeOutputSize(
  size: Size,
  target: number | readonly [number, number],
  maxSize?: number,
): Size {
  if (typeof target !== 'number') {
    const [height, width] = target;
    if (!Number.isInteger(height) || height < 1 || !Number.isInteger(width) || width < 1) {
      throw new RangeError(
        `Resize size must be [height, width] of positive integers, got ${JSON.stringify(target)}`,
      );
    }
    return { width, height };
  }
  if (!Number.isInteger(target) || target < 1) {
    throw new RangeError(`Resize size must be a positive integer, got ${target}`);
  }
  const short = Math.min(size.width, size.height);
  const long = Math.max(size.width, size.height);
  let newShort = target;
  let newLong = Math.trunc((target * long) / short);
  if (maxSize !== undefined) {
    if (!(maxSize > target))
      throw new RangeError(`maxSize must be greater than size ${target}, got ${maxSize}`);
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return size.width <= size.height
    ? { width: newShort, height: newLong }
    : { width: newLong, height: newShort };
}

/** torchvision `Resize(size, max_size)`, bilinear with antialiasing (PIL semantics). */
export class Resize implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'Resize';
  constructor(
    readonly size: number | readonly [number, number],
    readonly maxSize?: number,
  ) {
    resizeOutputSize({ width: 1, height: 1 }, size);
  }
  plan(size: Size): GeometryOp[] {
    const out = resizeOutputSize(size, this.size, this.maxSize);
    return [{ type: 'resize', width: out.width, height: out.height }];
  }
}
