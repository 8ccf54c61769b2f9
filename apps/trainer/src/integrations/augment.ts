import type { Rng } from '@bot/rng';

// FALLBACK until @bot/augment lands.
export interface MixInput {
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  numClasses: number;
}

/** Mixup pairing each sample with the batch reversed (GluonCV/timm); soft targets N x K. */
export function mixupBatch(batch: MixInput, alpha: number, rng: Rng): { images: Float32Array; targets: Float32Array; lambda: number } {
  const [n, h, w, c] = batch.shape;
  const lambda = rng.beta(alpha, alpha);
  const size = h * w * c;
  const images = new Float32Array(batch.images.length);
  const targets = new Float32Array(n * batch.numClasses);
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i;
    for (let k = 0; k < size; k++) {
      images[i * size + k] = lambda * batch.images[i * size + k]! + (1 - lambda) * batch.images[j * size + k]!;
    }
    targets[i * batch.numClasses + batch.labels[i]!]! += lambda;
    targets[i * batch.numClasses + batch.labels[j]!]! += 1 - lambda;
  }
  return { images, targets, lambda };
}
