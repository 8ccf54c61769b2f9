import type { CutBox } from './mix.js';

/** Throws unless `alpha` (a Beta distribution's parameter) is a finite number >= 0. */
export function checkAlpha(alpha: number): void {
  if (!(alpha >= 0) || !Number.isFinite(alpha))
    throw new RangeError(`alpha must be a finite number >= 0, got ${alpha}`);
}

/** Throws unless `box` lies inside an h x w image with top <= bottom and left <= right. */
export function checkBox(box: CutBox, h: number, w: number): void {
  if (
    !(
      box.top >= 0 &&
      box.top <= box.bottom &&
      box.bottom <= h &&
      box.left >= 0 &&
      box.left <= box.right &&
      box.right <= w
    )
  ) {
    throw new RangeError(
      `box must lie inside the ${h}x${w} image with top <= bottom, left <= right, got ${JSON.stringify(box)}`,
    );
  }
}
