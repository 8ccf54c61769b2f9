import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm } from '../src/index.js';
import { maxRelativeError, useCpu } from './helpers.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/clip-grad-norm.json', import.meta.url), 'utf8'),
) as {
  cases: { maxNorm: number; shapes: number[][]; grads: number[][]; norm: number; clipped: number[][] }[];
};

beforeAll(useCpu);

describe('clipByGlobalNorm', () => {
  it('matches the closed form: norm 13 = sqrt(3^2 + 4^2 + 12^2), scaled by maxNorm / (13 + 1e-6)', () => {
    const grads = { a: tf.tensor([3, 4]), b: tf.tensor([[12]]) };
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 6.5);
    expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
    const coefficient = 6.5 / (13 + 1e-6);
    expect(maxRelativeError(clipped.a?.dataSync() ?? [], [3 * coefficient, 4 * coefficient])).toBeLessThan(
      1e-6,
    );
    expect(maxRelativeError(clipped.b?.dataSync() ?? [], [12 * coefficient])).toBeLessThan(1e-6);
    expect(clipped.b?.shape).toEqual([1, 1]);
    // Inputs untouched.
    expect(Array.from(grads.a.dataSync())).toEqual([3, 4]);
    tf.dispose([grads.a, grads.b, clipped.a as tf.Tensor, clipped.b as tf.Tensor, norm]);
  });

  it('leaves gradients below maxNorm unchanged (bitwise) and reports their norm', () => {
    const grads = [{ name: 'w', tensor: tf.tensor([0.1, -0.2, 0.3]) }];
    const { grads: out, norm } = clipByGlobalNorm(grads, 1);
    expect(Array.from(out.w?.dataSync() ?? [])).toEqual(Array.from(grads[0]?.tensor.dataSync() ?? []));
    expect(norm.dataSync()[0]).toBeCloseTo(Math.sqrt(0.14), 6);
    tf.dispose([grads[0]?.tensor as tf.Tensor, out.w as tf.Tensor, norm]);
  });

  fixture.cases.forEach((c, k) => {
    it(`equals torch.nn.utils.clip_grad_norm_ (case ${k}, maxNorm ${c.maxNorm})`, () => {
      const grads: tf.NamedTensorMap = {};
      c.shapes.forEach((shape, i) => {
        grads[`g${i}`] = tf.tensor(c.grads[i] as number[], shape);
      });
      const { grads: clipped, norm } = clipByGlobalNorm(grads, c.maxNorm);
      expect(Math.abs((norm.dataSync()[0] as number) - c.norm) / c.norm).toBeLessThan(1e-6);
      c.shapes.forEach((_, i) => {
        expect(maxRelativeError(clipped[`g${i}`]?.dataSync() ?? [], c.clipped[i] as number[])).toBeLessThan(
          1e-6,
        );
      });
      tf.dispose([...Object.values(grads), ...Object.values(clipped), norm]);
    });
  });

  it('rejects a maxNorm that is not a positive finite number', () => {
    const g = { w: tf.tensor([1]) };
    expect(() => clipByGlobalNorm(g, 0)).toThrow(RangeError);
    expect(() => clipByGlobalNorm(g, Number.NaN)).toThrow(/maxNorm.*NaN/);
    g.w.dispose();
  });

  it('does not leak tensors', () => {
    const g = { w: tf.tensor([1, 2]), v: tf.tensor([3]) };
    const before = tf.memory().numTensors;
    const { grads, norm } = clipByGlobalNorm(g, 1);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([...Object.values(grads), norm, g.w, g.v]);
  });
});
