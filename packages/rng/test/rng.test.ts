import { describe, expect, it } from 'vitest';
import { Rng } from '../src/index.js';

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

function draws(n: number, f: () => number): number[] {
  return Array.from({ length: n }, f);
}

describe('xoshiro128**', () => {
  it('matches the reference C algorithm from state [1, 2, 3, 4]', () => {
    // Values from a direct transcription of xoshiro128starstar.c (Blackman and Vigna), computed in Python.
    const rng = Rng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 4] });
    expect(draws(6, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = draws(10, Rng.from(42).uniform.bind(Rng.from(42)));
    const r1 = Rng.from(42);
    const r2 = Rng.from(42);
    const r3 = Rng.from(43);
    const s1 = draws(10, () => r1.uniform());
    expect(draws(10, () => r2.uniform())).toEqual(s1);
    expect(draws(10, () => r3.uniform())).not.toEqual(s1);
    expect(a).toHaveLength(10);
    expect(Rng.from('imagenet').nextUint32()).toBe(Rng.from('imagenet').nextUint32());
  });

  it('round-trips its state through JSON exactly', () => {
    const rng = Rng.from(7);
    for (let i = 0; i < 123; i++) rng.gamma(0.3);
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const expected = draws(50, () => rng.beta(0.2, 0.2));
    const resumed = Rng.fromState(saved);
    expect(draws(50, () => resumed.beta(0.2, 0.2))).toEqual(expected);
  });

  it('derives independent, order-free streams per key path', () => {
    const a = Rng.derive(1, 0, 5).uniform();
    expect(Rng.derive(1, 0, 5).uniform()).toBe(a);
    expect(Rng.derive(1, 5, 0).uniform()).not.toBe(a);
    expect(Rng.derive(1, 0, 6).uniform()).not.toBe(a);
    expect(Rng.derive(1, 0, 5 + 2 ** 32).uniform()).not.toBe(a);
  });
});

describe('distributions', () => {
  const n = 40000;

  it('uniform has mean 1/2 and variance 1/12, and stays in [0, 1)', () => {
    const rng = Rng.from(1);
    const xs = draws(n, () => rng.uniform());
    const { mean, variance } = moments(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 2);
  });

  it('int(n) is uniform over 0..n-1 (chi-square)', () => {
    const rng = Rng.from(2);
    const k = 7;
    const counts = new Array(k).fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(k)]++;
    const expected = n / k;
    const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    // 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
    expect(chi2).toBeLessThan(22.46);
  });

  it('normal has the requested mean and standard deviation', () => {
    const rng = Rng.from(3);
    const { mean, variance } = moments(draws(n, () => rng.normal(2, 0.5)));
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(0.5, 2);
  });

  it.each([0.2, 1, 4.5])('gamma(%f) has mean k and variance k', (k) => {
    const rng = Rng.from(4);
    const { mean, variance } = moments(draws(n, () => rng.gamma(k)));
    expect(Math.abs(mean - k)).toBeLessThan(4 * Math.sqrt(k / n));
    expect(variance / k).toBeGreaterThan(0.93);
    expect(variance / k).toBeLessThan(1.07);
  });

  it.each([
    [0.2, 0.2],
    [1, 1],
    [2, 5],
  ])('beta(%f, %f) has the closed-form mean and variance', (a, b) => {
    const rng = Rng.from(5);
    const xs = draws(n, () => rng.beta(a, b));
    const { mean, variance } = moments(xs);
    const m = a / (a + b);
    const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs(mean - m)).toBeLessThan(4 * Math.sqrt(v / n));
    expect(variance / v).toBeGreaterThan(0.95);
    expect(variance / v).toBeLessThan(1.05);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
  });

  it('permutation and shuffle return every element once', () => {
    const rng = Rng.from(6);
    const p = Array.from(rng.permutation(1000));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const items = ['a', 'b', 'c', 'd'];
    expect(rng.shuffle([...items]).sort()).toEqual(items);
  });
});

describe('bad input', () => {
  it('names the parameter and the value', () => {
    expect(() => Rng.from(1.5)).toThrow(/seed must be an integer.*1\.5/);
    expect(() => Rng.from(1).int(0)).toThrow(/int\(n\).*got 0/);
    expect(() => Rng.from(1).gamma(-1)).toThrow(/gamma shape must be > 0, got -1/);
    expect(() => Rng.from(1).beta(0, 1)).toThrow(/beta a must be > 0, got 0/);
    expect(() => Rng.from(1).uniformRange(2, 1)).toThrow(/low=2, high=1/);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', words: [0, 0, 0, 0] })).toThrow(/all zero/);
    expect(() => Rng.derive(1, 0.5)).toThrow(/keys\[0\] must be an integer, got 0.5/);
  });
});
