import { DynamicLossScaler } from '@bot/mixed-precision';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchImages,
  checkBatch,
  microBatches,
  type StepBatch,
  sliceBatch,
  splitEvenly,
  TrainingStep,
} from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('splitEvenly / microBatches: the one batch-splitting rule', () => {
  it('gives contiguous runs [floor(k n / p), floor((k + 1) n / p)) covering the batch', () => {
    expect(splitEvenly(7, 3)).toEqual([
      { from: 0, to: 2 },
      { from: 2, to: 4 },
      { from: 4, to: 7 },
    ]);
    expect(splitEvenly(2, 3).map((r) => r.to - r.from)).toEqual([0, 1, 1]);
    for (let n = 0; n < 40; n++) {
      for (let p = 1; p < 9; p++) {
        const runs = splitEvenly(n, p);
        expect(runs[0]!.from).toBe(0);
        expect(runs.at(-1)!.to).toBe(n);
        const sizes = runs.map((r) => r.to - r.from);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        runs.slice(1).forEach((r, i) => {
          expect(r.from).toBe(runs[i]!.to);
        });
      }
    }
    expect(microBatches(10, 4).map((r) => r.to - r.from)).toEqual([3, 3, 4]);
    expect(microBatches(8, Number.POSITIVE_INFINITY)).toEqual([{ from: 0, to: 8 }]);
    expect(() => splitEvenly(4, 0)).toThrow(/parts must be an integer >= 1, got 0/);
  });

  it('slices images, labels and target rows together', () => {
    const batch: StepBatch = {
      images: Float32Array.from({ length: 4 * 2 }, (_, i) => i),
      shape: [4, 1, 2, 1],
      labels: Int32Array.from([0, 1, 2, 3]),
      targets: Float32Array.from({ length: 4 * 3 }, (_, i) => i),
    };
    const part = sliceBatch(batch, { from: 1, to: 3 });
    expect(part.shape).toEqual([2, 1, 2, 1]);
    expect(Array.from(part.images as Float32Array)).toEqual([2, 3, 4, 5]);
    expect(Array.from(part.labels)).toEqual([1, 2]);
    expect(Array.from(part.targets!)).toEqual([3, 4, 5, 6, 7, 8]);
  });
});

/** A linear softmax classifier on the flattened image: no batch norm, so micro-batching is exact. */
function linearModel(seed: number) {
  const w = tf.variable(tf.randomNormal([6, 3], 0, 0.5, 'float32', seed));
  const b = tf.variable(tf.zeros([3]));
  const loss = (batch: StepBatch) =>
    tf.tidy(() => {
      const x = tf.reshape(batchImages(batch), [batch.shape[0], 6]);
      const logits = tf.add(tf.matMul(x, w), b);
      return tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 3),
        logits,
      ) as tf.Scalar;
    });
  return { variables: [w, b], loss };
}

function batchOf(n: number): StepBatch {
  const images = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i * 0.7));
  return { images, shape: [n, 2, 3, 1], labels: Int32Array.from({ length: n }, (_, i) => i % 3) };
}

const values = (vs: tf.Variable[]) => vs.map((v) => Array.from(v.dataSync()));

