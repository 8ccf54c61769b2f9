import { slice, type Tensor4D, tensor4d } from '@tensorflow/tfjs-core';

/** A batch of images in NHWC order with its labels, and optionally K target values per image. */
export interface StepBatch {
  /**
   * The pixels: an array, or a float32 tensor already on the training backend (augmented there, say). A
   * step never disposes the caller's tensor; a replica pool reads it back to shard it.
   */
  images: Float32Array | Tensor4D;
  shape: [number, number, number, number];
  labels: Int32Array;
  /**
   * Optional target rows, K values per image (mixup's soft targets, say), split along N with the images:
   * `targets.length` must be a multiple of N.
   */
  targets?: Float32Array;
}

/** A contiguous run of a batch: images [from, to). */
export interface BatchRange {
  readonly from: number;
  readonly to: number;
}

/**
 * The one rule that splits n images into `parts` contiguous runs: part k is [floor(k n / parts),
 * floor((k + 1) n / parts)), so sizes differ by at most one and the larger runs come last. Used for the
 * replicas' shards and for the micro-batches inside a step alike.
 */
export function splitEvenly(n: number, parts: number): BatchRange[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(parts) || parts < 1)
    throw new RangeError(`parts must be an integer >= 1, got ${parts}`);
  return Array.from({ length: parts }, (_, k) => ({
    from: Math.floor((k * n) / parts),
    to: Math.floor(((k + 1) * n) / parts),
  }));
}

/** The micro-batches of n images when at most `maxSize` go through one forward pass: `splitEvenly(n, ceil(n / maxSize))`. */
export function microBatches(n: number, maxSize: number): BatchRange[] {
  if (!(maxSize >= 1)) throw new RangeError(`microBatch must be >= 1, got ${maxSize}`);
  return splitEvenly(n, Math.max(1, Math.ceil(n / maxSize)));
}

/** Checks that a batch's arrays agree with its shape; throws a RangeError naming what disagrees. */
export function checkBatch(batch: StepBatch): void {
  const [n, h, w, c] = batch.shape;
  const images = batch.images;
  const count = images instanceof Float32Array ? images.length : images.size;
  if (count !== n * h * w * c || batch.labels.length !== n) {
    throw new RangeError(
      `batch: images has ${count} values and labels ${batch.labels.length} for shape [${batch.shape}]`,
    );
  }
  if (!(images instanceof Float32Array) && (images.rank !== 4 || images.dtype !== 'float32')) {
    throw new RangeError(
      `batch.images must be a float32 tensor of rank 4, got ${images.dtype} of shape [${images.shape}]`,
    );
  }
  const targets = batch.targets;
  if (targets !== undefined && (n === 0 || targets.length % n !== 0)) {
    throw new RangeError(
      `batch.targets has ${targets.length} values, not a multiple of the ${n} images of shape [${batch.shape}]`,
    );
  }
}

/**
 * Images [from, to) of a batch as a batch of its own: views on the same memory for arrays; for a tensor, a
 * new tensor (`slice`) that the caller disposes when `images !== batch.images`.
 */
export function sliceBatch(batch: StepBatch, { from, to }: BatchRange): StepBatch {
  const [n, h, w, c] = batch.shape;
  if (from === 0 && to === n) return batch;
  const perImage = h * w * c;
  const targets = batch.targets;
  const perTarget = targets === undefined || n === 0 ? 0 : targets.length / n;
  const images = batch.images;
  return {
    images:
      images instanceof Float32Array
        ? images.subarray(from * perImage, to * perImage)
        : slice(images, [from, 0, 0, 0], [to - from, h, w, c]),
    shape: [to - from, h, w, c],
    labels: batch.labels.subarray(from, to),
    ...(targets === undefined ? {} : { targets: targets.subarray(from * perTarget, to * perTarget) }),
  };
}

/**
 * A batch's images as a tensor, for a loss function: the batch's own tensor, or a new one from its array
 * (inside `tidy`, the new one is freed with the rest; the batch's own is not, since it was made outside).
 */
export function batchImages(batch: StepBatch): Tensor4D {
  return batch.images instanceof Float32Array ? tensor4d(batch.images, batch.shape) : batch.images;
}
