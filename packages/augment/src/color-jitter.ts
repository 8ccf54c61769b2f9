import type { Rng } from '@bot/rng';
import {
  adjustBrightnessInPlace,
  adjustContrastInPlace,
  adjustHueInPlace,
  adjustSaturationInPlace,
  GRAY_WEIGHTS,
  meanGray,
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
    if (!(arg >= 0) || !Number.isFinite(arg))
      throw new RangeError(`${name} must be a number >= 0, got ${arg}`);
    return arg === 0 ? undefined : [Math.max(0, 1 - arg), 1 + arg];
  }
  const [lo, hi] = arg;
  const ok =
    name === 'hue' ? lo >= -0.5 && hi <= 0.5 && lo <= hi : lo >= 0 && lo <= hi && Number.isFinite(hi);
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

/**
 * Applies fixed jitter parameters to an HWC image on the 0-255 scale, in place: one pass per adjustment (for
 * RGB, the pass before a contrast step also sums the grey mean that step needs).
 */
export function applyColorJitter(image: ImageTensor, params: ColorJitterParams): ImageTensor {
  if (image.layout === 'hwc' && image.shape[2] === 3) return fusedJitterRgb(image, params);
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

/** The adjustments of `params` to run, in order, with their factors; throws a RangeError on a bad factor. */
export function jitterSteps(params: ColorJitterParams): [ColorOp, number][] {
  const ops: [ColorOp, number][] = [];
  for (const op of params.order) {
    const f = params[op];
    if (f === undefined) continue;
    if (op === 'hue') {
      if (!(f >= -0.5 && f <= 0.5)) throw new RangeError(`hue factor must be in [-0.5, 0.5], got ${f}`);
    } else if (!(f >= 0) || !Number.isFinite(f)) {
      throw new RangeError(`${op} factor must be a finite number >= 0, got ${f}`);
    }
    ops.push([op, f]);
  }
  return ops;
}

function fusedJitterRgb(image: ImageTensor, params: ColorJitterParams): ImageTensor {
  const ops = jitterSteps(params);
  const d = image.data;
  // The grey mean a contrast step needs is summed by the pass before it.
  let mean = ops[0]?.[0] === 'contrast' ? meanGray(image) : 0;
  for (const [k, [op, f]] of ops.entries()) {
    const wantMean = ops[k + 1]?.[0] === 'contrast';
    if (op === 'brightness') mean = scalePass(d, f, 0, wantMean);
    else if (op === 'contrast') mean = scalePass(d, f, (1 - f) * mean, wantMean);
    else if (op === 'saturation') mean = saturationPass(d, f, wantMean);
    else {
      adjustHueInPlace(image, f);
      if (wantMean) mean = meanGray(image);
    }
  }
  return image;
}

/** `clamp(f * x + offset)` over all values; returns the mean grey of the result when asked. */
function scalePass(d: Float32Array, f: number, offset: number, wantMean: boolean): number {
  const [wr, wg, wb] = GRAY_WEIGHTS;
  let sum = 0;
  for (let i = 0; i < d.length; i += 3) {
    const r = clamp255(f * (d[i] as number) + offset);
    const g = clamp255(f * (d[i + 1] as number) + offset);
    const b = clamp255(f * (d[i + 2] as number) + offset);
    d[i] = r;
    d[i + 1] = g;
    d[i + 2] = b;
    if (wantMean) sum += wr * (d[i] as number) + wg * (d[i + 1] as number) + wb * (d[i + 2] as number);
  }
  return sum / (d.length / 3);
}

function saturationPass(d: Float32Array, f: number, wantMean: boolean): number {
  const [wr, wg, wb] = GRAY_WEIGHTS;
  const k = 1 - f;
  let sum = 0;
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i] as number;
    const g = d[i + 1] as number;
    const b = d[i + 2] as number;
    const gray = k * (wr * r + wg * g + wb * b);
    d[i] = clamp255(f * r + gray);
    d[i + 1] = clamp255(f * g + gray);
    d[i + 2] = clamp255(f * b + gray);
    if (wantMean) sum += wr * (d[i] as number) + wg * (d[i + 1] as number) + wb * (d[i + 2] as number);
  }
  return sum / (d.length / 3);
}

function clamp255(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}
