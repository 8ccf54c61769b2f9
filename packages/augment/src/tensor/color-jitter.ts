import {
  add,
  clipByValue,
  maximum,
  mean,
  minimum,
  mul,
  sum,
  type Tensor4D,
  tensor4d,
  tidy,
} from '@tensorflow/tfjs-core';
import { GRAY_WEIGHTS } from '../color.js';
import type { ColorJitterParams, ColorOp } from '../color-jitter.js';

const BIG = 1e30;

/**
 * Applies each sample's ColorJitter parameters (from `colorJitterParams`, as the sharp path draws them) to a
 * float32 NHWC batch on the 0-255 scale. Every sample may run its adjustments in its own order: step k of
 * all samples runs as one `clamp(a * x + b * grey(x) + c * mean(grey(x)))` with per-sample a, b, c, which
 * is torchvision's brightness (b = c = 0), contrast (c = 1 - f) and saturation (b = 1 - f). Hue is not
 * supported on tensors (the paper does not jitter hue).
 */
export function colorJitterBatch(images: Tensor4D, params: readonly ColorJitterParams[]): Tensor4D {
  const [n, , , channels] = images.shape;
  if (params.length !== n) {
    throw new RangeError(`params has ${params.length} entries but the batch has ${n} images`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`ColorJitter on tensors needs 1 or 3 channels, got ${channels}`);
  }
  const steps: [ColorOp, number][][] = params.map((p, i) =>
    p.order.flatMap((op): [ColorOp, number][] => {
      const f = p[op];
      if (f === undefined) return [];
      if (op === 'hue') {
        throw new RangeError(`params[${i}].hue is set: hue jitter is not supported on tensors`);
      }
      if (!(f >= 0) || !Number.isFinite(f)) {
        throw new RangeError(`params[${i}].${op} factor must be a finite number >= 0, got ${f}`);
      }
      return [[op, f]];
    }),
  );
  const slots = Math.max(0, ...steps.map((s) => s.length));
  let x = images;
  for (let k = 0; k < slots; k++) {
    const prev = x;
    x = jitterStep(
      x,
      steps.map((s) => s[k] ?? null),
      channels,
    );
    if (prev !== images) prev.dispose();
  }
  return x === images ? images.clone() : x;
}

function jitterStep(x: Tensor4D, ops: ([ColorOp, number] | null)[], channels: number): Tensor4D {
  const n = ops.length;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const c = new Float32Array(n);
  const lo = new Float32Array(n);
  const hi = new Float32Array(n);
  let needGray = false;
  let needMean = false;
  for (const [i, step] of ops.entries()) {
    const [op, f] = step ?? ['none', 1];
    a[i] = 1;
    lo[i] = -BIG;
    hi[i] = BIG;
    if (op === 'none' || (op === 'saturation' && channels === 1)) continue;
    a[i] = f;
    lo[i] = 0;
    hi[i] = 255;
    if (op === 'contrast') {
      c[i] = 1 - f;
      needMean = true;
    } else if (op === 'saturation') {
      b[i] = 1 - f;
      needGray = true;
    }
  }
  const perSample = (v: Float32Array) => tensor4d(v, [n, 1, 1, 1]);
  return tidy(() => {
    let y: Tensor4D = mul(x, perSample(a));
    if (needGray || needMean) {
      const gray: Tensor4D =
        channels === 3 ? sum(mul(x, tensor4d([...GRAY_WEIGHTS], [1, 1, 1, 3])), 3, true) : x;
      if (needGray) y = add(y, mul(gray, perSample(b)));
      if (needMean) y = add(y, mul(mean(gray, [1, 2, 3], true), perSample(c)));
    }
    // Every sample adjusts in this step (the usual case: each jitter runs all its adjustments): one clamp.
    if (lo.every((v) => v === 0) && hi.every((v) => v === 255)) return clipByValue(y, 0, 255);
    return minimum(maximum(y, perSample(lo)), perSample(hi));
  });
}
