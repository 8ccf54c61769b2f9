import type { Rng } from '@bot/rng';
import { checkAlpha, checkBox } from './mix-checks.js';

/** How the images of a batch are laid out: `hwc` is an NHWC batch, `chw` an NCHW one (what onnxruntime takes). */
export type MixLayout = 'hwc' | 'chw';

/** A batch of images with integer labels, as a data loader (`@bot/data`'s `Batch`) yields it. */
export interface MixBatch {
  images: Float32Array;
  /** [N, H, W, C] for `hwc`, [N, C, H, W] for `chw`. */
  shape: [number, number, number, number];
  /**
   * The images' layout. Mixup is the same in both and does not need it; CutMix cuts a box of rows and
   * columns, so it refuses a batch that does not say its layout rather than guess.
   */
  layout?: MixLayout;
  labels: Int32Array;
  numClasses: number;
}

/** A batch that says its layout, as CutMix needs. */
export type LaidOutMixBatch = MixBatch & { layout: MixLayout };

/** Mixed images (a new array) and N x K soft targets. `lambda` is the weight of each sample's own image and label. */
export interface MixedBatch {
  images: Float32Array;
  targets: Float32Array;
  lambda: number;
}

function checkBatch(batch: MixBatch): void {
  const { images, shape, labels, numClasses, layout } = batch;
  if (layout !== undefined && layout !== 'hwc' && layout !== 'chw') {
    throw new RangeError(`batch.layout must be 'hwc' or 'chw', got ${JSON.stringify(layout)}`);
  }
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `batch.shape must be [N, H, W, C] (hwc) or [N, C, H, W] (chw) of positive integers, got ${JSON.stringify(shape)}`,
    );
  }
  const n = shape[0] * shape[1] * shape[2] * shape[3];
  if (images.length !== n) {
    throw new RangeError(
      `batch.images has ${images.length} values but shape [${shape.join(', ')}] needs ${n}`,
    );
  }
  if (labels.length !== shape[0]) {
    throw new RangeError(`batch.labels has ${labels.length} entries but the batch has ${shape[0]} images`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`batch.numClasses must be a positive integer, got ${numClasses}`);
  }
  for (const [i, y] of labels.entries()) {
    if (y < 0 || y >= numClasses)
      throw new RangeError(`batch.labels[${i}] = ${y} is outside [0, ${numClasses})`);
  }
}

/** `lambda * onehot(y_i) + (1 - lambda) * onehot(y_{N-1-i})`: soft targets for a batch mixed with its reverse. */
export function mixTargets(labels: Int32Array, numClasses: number, lambda: number): Float32Array {
  const n = labels.length;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const own = i * numClasses + (labels[i] as number);
    const partner = i * numClasses + (labels[n - 1 - i] as number);
    out[own] = (out[own] as number) + lambda;
    out[partner] = (out[partner] as number) + (1 - lambda);
  }
  return out;
}

/** Mixes each image with its partner in the reversed batch by `lambda`; returns new images. Any layout. */
export function mixupWithLambda(batch: MixBatch, lambda: number): MixedBatch {
  checkBatch(batch);
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda must be in [0, 1], got ${lambda}`);
  const [n] = batch.shape;
  const per = batch.images.length / n;
  const src = batch.images;
  const out = new Float32Array(src.length);
  const mu = 1 - lambda;
  for (let i = 0; i < n; i++) {
    const a = i * per;
    const b = (n - 1 - i) * per;
    for (let k = 0; k < per; k++) out[a + k] = lambda * (src[a + k] as number) + mu * (src[b + k] as number);
  }
  return { images: out, targets: mixTargets(batch.labels, batch.numClasses, lambda), lambda };
}

/**
 * Mixup (Zhang et al. 2018) as GluonCV and timm run it: one lambda ~ Beta(alpha, alpha) per batch, each
 * sample paired with the batch reversed. alpha = 0 returns the batch unmixed (lambda = 1).
 */
export function mixup(batch: MixBatch, alpha: number, rng: Rng): MixedBatch {
  checkAlpha(alpha);
  return mixupWithLambda(batch, alpha === 0 ? 1 : rng.beta(alpha, alpha));
}

/** A CutMix box in pixels: rows [top, bottom) and columns [left, right). */
export interface CutBox {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * timm's `rand_bbox`: a box of (H, W) * sqrt(1 - lambda), centred at a uniform pixel (row drawn first), clipped
 * to the image. The clipped box can be smaller than asked, which is why cutmix recomputes lambda from its area.
 */
export function cutmixBox(height: number, width: number, lambda: number, rng: Rng): CutBox {
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda must be in [0, 1], got ${lambda}`);
  const cut = Math.sqrt(1 - lambda);
  const cutH = Math.trunc(height * cut);
  const cutW = Math.trunc(width * cut);
  const cy = rng.int(height);
  const cx = rng.int(width);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    top: clip(cy - Math.floor(cutH / 2), height),
    bottom: clip(cy + Math.floor(cutH / 2), height),
    left: clip(cx - Math.floor(cutW / 2), width),
    right: clip(cx + Math.floor(cutW / 2), width),
  };
}

