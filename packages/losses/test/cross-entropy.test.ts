import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertFinite, crossEntropy, smoothTargets } from '../src/index.js';
import { ce64, meanCe64, numericGrad, target64 } from './reference.js';

interface Case {
  name: string;
  logits: number[][];
  labels: number[] | null;
  soft: number[][] | null;
  labelSmoothing: number;
  perSample: number[];
  mean: number;
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/cross-entropy.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};

function targetsOf(c: Case): tf.Tensor {
  return c.labels ? tf.tensor1d(c.labels, 'int32') : tf.tensor2d(c.soft as number[][]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('crossEntropy against PyTorch F.cross_entropy', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const before = tf.memory().numTensors;
      const logits = tf.tensor2d(c.logits);
      const targets = targetsOf(c);
      const mean = crossEntropy(logits, targets, { labelSmoothing: c.labelSmoothing });
      const perSample = crossEntropy(logits, targets, {
        labelSmoothing: c.labelSmoothing,
        reduction: 'none',
      });
      const tol = (v: number) => 2e-6 * Math.max(1, Math.abs(v));
      expect(mean.shape).toEqual([]);
      expect(Math.abs(mean.dataSync()[0]! - c.mean)).toBeLessThan(tol(c.mean));
      Array.from(perSample.dataSync()).forEach((v, i) => {
        expect(Math.abs(v - c.perSample[i]!)).toBeLessThan(tol(c.perSample[i]!));
      });
      // the float64 reference used for finite differences below agrees with PyTorch too
      const targets64 = c.labels ?? (c.soft as number[][]);
      expect(meanCe64(c.logits, targets64, c.labelSmoothing)).toBeCloseTo(c.mean, 9);
      tf.dispose([logits, targets, mean, perSample]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('sums and means consistently', () => {
    const c = fixture.cases[1]!;
    const logits = tf.tensor2d(c.logits);
    const labels = targetsOf(c);
    const sum = crossEntropy(logits, labels, { labelSmoothing: 0.1, reduction: 'sum' }).dataSync()[0]!;
    expect(sum / c.logits.length).toBeCloseTo(c.mean, 5);
  });
});

describe('label smoothing forms', () => {
  it("'uniform' gives 1 - eps + eps/K to the true class, 'paper' gives 1 - eps", () => {
    const labels = tf.tensor1d([2, 0], 'int32');
    const u = smoothTargets(labels, 4, 0.2, 'uniform').arraySync();
    const p = smoothTargets(labels, 4, 0.2, 'paper').arraySync();
    expect(u[0]).toEqual([0.05, 0.05, 0.85, 0.05].map((v) => expect.closeTo(v, 7)));
    expect(p[0]).toEqual([0.2 / 3, 0.2 / 3, 0.8, 0.2 / 3].map((v) => expect.closeTo(v, 7)));
    expect(p[1]).toEqual([0.8, 0.2 / 3, 0.2 / 3, 0.2 / 3].map((v) => expect.closeTo(v, 7)));
  });

  it('smooths soft (mixup) targets as timm does: t (1 - eps) + eps / K, and keeps rows summing to 1', () => {
    const soft = tf.tensor2d([
      [0.7, 0.3, 0, 0],
      [0, 0.3, 0.7, 0],
    ]);
    const u = smoothTargets(soft, 4, 0.1).arraySync();
    expect(u[0]).toEqual([0.655, 0.295, 0.025, 0.025].map((v) => expect.closeTo(v, 7)));
    const p = smoothTargets(soft, 4, 0.1, 'paper').arraySync();
    expect(p[1]).toEqual(target64([0, 0.3, 0.7, 0], 4, 0.1, 'paper').map((v) => expect.closeTo(v, 7)));
    for (const row of p) expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
  });

  it("'paper' with eps equals 'uniform' with eps K / (K - 1)", () => {
    const c = fixture.cases[0]!;
    const logits = tf.tensor2d(c.logits);
    const labels = tf.tensor1d(c.labels!, 'int32');
    const k = c.logits[0]!.length;
    const paper = crossEntropy(logits, labels, { labelSmoothing: 0.1, smoothing: 'paper' }).dataSync()[0]!;
    const uniform = crossEntropy(logits, labels, { labelSmoothing: (0.1 * k) / (k - 1) }).dataSync()[0]!;
    expect(paper).toBeCloseTo(uniform, 5);
    expect(paper).toBeCloseTo(meanCe64(c.logits, c.labels!, 0.1, 'paper'), 5);
    expect(paper).not.toBeCloseTo(c.mean, 2);
  });
});

describe('numerical stability', () => {
  it('is finite and exact for logits of 1e4 and for -Infinity logits of classes with no target mass', () => {
    const logits = tf.tensor2d([
      [1e4, 0, -1e4],
      [0, 0, Number.NEGATIVE_INFINITY],
    ]);
    const labels = tf.tensor1d([1, 0], 'int32');
    const per = crossEntropy(logits, labels, { reduction: 'none' }).dataSync();
    expect(per[0]).toBe(1e4);
    expect(per[1]).toBeCloseTo(Math.LN2, 6);
    const g = tf
      .grad((z: tf.Tensor) => crossEntropy(z, labels))(logits)
      .arraySync() as number[][];
    // d/dz mean CE = (softmax(z) - onehot) / N
    expect(g[0]).toEqual([0.5, -0.5, 0].map((v) => expect.closeTo(v, 6)));
    expect(g[1]).toEqual([-0.25, 0.25, 0].map((v) => expect.closeTo(v, 6)));
  });
});

describe('gradients agree with float64 finite differences', () => {
  const c = fixture.cases[0]!;
  const soft = fixture.cases[3]!.soft!;
  const settings: [string, (number | number[])[], number, 'uniform' | 'paper'][] = [
    ['hard labels', c.labels!, 0, 'uniform'],
    ['hard labels, uniform 0.1', c.labels!, 0.1, 'uniform'],
    ['hard labels, paper 0.1', c.labels!, 0.1, 'paper'],
    ['soft targets, uniform 0.2', soft, 0.2, 'uniform'],
  ];
  for (const [name, targets, eps, form] of settings) {
    it(name, () => {
      const t =
        typeof targets[0] === 'number'
          ? tf.tensor1d(targets as number[], 'int32')
          : tf.tensor2d(targets as number[][]);
      const g = tf.grad((z: tf.Tensor) => crossEntropy(z, t, { labelSmoothing: eps, smoothing: form }))(
        tf.tensor2d(c.logits),
      );
      const fd = numericGrad((z) => meanCe64(z, targets, eps, form), c.logits);
      const got = g.arraySync() as number[][];
      got.forEach((row, i) => {
        row.forEach((v, j) => {
          expect(Math.abs(v - fd[i]![j]!)).toBeLessThan(1e-6);
        });
      });
    });
  }
});

it('gradient with respect to soft targets agrees with finite differences', () => {
  const c = fixture.cases[5]!;
  const g = tf.grad((q: tf.Tensor) => crossEntropy(tf.tensor2d(c.logits), q))(tf.tensor2d(c.soft!));
  const fd = numericGrad(
    (q) => c.logits.reduce((s, z, i) => s + ce64(z, q[i]!), 0) / c.logits.length,
    c.soft!,
  );
  (g.arraySync() as number[][]).forEach((row, i) => {
    row.forEach((v, j) => {
      expect(Math.abs(v - fd[i]![j]!)).toBeLessThan(1e-6);
    });
  });
});

describe('bad input', () => {
  const logits = tf.tensor2d([
    [1, 2, 3],
    [0, 0, 0],
  ]);
  it('names labels out of range', () => {
    expect(() => crossEntropy(logits, tf.tensor1d([0, 3], 'int32'))).toThrow(
      /crossEntropy: labels \(int32 \[2\]\) has value 3 at index 1; allowed: integers in \[0, 2\]/,
    );
    expect(() => crossEntropy(logits, tf.tensor1d([-1, 0], 'int32'))).toThrow(RangeError);
  });
  it('names shapes that disagree', () => {
    expect(() => crossEntropy(logits, tf.tensor1d([0, 1, 2], 'int32'))).toThrow(
      /labels \(int32 \[3\]\) must have shape \[2\]/,
    );
    expect(() => crossEntropy(logits, tf.zeros([2, 4]))).toThrow(
      /soft targets \(float32 \[2, 4\]\) must have the logits' shape \[2, 3\]/,
    );
    expect(() => crossEntropy(tf.zeros([3]), tf.tensor1d([0], 'int32'))).toThrow(
      /logits \(float32 \[3\]\) must be float32 \[N, K\]/,
    );
  });
  it('names bad options', () => {
    const labels = tf.tensor1d([0, 1], 'int32');
    expect(() => crossEntropy(logits, labels, { labelSmoothing: 1 })).toThrow(
      /labelSmoothing must be a number in \[0, 1\); got 1/,
    );
    expect(() => crossEntropy(logits, labels, { smoothing: 'gluon' as never })).toThrow(
      /smoothing must be one of/,
    );
    expect(() => crossEntropy(logits, labels, { reduction: 'max' as never })).toThrow(
      /reduction must be one of/,
    );
  });
  it('assertFinite names the tensor, its shape and the first bad element', () => {
    expect(() => assertFinite(tf.tensor1d([1, Number.NaN]), 'loss')).toThrow(
      /loss \(float32 \[2\]\) has a non-finite value NaN at flat index 1/,
    );
    expect(() => assertFinite(tf.scalar(2), 'loss')).not.toThrow();
  });
});

it('ce64 reference sanity: uniform logits give log K', () => {
  expect(ce64([0, 0, 0, 0], [1, 0, 0, 0])).toBeCloseTo(Math.log(4), 12);
});
