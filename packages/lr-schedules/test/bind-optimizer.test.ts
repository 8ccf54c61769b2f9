import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindOptimizer, multiStep, type Schedule, setLearningRate } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const grad = [0.5, -1, 2];
const start = [1, 2, 3];
// loss = sum(g * w) has gradient g whatever w is, so each update is w -= lr * g (SGD).
const lossOf = (w: tf.Variable) => () => tf.sum(tf.mul(tf.tensor1d(grad), w)) as tf.Scalar;

function expectValues(got: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
}
const schedule: Schedule = (step) => [0.1, 0.2, 0.05, 0.4][step] ?? 0.01;

describe('bindOptimizer drives a real tfjs optimizer', () => {
  it('plain assignment does nothing on tfjs SGD (the reason the binding exists)', () => {
    const w = tf.variable(tf.tensor1d(start));
    const opt = tf.train.sgd(0.1);
    (opt as unknown as { learningRate: number }).learningRate = 1000;
    opt.minimize(lossOf(w));
    const got = w.dataSync();
    expectValues(
      got,
      start.map((v, i) => v - 0.1 * grad[i]!),
    );
    w.dispose();
    opt.dispose();
  });

  it('SGD: every minimize step uses the scheduled rate', () => {
    const w = tf.variable(tf.tensor1d(start));
    const opt = tf.train.sgd(123);
    const binding = bindOptimizer(opt, schedule);
    const expected = [...start];
    for (let step = 0; step < 6; step++) {
      expect(binding.step).toBe(step);
      opt.minimize(lossOf(w));
      for (let i = 0; i < expected.length; i++) expected[i] = expected[i]! - schedule(step) * grad[i]!;
      const got = w.dataSync();
      expectValues(got, expected);
    }
    expect(opt.iterations).toBe(6);
    w.dispose();
    opt.dispose();
  });

  it('Momentum: the velocity sums gradients and the scheduled rate scales each update', () => {
    const w = tf.variable(tf.tensor1d(start));
    const opt = tf.train.momentum(9, 0.9);
    bindOptimizer(opt, schedule);
    let velocity = [0, 0, 0];
    const expected = [...start];
    for (let step = 0; step < 5; step++) {
      opt.minimize(lossOf(w));
      velocity = velocity.map((v, i) => 0.9 * v + grad[i]!);
      for (let i = 0; i < expected.length; i++) expected[i] = expected[i]! - schedule(step) * velocity[i]!;
    }
    const got = w.dataSync();
    expectValues(got, expected);
    w.dispose();
    opt.dispose();
  });

  it('Adam reads the field: the first update is -lr * g / (|g| + eps) with the scheduled lr', () => {
    const w = tf.variable(tf.tensor1d(start));
    const opt = tf.train.adam(7, 0.9, 0.999, 1e-8);
    bindOptimizer(opt, (step) => [0.25, 0.5][step] ?? 0);
    opt.minimize(lossOf(w));
    const got = w.dataSync();
    // Adam's bias-corrected first step moves every weight by lr * sign(g).
    expectValues(
      got,
      start.map((v, i) => v - 0.25 * Math.sign(grad[i]!)),
    );
    w.dispose();
    opt.dispose();
  });

  it('model.fit goes through the binding once per batch', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false, kernelInitializer: 'zeros' })],
    });
    const opt = tf.train.sgd(1);
    const seen: number[] = [];
    const binding = bindOptimizer(opt, (step) => {
      seen.push(step);
      return 0.01;
    });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const xs = tf.ones([8, 1]);
    const ys = tf.ones([8, 1]);
    await model.fit(xs, ys, { batchSize: 2, epochs: 2, verbose: 0, shuffle: false });
    expect(binding.step).toBe(8);
    expect(seen).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7]);
    // w after 8 SGD steps on (w - 1)^2 with lr 0.01: w_{k+1} = w_k - 0.02 (w_k - 1)
    const w = (model.getWeights()[0]!.dataSync() as Float32Array)[0]!;
    expect(w).toBeCloseTo(1 - 0.98 ** 8, 5);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('starts from the optimizer iteration count, seeks, unbinds, and leaks no tensors', () => {
    const w = tf.variable(tf.tensor1d(start));
    const opt = tf.train.sgd(0.1);
    opt.minimize(lossOf(w));
    opt.minimize(lossOf(w));
    const decay = multiStep({ init: 1, milestones: [3, 6], gamma: 0.1 });
    const binding = bindOptimizer(opt, decay);
    expect(binding.step).toBe(2);
    expect(binding.learningRate).toBe(1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) opt.minimize(lossOf(w))?.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(binding.step).toBe(22);
    expect(binding.learningRate).toBeCloseTo(0.01, 12);
    binding.seek(0);
    expect(binding.learningRate).toBe(1);
    binding.unbind();
    expect(Object.hasOwn(opt, 'applyGradients')).toBe(false);
    const snapshot = Array.from(w.dataSync());
    opt.minimize(lossOf(w));
    expect(binding.step).toBe(0);
    expectValues(
      w.dataSync(),
      snapshot.map((v, i) => v - grad[i]!),
    );
    w.dispose();
    opt.dispose();
  });

  it('setLearningRate sets the field on objects without the method', () => {
    const o = { learningRate: 1 };
    setLearningRate(o, 0.5);
    expect(o.learningRate).toBe(0.5);
    expect(() => setLearningRate({}, 0.5)).toThrow(TypeError);
  });
});