/** N, H, W, C of a batch that says its layout; throws a TypeError for one that does not. */
function dimensions(batch: MixBatch): { n: number; h: number; w: number; c: number; layout: MixLayout } {
  const { layout, shape } = batch;
  if (layout === undefined) {
    throw new TypeError(
      `batch.layout is required by CutMix ('hwc' for [N, H, W, C] or 'chw' for [N, C, H, W]); got a batch of shape [${shape.join(', ')}] without one`,
    );
  }
  if (layout === 'hwc') return { n: shape[0], h: shape[1], w: shape[2], c: shape[3], layout };
  return { n: shape[0], c: shape[1], h: shape[2], w: shape[3], layout };
}

/**
 * Pastes `box` of each image's reversed-batch partner into it, in every channel, for `hwc` (NHWC) and
 * `chw` (NCHW) batches alike; lambda = 1 - box area / image area.
 */
export function cutmixWithBox(batch: LaidOutMixBatch, box: CutBox): MixedBatch {
  checkBatch(batch);
  const { n, h, w, c, layout } = dimensions(batch);
  checkBox(box, h, w);
  const src = batch.images;
  const out = src.slice();
  const per = h * w * c;
  // One contiguous run per box row: all channels of the row's pixels (hwc), or one channel's pixels (chw).
  const planes = layout === 'hwc' ? 1 : c;
  const planeSize = layout === 'hwc' ? 0 : h * w;
  const pixel = layout === 'hwc' ? c : 1;
  const rowLen = (box.right - box.left) * pixel;
  for (let i = 0; i < n; i++) {
    const a = i * per;
    const b = (n - 1 - i) * per;
    for (let p = 0; p < planes; p++) {
      for (let y = box.top; y < box.bottom; y++) {
        const off = p * planeSize + (y * w + box.left) * pixel;
        out.set(src.subarray(b + off, b + off + rowLen), a + off);
      }
    }
  }
  const lambda = 1 - ((box.bottom - box.top) * (box.right - box.left)) / (h * w);
  return { images: out, targets: mixTargets(batch.labels, batch.numClasses, lambda), lambda };
}

/**
 * CutMix (Yun et al. 2019) as timm runs it per batch: lambda ~ Beta(alpha, alpha), a box from `cutmixBox`,
 * the partner's box pasted in, lambda corrected to the pasted area. alpha = 0 returns the batch unmixed.
 * The batch must say its layout (`hwc` or `chw`, as `@bot/data`'s batches do): the box is drawn over H x W
 * either way, so the same seed cuts the same pixels from an NHWC batch and its NCHW transpose.
 */
export function cutmix(batch: LaidOutMixBatch, alpha: number, rng: Rng): MixedBatch {
  checkAlpha(alpha);
  checkBatch(batch);
  const { h, w } = dimensions(batch);
  if (alpha === 0) return mixupWithLambda(batch, 1);
  const lambda = rng.beta(alpha, alpha);
  return cutmixWithBox(batch, cutmixBox(h, w, lambda, rng));
}
