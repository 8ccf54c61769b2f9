import { Rng } from '@bot/rng';
import { describe, expect, it } from 'vitest';
import {
  colorJitterParams,
  lightingParams,
  mixup,
  RandomHorizontalFlip,
  randomCropBox,
  randomResizedCropParams,
} from '../src/index.js';

const N = 6000;

function meanVar(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** Kolmogorov-Smirnov distance of a sample from U[lo, hi]. */
function ksUniform(xs: number[], lo: number, hi: number): number {
  const s = [...xs].sort((a, b) => a - b);
  let d = 0;
  for (const [i, x] of s.entries()) {
    const f = Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs(f - (i + 1) / s.length));
  }
  return d;
}
// The 0.1% critical value of the KS statistic is 1.95 / sqrt(n).
const KS_CRIT = 1.95 / Math.sqrt(N);

describe('RandomResizedCrop parameters', () => {
  it('area fraction ~ U[scale] and log aspect ~ U[log ratio] when every draw fits', () => {
    // On a 2000x2000 image, scale <= 0.5 and ratio in [3/4, 4/3] always fit, so no draw is rejected and
    // rounding moves the area by well under 0.1%.
    const rng = Rng.from(11);
    const areas: number[] = [];
    const logAspects: number[] = [];
    for (let i = 0; i < N; i++) {
      const b = randomResizedCropParams({ width: 2000, height: 2000 }, rng, { scale: [0.08, 0.5] });
      areas.push((b.width * b.height) / 4e6);
      logAspects.push(Math.log(b.width / b.height));
    }
    expect(ksUniform(areas, 0.08, 0.5)).toBeLessThan(KS_CRIT + 0.002);
    expect(ksUniform(logAspects, Math.log(3 / 4), Math.log(4 / 3))).toBeLessThan(KS_CRIT + 0.002);
  });

  it('boxes lie inside the image and are placed uniformly', () => {
    const rng = Rng.from(12);
    const rel: number[] = [];
    for (let i = 0; i < N; i++) {
      const b = randomResizedCropParams({ width: 500, height: 375 }, rng);
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left + b.width).toBeLessThanOrEqual(500);
      expect(b.top + b.height).toBeLessThanOrEqual(375);
      if (b.width < 500) rel.push((b.left + 0.5) / (500 - b.width + 1));
    }
    expect(ksUniform(rel, 0, 1)).toBeLessThan(1.95 / Math.sqrt(rel.length) + 0.01);
  });

  it('falls back to the centred clamped-ratio crop when nothing fits', () => {
    const rng = Rng.from(13);
    // A 1000x10 strip: ratio 100 > 4/3 and almost every draw is too tall, so most calls fall back.
    const boxes = Array.from({ length: 200 }, () =>
      randomResizedCropParams({ width: 1000, height: 10 }, rng),
    );
    const fallback = { left: Math.trunc((1000 - 13) / 2), top: 0, width: 13, height: 10 };
    expect(boxes.filter((b) => JSON.stringify(b) === JSON.stringify(fallback)).length).toBeGreaterThan(100);
    // attempts: 0 always takes the fallback; a square image keeps the whole image.
    expect(randomResizedCropParams({ width: 50, height: 50 }, rng, { attempts: 0 })).toEqual({
      left: 0,
      top: 0,
      width: 50,
      height: 50,
    });
  });

  it('rejects bad ranges with a RangeError naming them', () => {
    const rng = Rng.from(1);
    expect(() => randomResizedCropParams({ width: 9, height: 9 }, rng, { scale: [1, 0.5] })).toThrow(/scale/);
    expect(() => randomResizedCropParams({ width: 9, height: 9 }, rng, { ratio: [0, 1] })).toThrow(
      RangeError,
    );
  });
});

describe('other random parameters', () => {
  it('flip rate is p', () => {
    const rng = Rng.from(21);
    for (const p of [0.5, 0.1]) {
      const flip = new RandomHorizontalFlip(p);
      let n = 0;
      for (let i = 0; i < N; i++) n += flip.plan({ width: 1, height: 1 }, rng).length;
      const sd = Math.sqrt((p * (1 - p)) / N);
      expect(Math.abs(n / N - p)).toBeLessThan(4 * sd);
    }
  });

  it('jitter factors ~ U[1 - j, 1 + j] and every order equally likely', () => {
    const rng = Rng.from(22);
    const b: number[] = [];
    const s: number[] = [];
    const firsts = { brightness: 0, contrast: 0, saturation: 0, hue: 0 };
    for (let i = 0; i < N; i++) {
      const p = colorJitterParams({ brightness: 0.4, contrast: 0.4, saturation: [0.2, 0.5], hue: 0.1 }, rng);
      expect(new Set(p.order).size).toBe(4);
      b.push(p.brightness as number);
      s.push(p.saturation as number);
      expect(Math.abs(p.hue as number)).toBeLessThanOrEqual(0.1);
      firsts[p.order[0] as keyof typeof firsts]++;
    }
    expect(ksUniform(b, 0.6, 1.4)).toBeLessThan(KS_CRIT);
    expect(ksUniform(s, 0.2, 0.5)).toBeLessThan(KS_CRIT);
    for (const k of Object.values(firsts))
      expect(Math.abs(k / N - 0.25)).toBeLessThan(4 * Math.sqrt(0.1875 / N));
    const none = colorJitterParams({ brightness: 0.4 }, rng);
    expect(none.order).toEqual(['brightness']);
    expect(none.contrast).toBeUndefined();
  });

  it('lighting alphas ~ N(0, std)', () => {
    const rng = Rng.from(23);
    const xs: number[] = [];
    for (let i = 0; i < N; i++) xs.push(...lightingParams(0.1, rng));
    const { mean, variance } = meanVar(xs);
    expect(Math.abs(mean)).toBeLessThan(4 * (0.1 / Math.sqrt(xs.length)));
    // sd of a sample variance of normals: sigma^2 sqrt(2 / (n - 1))
    expect(Math.abs(variance - 0.01)).toBeLessThan(4 * 0.01 * Math.sqrt(2 / xs.length));
  });

  it('mixup lambda ~ Beta(alpha, alpha): mean 1/2, variance 1 / (4 (2 alpha + 1))', () => {
    const rng = Rng.from(24);
    const batch = {
      images: new Float32Array(2),
      shape: [2, 1, 1, 1] as [number, number, number, number],
      labels: Int32Array.of(0, 1),
      numClasses: 2,
    };
    for (const alpha of [0.2, 1, 4]) {
      const ls: number[] = [];
      for (let i = 0; i < N; i++) ls.push(mixup(batch, alpha, rng).lambda);
      const { mean, variance } = meanVar(ls);
      const v = 1 / (4 * (2 * alpha + 1));
      expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(v / N));
      expect(Math.abs(variance - v) / v).toBeLessThan(0.08);
    }
  });

  it('random crop offsets cover the padded range uniformly', () => {
    const rng = Rng.from(25);
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const b = randomCropBox({ width: 28, height: 28 }, { width: 28, height: 28 }, rng, { padding: 4 });
      expect(b.top).toBeGreaterThanOrEqual(-4);
      expect(b.top).toBeLessThanOrEqual(4);
      counts.set(b.left, (counts.get(b.left) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    for (const c of counts.values())
      expect(Math.abs(c / N - 1 / 9)).toBeLessThan(4 * Math.sqrt(((1 / 9) * (8 / 9)) / N));
  });
});
