import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm, batchNormTraining } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

/** A stock tfjs-layers BatchNormalization and our BatchNorm with the same random gamma and beta. */
function pair(channels: number) {
  const args = { axis: -1, epsilon: 1e-5, momentum: 0.9 };
  const stock = tf.layers.batchNormalization(args);
  const fused = new BatchNorm(args);
  stock.build([null, null, null, channels]);
  fused.build([null, null, null, channels]);
  const weights = [
    tf.randomNormal([channels], 1, 0.5, 'float32', 11),
    tf.randomNormal([channels], 0, 0.5, 'float32', 12),
    tf.randomNormal([channels], 0, 0.5, 'float32', 13),
    tf.randomUniform([channels], 0.5, 2, 'float32', 14),
  ];
  stock.setWeights(weights);
  fused.setWeights(weights);
  tf.dispose(weights);
  return { stock, fused };
}

/** dL/dx, dL/dgamma, dL/dbeta of L = sum(w * layer(x)) in training mode. */
function gradients(layer: tf.layers.Layer, x: tf.Tensor, w: tf.Tensor): tf.Tensor[] {
  const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, w));
  const dx = tf.grad(loss)(x);
  const { grads } = tf.variableGrads(
    () => loss(x) as tf.Scalar,
    layer.trainableWeights.map((v) => v.read() as tf.Variable),
  );
  return [dx, ...layer.trainableWeights.map((v) => grads[(v.read() as tf.Variable).name] as tf.Tensor)];
}

describe('BatchNorm (fused training gradient)', () => {
  it('matches tfjs-layers BatchNormalization: output, gradients and moving statistics', () => {
    const { stock, fused } = pair(6);
    const x = tf.randomNormal([3, 5, 4, 6], 1.5, 2, 'float32', 3);
    const w = tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 4);
    expect(
      maxAbs(
        stock.apply(x, { training: true }) as tf.Tensor,
        fused.apply(x, { training: true }) as tf.Tensor,
      ),
    ).toBeLessThan(1e-6);
    const [sdx, sdg, sdb] = gradients(stock, x, w) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [fdx, fdg, fdb] = gradients(fused, x, w) as [tf.Tensor, tf.Tensor, tf.Tensor];
    // Gradients of magnitude ~0.2 (x), ~10 (gamma, beta); float32 sums in a different order.
    expect(maxAbs(sdx, fdx)).toBeLessThan(1e-6);
    expect(maxAbs(sdg, fdg)).toBeLessThan(1e-4);
    expect(maxAbs(sdb, fdb)).toBeLessThan(1e-5);
    // Each apply in training mode updated the moving statistics (4 calls each), identically.
    const [, , stockMean, stockVar] = stock.getWeights() as tf.Tensor[];
    const [, , fusedMean, fusedVar] = fused.getWeights() as tf.Tensor[];
    expect(maxAbs(stockMean as tf.Tensor, fusedMean as tf.Tensor)).toBeLessThan(1e-6);
    expect(maxAbs(stockVar as tf.Tensor, fusedVar as tf.Tensor)).toBeLessThan(1e-5);
  });

  it('has the gradient of the closed form: finite differences of the loss in x and gamma', () => {
    const x = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 21);
    const gamma = tf.tensor1d([0.7, -1.3]);
    const beta = tf.tensor1d([0.2, 0.1]);
    const w = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 22);
    // float64 reference of sum(w * bn(x)) in plain JavaScript.
    const xs = Array.from(x.dataSync());
    const ws = Array.from(w.dataSync());
    const reference = (xv: number[], g: number[]) => {
      let total = 0;
      for (let c = 0; c < 2; c++) {
        const vals = xv.filter((_, i) => i % 2 === c);
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
        xv.forEach((v, i) => {
          if (i % 2 !== c) return;
          total +=
            (ws[i] as number) *
            (((g[c] as number) * (v - mean)) / Math.sqrt(variance + 1e-5) + (c === 0 ? 0.2 : 0.1));
        });
      }
      return total;
    };
    const [dx, dgamma] = tf.grads((xi: tf.Tensor, g: tf.Tensor) => {
      const { y, mean, variance } = batchNormTraining(xi, g as tf.Tensor1D, beta, 1e-5);
      tf.dispose([mean, variance]);
      return tf.sum(tf.mul(y, w));
    })([x, gamma]) as [tf.Tensor, tf.Tensor];
    const h = 1e-4;
    const g = Array.from(gamma.dataSync());
    xs.forEach((_, i) => {
      const up = xs.map((v, j) => (j === i ? v + h : v));
      const down = xs.map((v, j) => (j === i ? v - h : v));
      const numeric = (reference(up, g) - reference(down, g)) / (2 * h);
      expect(dx.dataSync()[i]).toBeCloseTo(numeric, 3);
    });
    for (let c = 0; c < 2; c++) {
      const up = g.map((v, j) => (j === c ? v + h : v));
      const down = g.map((v, j) => (j === c ? v - h : v));
      expect(dgamma.dataSync()[c]).toBeCloseTo((reference(xs, up) - reference(xs, down)) / (2 * h), 3);
    }
  });

  it('returns the batch mean and biased variance, and leaks no tensor', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2]);
    const before = tf.memory().numTensors;
    const { y, mean, variance } = batchNormTraining(
      x,
      tf.ones([2]) as tf.Tensor1D,
      tf.zeros([2]) as tf.Tensor1D,
      0,
    );
    // Channel 0 holds 1, 3, 5, 7 and channel 1 holds 2, 4, 6, 8: means 4 and 5, variance 5 each.
    expect(Array.from(mean.dataSync())).toEqual([4, 5]);
    expect(Array.from(variance.dataSync())).toEqual([5, 5]);
    expect(Array.from(y.dataSync())[0]).toBeCloseTo(-3 / Math.sqrt(5), 6);
    tf.dispose([y, mean, variance]);
    // gamma and beta above were made inside the call's arguments: 2 tensors remain.
    expect(tf.memory().numTensors).toBe(before + 2);
  });

  it('serializes as the stock BatchNormalization, and falls back to it in inference', () => {
    const { stock, fused } = pair(3);
    expect(fused.getClassName()).toBe('BatchNormalization');
    const withoutName = (config: tf.serialization.ConfigDict) => ({ ...config, name: undefined });
    expect(withoutName(fused.getConfig())).toEqual(withoutName(stock.getConfig()));
    const x = tf.randomNormal([2, 2, 2, 3], 0, 1, 'float32', 31);
    expect(maxAbs(stock.apply(x) as tf.Tensor, fused.apply(x) as tf.Tensor)).toBe(0);
  });
});
