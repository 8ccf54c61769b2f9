import type { Rng } from '@bot/rng';
import {
  adjustBrightnessInPlace,
  adjustContrastInPlace,
  adjustHueInPlace,
  adjustSaturationInPlace,
} from './color.js';
import type { ImageTensor } from './image-tensor.js';
import type { PixelTransform } from './transform.js';

/** A jitter strength `j` (factor from U[max(0, 1 - j), 1 + j]) or an explicit [min, max] factor range. */
export type JitterArg = number | readonly [number, number];

export interface ColorJitterOptions {
  brightness?: JitterArg;
  contrast?: JitterArg;
  saturation?: JitterArg;
  /** `h` in [0, 0.5] (hue shift from U[-h, h]) or a [min, max] range inside [-0.5, 0.5]. */
  hue?: JitterArg;
}

/** The adjustments in the order torchvision indexes them: 0 brightness, 1 contrast, 2 saturation, 3 hue. */
export type ColorOp = 'brightness' | 'contrast' | 'saturation' | 'hue';
const OPS: readonly ColorOp[] = ['brightness', 'contrast', 'saturation', 'hue'];

/** Fixed jitter parameters: the order the adjustments run in and each one's factor (absent = not applied). */
export interface ColorJitterParams {
  order: ColorOp[];
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
}

function parseRange(arg: JitterArg | undefined, name: ColorOp): [number, number] | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') {
    if (name === 'hue') {
      if (!(arg >= 0 && arg <= 0.5)) throw new RangeError(`hue must be in [0, 0.5], got ${arg}`);
      return arg === 0 ? undefined : [-arg, arg];
    }
    if (!(arg >= 0) || !Number.isFinite(arg)) throw new RangeError(`${name} must be a number >= 0, got ${arg}`);
    return arg === 0 ? undefined : [Math.max(0, 1 - arg), 1 + arg];
  }
  const [lo, hi] = arg;
  const ok = name === 'hue' ? lo >= -0.5 && hi <= 0.5 && lo <= hi : lo >= 0 && lo <= hi && Number.isFinite(hi);
  if (!ok) {
    const allowed = name === 'hue' ? 'inside [-0.5, 0.5]' : 'with 0 <= min <= max';
    throw new RangeError(`${name} range must be [min, max] ${allowed}, got ${JSON.stringify(arg)}`);
  }
  return [lo, hi];
}

/**
 * torchvision's `ColorJitter.get_params`: a random order of the four adjustments (a permutation of 4, like
 * `torch.randperm(4)`), then each enabled factor uniform in its range (brightness, contrast, saturation, hue).
 */
export function colorJitterParams(options: ColorJitterOptions, rng: Rng): ColorJitterParams {
  const ranges = OPS.map((op) => parseRange(options[op], op));
  const perm = rng.permutation(4);
  const params: ColorJitterParams = { order: [] };
  for (const [i, op] of OPS.entries()) {
    const r = ranges[i];
    if (r) params[op] = rng.uniformRange(r[0], r[1]);
  }
  for (const idx of perm) {
    const op = OPS[idx] as ColorOp;
    if (params[op] !== undefined) params.order.push(op);
  }
  return params;
}

/** Applies fixed jitter parameters to an HWC image on the 0-255 scale, in place. */
export function applyColorJitter(image: ImageTensor, params: ColorJitterParams): ImageTensor {
  for (const op of params.order) {
    const f = params[op];
    if (f === undefined) continue;
    if (op === 'brightness') adjustBrightnessInPlace(image, f);
    else if (op === 'contrast') adjustContrastInPlace(image, f);
    else if (op === 'saturation') adjustSaturationInPlace(image, f);
    else adjustHueInPlace(image, f);
  }
  return image;
}

/** torchvision `ColorJitter(brightness, contrast, saturation, hue)` on float pixels (clamped to [0, 255]). */
export class ColorJitter implements PixelTransform {
  readonly kind = 'pixel';
  readonly name = 'ColorJitter';
  constructor(readonly options: ColorJitterOptions = {}) {
    for (const op of OPS) parseRange(options[op], op);
  }
  apply(image: ImageTensor, rng: Rng): ImageTensor {
    return applyColorJitter(image, colorJitterParams(this.options, rng));
  }
}
