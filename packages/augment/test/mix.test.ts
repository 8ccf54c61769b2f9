import { Rng } from '@bot/rng';
import { describe, expect, it } from 'vitest';
import {
  cutmix,
  cutmixBox,
  cutmixWithBox,
  type MixBatch,
  mixTargets,
  mixup,
  mixupWithLambda,
} from '../src/index.js';

function batch(n: number, h: number, w: number, c: number, numClasses: number): MixBatch & { layout: 'hwc' } {
  const images = new Float32Array(n * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(i / (h * w * c)) * 1000 + (i % (h * w * c));
  return {
    images,
    shape: [n, h, w, c],
    layout: 'hwc',
    labels: Int32Array.from({ length: n }, (_, i) => (i * 3) % numClasses),
    numClasses,
  };
}

/** The same images as an NCHW batch (`chw`). */
function toChw(b: MixBatch): MixBatch & { layout: 'chw' } {
  const [n, h, w, c] = b.shape;
  return { ...b, images: hwcToChw(b.images, n, h, w, c), shape: [n, c, h, w], layout: 'chw' };
}

function hwcToChw(src: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          out[((i * c + k) * h + y) * w + x] = src[((i * h + y) * w + x) * c + k] as number;
  return out;
}

describe('mixup', () => {
  it('mixes each image with its reversed-batch partner and the labels likewise', () => {
    const b = batch(5, 2, 3, 2, 4);
    const m = mixupWithLambda(b, 0.3);
    const per = 12;
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < per; k++) {
        const want = 0.3 * (b.images[i * per + k] as number) + 0.7 * (b.images[(4 - i) * per + k] as number);
        expect(m.images[i * per + k]).toBeCloseTo(want, 3);
      }
      const row = Array.from(m.targets.subarray(i * 4, i * 4 + 4));
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      expect(row[b.labels[i] as number]).toBeGreaterThanOrEqual(0.3 - 1e-6);
    }
    // the middle sample of an odd batch is its own partner: unchanged image, one-hot target
    expect(Array.from(m.images.subarray(2 * per, 3 * per))).toEqual(
      Array.from(b.images.subarray(2 * per, 3 * per)),
    );
    expect(m.targets[2 * 4 + (b.labels[2] as number)]).toBeCloseTo(1, 6);
    expect(b.images[0]).toBe(0);
  });

  it('alpha = 0 leaves the batch as it is; a seeded rng repeats', () => {
    const b = batch(4, 1, 2, 1, 3);
    const m = mixup(b, 0, Rng.from(1));
    expect(m.lambda).toBe(1);
    expect(m.images).toEqual(b.images);
    expect(mixup(b, 0.2, Rng.from(7)).images).toEqual(mixup(b, 0.2, Rng.from(7)).images);
  });

  it('soft targets have the closed form', () => {
    expect(Array.from(mixTargets(Int32Array.of(0, 2), 3, 0.25))).toEqual([0.25, 0, 0.75, 0.75, 0, 0.25]);
    expect(Array.from(mixTargets(Int32Array.of(1, 1), 2, 0.4))).toEqual([0, 1, 0, 1]);
  });

  it('mixes a chw batch exactly as the hwc batch it transposes, and checks the layout it is given', () => {
    const hwc = batch(4, 3, 5, 2, 3);
    const chw = toChw(hwc);
    const a = mixupWithLambda(hwc, 0.35);
    const b = mixupWithLambda(chw, 0.35);
    expect(Array.from(b.images)).toEqual(Array.from(hwcToChw(a.images, 4, 3, 5, 2)));
    expect(b.targets).toEqual(a.targets);
    expect(mixup(chw, 0.4, Rng.from(9)).lambda).toBe(mixup(hwc, 0.4, Rng.from(9)).lambda);
    // mixup does not need the layout: a batch without one mixes the same
    const { layout: _, ...bare } = hwc;
    expect(mixupWithLambda(bare, 0.35).images).toEqual(a.images);
    expect(() => mixupWithLambda({ ...hwc, layout: 'nhwc' as 'hwc' }, 0.5)).toThrow(
      /batch.layout must be 'hwc' or 'chw', got "nhwc"/,
    );
  });

  it('rejects inconsistent batches', () => {
    const b = batch(2, 2, 2, 1, 3);
    expect(() => mixup({ ...b, labels: Int32Array.of(0, 3) }, 0.2, Rng.from(0))).toThrow(/labels\[1\] = 3/);
    expect(() => mixup({ ...b, images: new Float32Array(3) }, 0.2, Rng.from(0))).toThrow(/images/);
    expect(() => mixup(b, -1, Rng.from(0))).toThrow(/alpha/);
  });
});

