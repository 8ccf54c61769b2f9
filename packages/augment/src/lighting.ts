import type { Rng } from '@bot/rng';
import { checkImageTensor, type ImageTensor, imageSize } from './image-tensor.js';
import type { ChannelAffine, PixelTransform } from './transform.js';

/**
 * AlexNet's PCA of ImageNet RGB pixels on the 0-255 scale, as GluonCV's `RandomLighting` and fb.resnet.torch
 * (there 0.2175, 0.0188, 0.0045 on the 0-1 scale) use them.
 */
export const IMAGENET_EIGVAL = [55.46, 4.794, 1.148] as const;
/** Eigenvectors as columns: `IMAGENET_EIGVEC[row = channel][column = component]`. */
export const IMAGENET_EIGVEC = [
  [-0.5675, 0.7192, 0.4009],
  [-0.5808, -0.0045, -0.814],
  [-0.5836, -0.6948, 0.4203],
] as const;

export type Vec3 = readonly [number, number, number];

export interface LightingOptions {
  /** Standard deviation of the alphas (the paper: 0.1). */
  alphaStd?: number;
  eigval?: Vec3;
  eigvec?: readonly [Vec3, Vec3, Vec3];
}

function checkAlphaStd(alphaStd: number): void {
  if (!(alphaStd >= 0) || !Number.isFinite(alphaStd)) {
    throw new RangeError(`alphaStd must be a finite number >= 0, got ${alphaStd}`);
  }
}

/** Three alphas ~ N(0, alphaStd), drawn in component order. */
export function lightingParams(alphaStd: number, rng: Rng): [number, number, number] {
  checkAlphaStd(alphaStd);
  return [rng.normal(0, alphaStd), rng.normal(0, alphaStd), rng.normal(0, alphaStd)];
}

/** The RGB offset `eigvec @ (alpha * eigval)` that lighting noise adds to every pixel. */
export function lightingOffset(
  alphas: Vec3,
  eigval: Vec3 = IMAGENET_EIGVAL,
  eigvec: readonly [Vec3, Vec3, Vec3] = IMAGENET_EIGVEC,
): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const row = eigvec[c] as Vec3;
    out[c] = row[0] * alphas[0] * eigval[0] + row[1] * alphas[1] * eigval[1] + row[2] * alphas[2] * eigval[2];
  }
  return out;
}

/** Adds the lighting offset of `alphas` to an RGB HWC image, in place, without clamping (as GluonCV). */
export function applyLighting(
  image: ImageTensor,
  alphas: Vec3,
  eigval: Vec3 = IMAGENET_EIGVAL,
  eigvec: readonly [Vec3, Vec3, Vec3] = IMAGENET_EIGVEC,
): ImageTensor {
  checkImageTensor(image);
  const { channels } = imageSize(image);
  if (image.layout !== 'hwc' || channels !== 3) {
    throw new RangeError(
      `lighting needs an RGB image in 'hwc' layout, got ${channels} channels in '${image.layout}'`,
    );
  }
  const [dr, dg, db] = lightingOffset(alphas, eigval, eigvec);
  const d = image.data;
  for (let i = 0; i < d.length; i += 3) {
    d[i] = (d[i] as number) + dr;
    d[i + 1] = (d[i + 1] as number) + dg;
    d[i + 2] = (d[i + 2] as number) + db;
  }
  return image;
}

/** AlexNet-style PCA lighting noise (GluonCV `RandomLighting(alphastd)`; the paper uses 0.1). */
export class Lighting implements PixelTransform {
  readonly kind = 'pixel';
  readonly name = 'Lighting';
  readonly alphaStd: number;
  readonly eigval: Vec3;
  readonly eigvec: readonly [Vec3, Vec3, Vec3];
  constructor(options: LightingOptions = {}) {
    this.alphaStd = options.alphaStd ?? 0.1;
    checkAlphaStd(this.alphaStd);
    this.eigval = options.eigval ?? IMAGENET_EIGVAL;
    this.eigvec = options.eigvec ?? IMAGENET_EIGVEC;
  }
  apply(image: ImageTensor, rng: Rng): ImageTensor {
    if (this.alphaStd === 0) return image;
    return applyLighting(image, lightingParams(this.alphaStd, rng), this.eigval, this.eigvec);
  }
  channelAffine(channels: number, rng: Rng): ChannelAffine {
    if (channels !== 3) throw new RangeError(`lighting needs an RGB image, got ${channels} channels`);
    if (this.alphaStd === 0) return { scale: [1, 1, 1], offset: [0, 0, 0] };
    const offset = lightingOffset(lightingParams(this.alphaStd, rng), this.eigval, this.eigvec);
    return { scale: [1, 1, 1], offset };
  }
}
