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

function batch(n: number, h: number, w: number, c: number, numClasses: number): MixBatch {
  const images = new Float32Array(n * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(i / (h * w * c)) * 1000 + (i % (h * w * c));
  return {
    images,
    shape: [n, h, w, c],
    labels: Int32Array.from({ length: n }, (_, i) => (i * 3) % numClasses),
    numClasses,
  };
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