describe('cutmix', () => {
  it('pastes the partner box and sets lambda to the unpasted fraction', () => {
    const b = batch(3, 4, 5, 2, 3);
    const box = { top: 1, bottom: 3, left: 2, right: 5 };
    const m = cutmixWithBox(b, box);
    expect(m.lambda).toBeCloseTo(1 - 6 / 20, 12);
    const per = 40;
    for (let i = 0; i < 3; i++) {
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 5; x++)
          for (let c = 0; c < 2; c++) {
            const k = (y * 5 + x) * 2 + c;
            const inBox = y >= 1 && y < 3 && x >= 2 && x < 5;
            expect(m.images[i * per + k]).toBe(b.images[(inBox ? 2 - i : i) * per + k]);
          }
    }
    expect(Array.from(m.targets.subarray(0, 3))).toEqual(
      Array.from(mixTargets(b.labels, 3, m.lambda).subarray(0, 3)),
    );
  });

  it('box side is (H, W) sqrt(1 - lambda) before clipping, centred on a uniform pixel', () => {
    const rng = Rng.from(5);
    let unclipped = 0;
    for (let k = 0; k < 2000; k++) {
      const lam = rng.uniform();
      const box = cutmixBox(32, 40, lam, rng);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.bottom).toBeLessThanOrEqual(32);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(40);
      const ch = Math.trunc(32 * Math.sqrt(1 - lam));
      const cw = Math.trunc(40 * Math.sqrt(1 - lam));
      if (box.top > 0 && box.bottom < 32 && box.left > 0 && box.right < 40) {
        unclipped++;
        expect(box.bottom - box.top).toBe(2 * Math.floor(ch / 2));
        expect(box.right - box.left).toBe(2 * Math.floor(cw / 2));
      } else {
        expect(box.bottom - box.top).toBeLessThanOrEqual(2 * Math.floor(ch / 2));
      }
    }
    expect(unclipped).toBeGreaterThan(100);
  });

  it('pastes the box into every channel of a chw batch, the same pixels as in the hwc batch', () => {
    const hwc = batch(3, 4, 5, 3, 3);
    const chw = toChw(hwc);
    const box = { top: 1, bottom: 3, left: 2, right: 5 };
    const m = cutmixWithBox(chw, box);
    expect(m.lambda).toBeCloseTo(1 - 6 / 20, 12);
    const per = 60;
    for (let i = 0; i < 3; i++)
      for (let k = 0; k < 3; k++)
        for (let y = 0; y < 4; y++)
          for (let x = 0; x < 5; x++) {
            const at = (k * 4 + y) * 5 + x;
            const inBox = y >= 1 && y < 3 && x >= 2 && x < 5;
            expect(m.images[i * per + at]).toBe(chw.images[(inBox ? 2 - i : i) * per + at]);
          }
    expect(Array.from(m.images)).toEqual(Array.from(hwcToChw(cutmixWithBox(hwc, box).images, 3, 4, 5, 3)));
    expect(() => cutmixWithBox(chw, { top: 0, bottom: 5, left: 0, right: 1 })).toThrow(
      /inside the 4x5 image/,
    );
  });

  it('a [2,3,8,8] chw batch is cut over its 8x8 pixels in all 3 channels (seed 1), as its hwc transpose', () => {
    // The case: read as NHWC this batch would be H = 3, W = 8, C = 8 and the box would land in one
    // "channel" only. With its layout said, every channel of the 8x8 image gets the same box.
    const hwc = batch(2, 8, 8, 3, 2);
    const chw = toChw(hwc);
    expect(chw.shape).toEqual([2, 3, 8, 8]);
    const m = cutmix(chw, 1, Rng.from(1));
    const reference = cutmix(hwc, 1, Rng.from(1));
    expect(m.lambda).toBe(reference.lambda);
    expect(Array.from(m.images)).toEqual(Array.from(hwcToChw(reference.images, 2, 8, 8, 3)));
    const pastedPerChannel = [0, 1, 2].map((k) => {
      let count = 0;
      for (let p = 0; p < 64; p++) if (m.images[k * 64 + p] !== chw.images[k * 64 + p]) count++;
      return count;
    });
    expect(pastedPerChannel[0]).toBeGreaterThan(0);
    expect(pastedPerChannel).toEqual([pastedPerChannel[0], pastedPerChannel[0], pastedPerChannel[0]]);
    expect(m.lambda).toBeCloseTo(1 - (pastedPerChannel[0] as number) / 64, 12);
  });

  it('refuses a batch that does not say its layout', () => {
    const { layout: _, ...bare } = batch(2, 3, 8, 8, 2);
    expect(() => cutmix(bare as MixBatch & { layout: 'hwc' }, 1, Rng.from(1))).toThrow(
      /batch.layout is required by CutMix \('hwc' for \[N, H, W, C\] or 'chw' for \[N, C, H, W\]\); got a batch of shape \[2, 3, 8, 8\] without one/,
    );
    expect(() =>
      cutmixWithBox(bare as MixBatch & { layout: 'hwc' }, { top: 0, bottom: 1, left: 0, right: 1 }),
    ).toThrow(TypeError);
    expect(() => cutmix({ ...bare, layout: 'CHW' as 'chw' }, 1, Rng.from(1))).toThrow(/batch.layout must be/);
  });

  it('cutmix lambda equals the unpasted area and its mean is near 1/2 for alpha = 1', () => {
    const rng = Rng.from(6);
    const b = batch(2, 16, 16, 1, 2);
    let sum = 0;
    const n = 2000;
    for (let k = 0; k < n; k++) {
      const m = cutmix(b, 1, rng);
      const pasted = m.images.reduce((a, v, i) => a + (i < 256 && v >= 1000 ? 1 : 0), 0);
      expect(m.lambda).toBeCloseTo(1 - pasted / 256, 12);
      sum += m.lambda;
    }
    // Clipping at the border only shrinks boxes, so the corrected lambda averages a bit above 1/2.
    expect(sum / n).toBeGreaterThan(0.5);
    expect(sum / n).toBeLessThan(0.75);
  });
});
