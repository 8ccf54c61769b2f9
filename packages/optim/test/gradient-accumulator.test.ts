import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientAccumulator, NesterovSGD } from '../src/index.js';
import { maxRelativeError, useCpu, Values } from './helpers.js';

beforeAll(useCpu);

/** A two-layer tanh MLP without batch norm; its loss is the mean squared error over the batch. */
function tinyNet(prefix: string, rng: Values) {
  const randn = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.5),
      shape,
    );
  const vars = {
    w1: tf.variable(randn([4, 6]), true, `${prefix}/dense1/kernel`),
    b1: tf.variable(randn([6]), true, `${prefix}/dense1/bias`),
    w2: tf.variable(randn([6, 2]), true, `${prefix}/dense2/kernel`),
    b2: tf.variable(randn([2]), true, `${prefix}/dense2/bias`),
  };
  const loss = (x: tf.Tensor2D, y: tf.Tensor2D) =>
    tf.tidy(() => {
      const h = tf.tanh(tf.add(tf.matMul(x, vars.w1), vars.b1));
      return tf.mean(tf.square(tf.sub(tf.add(tf.matMul(h, vars.w2), vars.b2), y))) as tf.Scalar;
    });
  return { vars, loss };
}

function data(rng: Values, n: number) {
  const x = tf.tensor2d(
    Float32Array.from({ length: n * 4 }, () => rng.normal()),
    [n, 4],
  );
  const y = tf.tensor2d(
    Float32Array.from({ length: n * 2 }, () => rng.normal()),
    [n, 2],
  );
  return { x, y };
}

function run(microBatches: number[] | null, updates: number) {
  const prefix = `acc${microBatches === null ? 'full' : microBatches.join('-')}`;
  const { vars, loss } = tinyNet(prefix, new Values(7));
  const rng = new Values(11);
  const optimizer = new NesterovSGD({ learningRate: 0.05, weightDecay: 0.01 });
  const accumulator = new GradientAccumulator({ steps: microBatches?.length ?? 1 });
  for (let u = 0; u < updates; u++) {
    const { x, y } = data(rng, 12);
    if (microBatches === null) {
      optimizer.minimize(() => loss(x, y));
    } else {
      let start = 0;
      for (const size of microBatches) {
        const xs = tf.slice(x, [start, 0], [size, 4]);
        const ys = tf.slice(y, [start, 0], [size, 2]);
        const { value, grads } = tf.variableGrads(() => loss(xs, ys));
        accumulator.add(grads, size);
        tf.dispose([xs, ys, value, ...Object.values(grads)]);
        start += size;
      }
      expect(accumulator.ready).toBe(true);
      expect(accumulator.applyTo(optimizer)).toBe(true);
      expect(accumulator.count).toBe(0);
    }
    tf.dispose([x, y]);
  }
  const values = Object.values(vars).map((v) => Array.from(v.dataSync()));
  optimizer.dispose();
  tf.dispose(Object.values(vars));
  return values;
}

describe('GradientAccumulator', () => {
  it('k equal micro-batches give the full-batch update (3 updates, with momentum and decay)', () => {
    const full = run(null, 3);
    const accumulated = run([3, 3, 3, 3], 3);
    full.forEach((values, i) => {
      expect(maxRelativeError(accumulated[i] ?? [], values)).toBeLessThan(1e-6);
    });
  });

  it('unequal micro-batches weighted by their size also give the full-batch update', () => {
    const full = run(null, 2);
    const accumulated = run([5, 4, 3], 2);
    full.forEach((values, i) => {
      expect(maxRelativeError(accumulated[i] ?? [], values)).toBeLessThan(1e-6);
    });
  });

  it('unweighted unequal micro-batches do not (the weighting matters)', () => {
    const { vars, loss } = tinyNet('unweighted', new Values(7));
    const { x, y } = data(new Values(3), 12);
    const full = tf.variableGrads(() => loss(x, y));
    const accumulator = new GradientAccumulator();
    for (const [start, size] of [
      [0, 9],
      [9, 3],
    ] as const) {
      const { value, grads } = tf.variableGrads(() =>
        loss(tf.slice(x, start, size), tf.slice(y, start, size)),
      );
      accumulator.add(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const mean = accumulator.mean();
    const name = vars.w1.name;
    expect(
      maxRelativeError(mean[name]?.dataSync() ?? [], full.grads[name]?.dataSync() ?? []),
    ).toBeGreaterThan(1e-3);
    tf.dispose([
      x,
      y,
      full.value,
      ...Object.values(full.grads),
      ...Object.values(mean),
      ...Object.values(vars),
    ]);
    accumulator.dispose();
  });

  it('holds no tensors after applyTo, and mean() is the closed-form weighted mean', () => {
    const accumulator = new GradientAccumulator({ steps: 2 });
    const a = { w: tf.tensor([1, 2]) };
    const b = { w: tf.tensor([4, 8]) };
    const before = tf.memory().numTensors;
    accumulator.add(a, 1);
    expect(accumulator.ready).toBe(false);
    accumulator.add(b, 3);
    expect(accumulator.ready).toBe(true);
    expect(accumulator.totalWeight).toBe(4);
    const mean = accumulator.mean();
    expect(Array.from(mean.w?.dataSync() ?? [])).toEqual([(1 + 12) / 4, (2 + 24) / 4]);
    tf.dispose(Object.values(mean));
    accumulator.reset();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a.w, b.w]);
  });

  it('rejects micro-batches whose variables or shapes disagree, naming the variable and shapes', () => {
    const accumulator = new GradientAccumulator();
    const a = { w: tf.zeros([2, 3]) };
    accumulator.add(a);
    const wrongShape = { w: tf.zeros([3, 2]) };
    expect(() => accumulator.add(wrongShape)).toThrow(/'w' has shape \[3, 2\].*\[2, 3\]/);
    const extra = { w: tf.zeros([2, 3]), v: tf.zeros([1]) };
    expect(() => accumulator.add(extra)).toThrow(/'v'.*was not in the earlier/);
    const missing = { v: tf.zeros([1]) };
    expect(() => accumulator.add(missing)).toThrow(/no gradient for variable 'w'/);
    expect(() => accumulator.add(a, 0)).toThrow(RangeError);
    expect(() => new GradientAccumulator({ steps: 0 })).toThrow(/steps must be an integer >= 1, got 0/);
    expect(() => new GradientAccumulator().mean()).toThrow(/no gradients/);
    tf.dispose([a.w, wrongShape.w, extra.w, extra.v, missing.v]);
    accumulator.dispose();
  });
});