describe('TrainingStep', () => {
  it('run takes the SGD step on the mean gradient; micro-batches of 2 give the same step', async () => {
    const a = linearModel(1);
    const b = linearModel(1);
    const batch = batchOf(7);
    const { grads } = tf.variableGrads(() => a.loss(batch), a.variables);
    const expected = a.variables.map((v) => tf.sub(v, tf.mul(grads[v.name]!, 0.5)).dataSync());
    const whole = new TrainingStep({ ...a, optimizer: tf.train.sgd(0.5) });
    const micro = new TrainingStep({ ...b, optimizer: tf.train.sgd(0.5), microBatch: 2 });
    const r1 = await whole.run(batch);
    const r2 = await micro.run(batch);
    expect(r1.stepped).toBe(true);
    expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(1e-6);
    values(a.variables).forEach((v, i) => {
      expect(v).toEqual(Array.from(expected[i]!));
    });
    values(b.variables).forEach((v, i) => {
      for (const [j, x] of v.entries()) expect(Math.abs(x - expected[i]![j]!)).toBeLessThan(1e-6);
    });
  });

  it('a batch whose images are a tensor on the backend takes the array batch’s step, in micro-batches too, and keeps the caller’s tensor', async () => {
    const batch = batchOf(7);
    const fromArray = linearModel(4);
    const fromTensor = linearModel(4);
    await new TrainingStep({ ...fromArray, optimizer: tf.train.sgd(0.5), microBatch: 3 }).run(batch);
    const images = tf.tensor4d(batch.images as Float32Array, batch.shape);
    const step = new TrainingStep({ ...fromTensor, optimizer: tf.train.sgd(0.5), microBatch: 3 });
    const before = tf.memory().numTensors;
    const result = await step.run({ ...batch, images });
    expect(result.stepped).toBe(true);
    // The three micro-batch slices are freed; the caller's tensor is not.
    expect(tf.memory().numTensors).toBe(before);
    expect(images.isDisposed).toBe(false);
    expect(values(fromTensor.variables)).toEqual(values(fromArray.variables));
    const slice = sliceBatch({ ...batch, images }, { from: 2, to: 4 });
    expect(Array.from(await (slice.images as tf.Tensor).data())).toEqual(
      Array.from((batch.images as Float32Array).subarray(12, 24)),
    );
    (slice.images as tf.Tensor).dispose();
    expect(() => checkBatch({ ...batch, images: tf.cast(images, 'int32') as tf.Tensor4D })).toThrow(
      /batch.images must be a float32 tensor of rank 4, got int32 of shape \[7,2,3,1\]/,
    );
    images.dispose();
  });

  it('clips the mean gradient to the global norm before the update', async () => {
    const a = linearModel(2);
    const batch = batchOf(4);
    const { grads } = tf.variableGrads(() => a.loss(batch), a.variables);
    const norm = Math.sqrt(Object.values(grads).reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0]!, 0));
    const before = values(a.variables);
    const step = new TrainingStep({ ...a, optimizer: tf.train.sgd(1), clipGradNorm: norm / 4 });
    await step.run(batch);
    const moved = Math.sqrt(
      values(a.variables)
        .flatMap((v, i) => v.map((x, j) => (x - before[i]![j]!) ** 2))
        .reduce((s, x) => s + x, 0),
    );
    expect(moved).toBeCloseTo(norm / 4, 4);
    expect(() => new TrainingStep({ ...a, optimizer: tf.train.sgd(1), clipGradNorm: 0 })).toThrow(
      /clipGradNorm must be a number > 0/,
    );
  });

  it('with a loss scaler: unscaled gradients, a skipped step on inf, and the scale updated once per step', async () => {
    const a = linearModel(3);
    const b = linearModel(3);
    const batch = batchOf(6);
    const scaler = new DynamicLossScaler({ initScale: 1024, growthInterval: 2 });
    const scaled = new TrainingStep({
      ...a,
      optimizer: tf.train.sgd(0.5),
      lossScaler: scaler,
      microBatch: 3,
    });
    const plain = new TrainingStep({ ...b, optimizer: tf.train.sgd(0.5), microBatch: 3 });
    expect((await scaled.run(batch)).stepped).toBe(true);
    await plain.run(batch);
    values(a.variables).forEach((v, i) => {
      for (const [j, x] of v.entries()) expect(Math.abs(x - values(b.variables)[i]![j]!)).toBeLessThan(1e-6);
    });
    // Two micro-batches, one optimizer step: the growth tracker counts steps.
    expect(scaler.growthTracker).toBe(1);
    const before = values(a.variables);
    const bad = {
      ...batch,
      images: (batch.images as Float32Array).map((x, i) => (i === 0 ? Number.POSITIVE_INFINITY : x)),
    };
    const result = await scaled.run(bad);
    expect(result.stepped).toBe(false);
    expect(values(a.variables)).toEqual(before);
    expect(scaler.getState()).toMatchObject({ scale: 512, growthTracker: 0, skippedSteps: 1 });
  });

  it('FP16: the gradients come from binary16 working weights and the FP32 masters are kept', async () => {
    const a = linearModel(4);
    const batch = batchOf(4);
    const masters = values(a.variables);
    const step = new TrainingStep({
      ...a,
      optimizer: { applyGradients: () => undefined },
      float16: true,
      lossScaler: new DynamicLossScaler({ initScale: 256 }),
    });
    const { grads, finite } = await step.gradients(batch);
    expect(finite).toBe(true);
    expect(values(a.variables)).toEqual(masters);
    // Each unscaled gradient is a binary16 value divided by the (power of two) scale: exact in float32.
    for (const g of Object.values(grads)) {
      for (const x of g.dataSync()) expect(Math.fround(x * 256)).toBe(x * 256);
    }
    tf.dispose(Object.values(grads));
  });
});

describe('the package entry', () => {
  it('loads in a browser: no module it imports statically needs Node (the pool imports them when it starts)', async () => {
    const { readFileSync } = await import('node:fs');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
      expect(text).not.toMatch(/^import (?!type )[^;]*from 'node:/m);
      for (const [, next] of text.matchAll(/^(?:import|export) (?!type )[^;]*from '\.\/([\w-]+)\.js'/gm))
        visit(`${next}.ts`);
    };
    visit('index.ts');
    expect([...seen]).toContain('replica-pool.ts');
    expect([...seen]).not.toContain('replica-worker.ts');
  });
});
