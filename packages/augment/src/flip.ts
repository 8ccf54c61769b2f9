import type { Rng } from '@bot/rng';
import type { GeometryOp } from './geometry.js';
import type { GeometryTransform } from './transform.js';

/** torchvision `RandomHorizontalFlip(p)`: mirrors left to right when one uniform draw is below `p`. */
export class RandomHorizontalFlip implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'RandomHorizontalFlip';
  constructor(readonly p = 0.5) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`RandomHorizontalFlip p must be in [0, 1], got ${p}`);
  }
  plan(_size: unknown, rng: Rng): GeometryOp[] {
    return rng.uniform() < this.p ? [{ type: 'hflip' }] : [];
  }
}

/** An unconditional mirror (torchvision `F.hflip`). */
export class HorizontalFlip implements GeometryTransform {
  readonly kind = 'geometry';
  readonly name = 'HorizontalFlip';
  plan(): GeometryOp[] {
    return [{ type: 'hflip' }];
  }
}
