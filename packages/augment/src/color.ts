import { checkImageTensor, type ImageTensor, imageSize } from './image-tensor.js';

/** ITU-R 601 luma weights as torchvision's `rgb_to_grayscale` uses them. */
export const GRAY_WEIGHTS = [0.2989, 0.587, 0.114] as const;

const MAX = 255;

function hwcChannels(image: ImageTensor, fn: string): number {
  checkImageTensor(image);
  if (image.layout !== 'hwc') throw new RangeError(`${fn} needs image.layout 'hwc', got '${image.layout}'`);
  return imageSize(image).channels;
}

function checkFactor(factor: number, name: string): void {
  if (!(factor >= 0) || !Number.isFinite(factor)) {
    throw new RangeError(`${name} factor must be a finite number >= 0, got ${factor}`);
  }
}

function copy(image: ImageTensor): ImageTensor {
  return { data: image.data.slice(), shape: [...image.shape], layout: image.layout };
}

/** Multiplies every value by `factor` and clamps to [0, 255] (torchvision `adjust_brightness` on float images). In place. */
export function adjustBrightnessInPlace(image: ImageTensor, factor: number): ImageTensor {
  hwcChannels(image, 'adjustBrightness');
  checkFactor(factor, 'brightness');
  const d = image.data;
  for (let i = 0; i < d.length; i++) {
    const v = (d[i] as number) * factor;
    d[i] = v < 0 ? 0 : Math.min(v, MAX);
  }
  return image;
}

/** Mean grey level: of the luma for RGB, of the values for one channel. */
export function meanGray(image: ImageTensor): number {
  const channels = hwcChannels(image, 'meanGray');
  const d = image.data;
  let sum = 0;
  if (channels === 3) {
    const [wr, wg, wb] = GRAY_WEIGHTS;
    for (let i = 0; i < d.length; i += 3) {
      sum += wr * (d[i] as number) + wg * (d[i + 1] as number) + wb * (d[i + 2] as number);
    }
    return sum / (d.length / 3);
  }
  for (let i = 0; i < d.length; i++) sum += d[i] as number;
  return sum / d.length;
}

/** Blends with the mean grey level: `f * x + (1 - f) * mean`, clamped (torchvision `adjust_contrast`). In place. */
export function adjustContrastInPlace(image: ImageTensor, factor: number): ImageTensor {
  const channels = hwcChannels(image, 'adjustContrast');
  checkFactor(factor, 'contrast');
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`adjustContrast needs 1 or 3 channels, got ${channels}`);
  }
  const offset = (1 - factor) * meanGray(image);
  const d = image.data;
  for (let i = 0; i < d.length; i++) {
    const v = factor * (d[i] as number) + offset;
    d[i] = v < 0 ? 0 : Math.min(v, MAX);
  }
  return image;
}

/** Blends each pixel with its own grey level: `f * x + (1 - f) * gray`, clamped (torchvision `adjust_saturation`). In place. */
export function adjustSaturationInPlace(image: ImageTensor, factor: number): ImageTensor {
  const channels = hwcChannels(image, 'adjustSaturation');
  checkFactor(factor, 'saturation');
  if (channels === 1) return image;
  if (channels !== 3) throw new RangeError(`adjustSaturation needs 1 or 3 channels, got ${channels}`);
  const [wr, wg, wb] = GRAY_WEIGHTS;
  const d = image.data;
  const k = 1 - factor;
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i] as number;
    const g = d[i + 1] as number;
    const b = d[i + 2] as number;
    const gray = k * (wr * r + wg * g + wb * b);
    const r2 = factor * r + gray;
    const g2 = factor * g + gray;
    const b2 = factor * b + gray;
    d[i] = r2 < 0 ? 0 : Math.min(r2, MAX);
    d[i + 1] = g2 < 0 ? 0 : Math.min(g2, MAX);
    d[i + 2] = b2 < 0 ? 0 : Math.min(b2, MAX);
  }
  return image;
}

/**
 * Rotates the hue by `hueFactor` turns (in [-0.5, 0.5]) through HSV, as torchvision's `adjust_hue` does on
 * float images. One-channel images are returned unchanged. In place.
 */
export function adjustHueInPlace(image: ImageTensor, hueFactor: number): ImageTensor {
  const channels = hwcChannels(image, 'adjustHue');
  if (!(hueFactor >= -0.5 && hueFactor <= 0.5)) {
    throw new RangeError(`hue factor must be in [-0.5, 0.5], got ${hueFactor}`);
  }
  if (channels === 1) return image;
  if (channels !== 3) throw new RangeError(`adjustHue needs 1 or 3 channels, got ${channels}`);
  const d = image.data;
  const out = new Float64Array(3);
  for (let i = 0; i < d.length; i += 3) {
    hueShift(d[i] as number, d[i + 1] as number, d[i + 2] as number, hueFactor, out);
    d[i] = out[0] as number;
    d[i + 1] = out[1] as number;
    d[i + 2] = out[2] as number;
  }
  return image;
}

/**
 * One RGB pixel (0-255) with its hue rotated by `hueFactor` turns, through torchvision's `_rgb2hsv` and
 * `_hsv2rgb`; written to `out`.
 */
export function hueShift(
  r255: number,
  g255: number,
  b255: number,
  hueFactor: number,
  out: Float64Array,
): void {
  const r = r255 / MAX;
  const g = g255 / MAX;
  const b = b255 / MAX;
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eq = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eq ? 1 : maxc);
  const div = eq ? 1 : cr;
  const rc = (maxc - r) / div;
  const gc = (maxc - g) / div;
  const bc = (maxc - b) / div;
  let h: number;
  if (maxc === r) h = bc - gc;
  else if (maxc === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  h = (((h / 6 + 1) % 1) + hueFactor) % 1;
  if (h < 0) h += 1;
  const v = maxc;
  const h6 = h * 6;
  const sector = Math.floor(h6);
  const f = h6 - sector;
  const p = clamp01(v * (1 - s));
  const q = clamp01(v * (1 - s * f));
  const t = clamp01(v * (1 - s * (1 - f)));
  let ro: number;
  let go: number;
  let bo: number;
  switch (sector % 6) {
    case 0:
      ro = v;
      go = t;
      bo = p;
      break;
    case 1:
      ro = q;
      go = v;
      bo = p;
      break;
    case 2:
      ro = p;
      go = v;
      bo = t;
      break;
    case 3:
      ro = p;
      go = q;
      bo = v;
      break;
    case 4:
      ro = t;
      go = p;
      bo = v;
      break;
    default:
      ro = v;
      go = p;
      bo = q;
  }
  out[0] = ro * MAX;
  out[1] = go * MAX;
  out[2] = bo * MAX;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}

/** torchvision `F.adjust_brightness` on an HWC image on the 0-255 scale; returns a new image. */
export function adjustBrightness(image: ImageTensor, factor: number): ImageTensor {
  return adjustBrightnessInPlace(copy(image), factor);
}
/** torchvision `F.adjust_contrast`; returns a new image. */
export function adjustContrast(image: ImageTensor, factor: number): ImageTensor {
  return adjustContrastInPlace(copy(image), factor);
}
/** torchvision `F.adjust_saturation`; returns a new image. */
export function adjustSaturation(image: ImageTensor, factor: number): ImageTensor {
  return adjustSaturationInPlace(copy(image), factor);
}
/** torchvision `F.adjust_hue`; returns a new image. */
export function adjustHue(image: ImageTensor, hueFactor: number): ImageTensor {
  return adjustHueInPlace(copy(image), hueFactor);
}
