import type { Rng } from '@bot/rng';
import {
  add,
  mul,
  reverse,
  type Tensor2D,
  type Tensor4D,
  tensor2d,
  tensor4d,
  tidy,
  where,
} from '@tensorflow/tfjs-core';
import { type CutBox, cutmixBox, mixTargets } from '../mix.js';
import { checkAlpha, checkBox } from '../mix-checks.js';

/** A mixed batch on tensors: images, N x K soft targets, and the weight of each sample's own image and label. */
export interface MixedTensorBatch {
  images: Tensor4D;
  targets: Tensor2D;
  lambda: number;
}

function checkLabels(images: Tensor4D, labels: ArrayLike<number>, numClasses: number): Int32Array {
  if (images.rank !== 4) throw new RangeError(`images must be NHWC (rank 4), got rank ${images.rank}`);
  const n = images.shape[0];
  if (labels.length !== n) {
    throw new RangeError(`labels has ${labels.length} entries but the batch has ${n} images`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  const out = Int32Array.from(labels);
  for (const [i, y] of out.entries()) {
    if (y < 0 || y >= numClasses) throw new RangeError(`labels[${i}] = ${y} is outside [0, ${numClasses})`);
  }
  return out;
}

/** `mixupWithLambda` on a tensor batch: each image mixed with its partner in the reversed batch. */
export function mixupTensorWithLambda(
  images: Tensor4D,
  labels: ArrayLike<number>,
  numClasses: number,
  lambda: number,
): MixedTensorBatch {
  const y = checkLabels(images, labels, numClasses);
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda must be in [0, 1], got ${lambda}`);
  const mixed = tidy(() => add(mul(images, lambda), mul(reverse(images, 0), 1 - lambda)) as Tensor4D);
  return {
    images: mixed,
    targets: tensor2d(mixTargets(y, numClasses, lambda), [y.length, numClasses]),
    lambda,
  };
}

/** `mixup` on a tensor batch: lambda ~ Beta(alpha, alpha) from `rng` (the same draw as the Float32Array path). */
export function mixupTensor(
  images: Tensor4D,
  labels: ArrayLike<number>,
  numClasses: number,
  alpha: number,
  rng: Rng,
): MixedTensorBatch {
  checkAlpha(alpha);
  return mixupTensorWithLambda(images, labels, numClasses, alpha === 0 ? 1 : rng.beta(alpha, alpha));
}

/** `cutmixWithBox` on a tensor batch: the reversed partner's `box` pasted into every image. */
export function cutmixTensorWithBox(
  images: Tensor4D,
  labels: ArrayLike<number>,
  numClasses: number,
  box: CutBox,
): MixedTensorBatch {
  const y = checkLabels(images, labels, numClasses);
  const [, h, w] = images.shape;
  checkBox(box, h, w);
  const mask = new Uint8Array(h * w);
  for (let r = box.top; r < box.bottom; r++) mask.fill(1, r * w + box.left, r * w + box.right);
  const mixed = tidy(
    () => where(tensor4d(mask, [1, h, w, 1], 'bool'), reverse(images, 0), images) as Tensor4D,
  );
  const lambda = 1 - ((box.bottom - box.top) * (box.right - box.left)) / (h * w);
  return {
    images: mixed,
    targets: tensor2d(mixTargets(y, numClasses, lambda), [y.length, numClasses]),
    lambda,
  };
}

/** `cutmix` on a tensor batch, with the same draws (lambda, then the box) as the Float32Array path. */
export function cutmixTensor(
  images: Tensor4D,
  labels: ArrayLike<number>,
  numClasses: number,
  alpha: number,
  rng: Rng,
): MixedTensorBatch {
  checkAlpha(alpha);
  if (alpha === 0) return mixupTensorWithLambda(images, labels, numClasses, 1);
  const lambda = rng.beta(alpha, alpha);
  const [, h, w] = images.shape;
  return cutmixTensorWithBox(images, labels, numClasses, cutmixBox(h, w, lambda, rng));
}
