import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DynamicLossScaler,
  MixedPrecisionTrainer,
  roundLayerOutputs,
  roundTensorToFloat16,
  roundToFloat16,
} from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const isHalfValued = (t: tf.Tensor) => {
  const v = t.dataSync() as Float32Array;
  const r = roundToFloat16(v);
  return v.every((x, i) => Object.is(x, r[i]));
};

describe('roundTensorToFloat16', () => {
  it('rounds like the typed-array conversion and keeps shape', () => {
    const x = tf.tensor2d([
      [0.1, 65519.99, 7e4],
      [2 ** -25, -2.71, 1e-5],
    ]);
    const r = roundTensorToFloat16(x);
    expect(r.shape).toEqual([2, 3]);
    expect(Array.from(r.dataSync())).toEqual(Array.from(roundToFloat16(x.dataSync() as Float32Array)));
    expect(r.dataSync()[2]).toBe(Number.POSITIVE_INFINITY);
  });

  it("passes the gradient straight through, rounded to binary16 ('float16') or unchanged ('identity')", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.tensor1d([0.1, 1e-8, 3e-8]);
    const f = (gradient: 'float16' | 'identity') => (t: tf.Tensor) =>
      tf.sum(tf.mul(roundTensorToFloat16(t, { gradient }), c));
    expect(Array.from(tf.grad(f('float16'))(x).dataSync())).toEqual([0.0999755859375, 0, 2 ** -24]);
    expect(Array.from(tf.grad(f('identity'))(x).dataSync())).toEqual(Array.from(c.dataSync()));
  });

  it('names bad input', () => {
    expect(() => roundTensorToFloat16(tf.tensor1d([1], 'int32'))).toThrow(
      /x \(int32 \[1\]\) must be float32/,
    );
    expect(() => roundTensorToFloat16(tf.tensor1d([1]), { gradient: 'none' as never })).toThrow(
      /gradient must be 'float16' or 'identity'; got "none"/,
    );
  });
});

describe('roundLayerOutputs', () => {
  it('rounds every leaf layer output, nested models included, and undoes it', () => {
    const inner = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 5,
          inputShape: [4],
          activation: 'tanh',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
        }),
      ],
    });
    const input = tf.input({ shape: [3] });
    const hidden = tf.layers
      .dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: inner.apply(hidden) as tf.SymbolicTensor });
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 7);
    const plain = model.predict(x) as tf.Tensor;
    expect(isHalfValued(plain)).toBe(false);
    const restore = roundLayerOutputs(model);
    const rounded = model.predict(x) as tf.Tensor;
    expect(isHalfValued(rounded)).toBe(true);
    expect(tf.max(tf.abs(tf.sub(rounded, plain))).dataSync()[0]).toBeLessThan(2e-3);
    restore();
    expect(Array.from((model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(plain.dataSync()));
  });
});

/** Fit a linear map whose residuals are ~1e-4 with a mean over 32 x 8192 outputs: dL/dy ~ 1e-8 < 2^-25. */
function tinyGradientProblem() {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 8192,
        inputShape: [16],
        useBias: false,
        kernelInitializer: tf.initializers.randomUniform({ minval: -0.01, maxval: 0.01, seed: 1 }),
      }),
    ],
  });
  const x = tf.randomUniform([32, 16], -1, 1, 'float32', 2);
  const w = model.trainableWeights[0]!.read();
  const target = tf.matMul(x, tf.add(w, tf.randomUniform([16, 8192], -2e-4, 2e-4, 'float32', 3)));
  const loss = () => tf.losses.meanSquaredError(target, model.apply(x) as tf.Tensor) as tf.Scalar;
  return { model, loss };
}

describe('MixedPrecisionTrainer', () => {
  it('shows why loss scaling exists: FP16 gradients underflow to zero without it, and training works with it', () => {
    const seen: { nonzero: number; size: number }[] = [];
    const count = (grads: tf.NamedTensorMap) => {
      const g = Object.values(grads)[0]!;
      seen.push({ nonzero: tf.sum(tf.cast(tf.notEqual(g, 0), 'float32')).dataSync()[0]!, size: g.size });
      return grads;
    };
    const run = (lossScaler: DynamicLossScaler | false) => {
      const { model, loss } = tinyGradientProblem();
      const mp = new MixedPrecisionTrainer({
        model,
        optimizer: tf.train.sgd(2000),
        lossScaler,
        transformGradients: count,
      });
      const losses = [0, 1, 2, 3].map(() => mp.step(loss).loss);
      mp.detach();
      return losses;
    };
    const unscaled = run(false);
    expect(seen.every((s) => s.nonzero === 0)).toBe(true); // every weight gradient flushed to zero
    expect(new Set(unscaled).size).toBe(1); // so nothing learns
    seen.length = 0;
    const scaled = run(new DynamicLossScaler());
    expect(seen.every((s) => s.nonzero > 0.99 * s.size)).toBe(true);
    expect(scaled[0]).toBe(unscaled[0]);
    expect(scaled[3]!).toBeLessThan(0.4 * scaled[0]!);
    for (let i = 1; i < 4; i++) expect(scaled[i]!).toBeLessThan(scaled[i - 1]!);
  }, 60_000);

  it('runs the forward pass on FP16-rounded weights and activations but updates FP32 masters', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 3,
          inputShape: [2],
          kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
          biasInitializer: 'ones',
        }),
      ],
    });
    const x = tf.tensor2d([
      [0.3, -0.7],
      [1.1, 0.2],
    ]);
    // a scale of 2^10 keeps the scaled gradients (about 1 to 3 times the scale) below 65504
    const mp = new MixedPrecisionTrainer({
      model,
      optimizer: tf.train.sgd(1e-3),
      lossScaler: new DynamicLossScaler({ initScale: 1024 }),
    });
    const masters = model.trainableWeights.map((w) => w.read().clone());
    let weightsSeen: boolean[] = [];
    let outputHalf = false;
    const result = mp.step(() => {
      weightsSeen = model.trainableWeights.map((w) => isHalfValued(w.read()));
      const y = model.apply(x) as tf.Tensor;
      outputHalf = isHalfValued(y);
      return tf.mean(tf.square(y)) as tf.Scalar;
    });
    expect(result.stepped).toBe(true);
    expect(result.scale).toBe(1024);
    expect(weightsSeen).toEqual([true, true]);
    expect(outputHalf).toBe(true);
    // masters moved by a tiny float32 step that binary16 could not hold: 1 - 1e-3 * g is no half value
    const bias = model.trainableWeights[1]!.read();
    expect(isHalfValued(bias)).toBe(false);
    expect(tf.max(tf.abs(tf.sub(bias, masters[1]!))).dataSync()[0]).toBeGreaterThan(0);
    expect(tf.max(tf.abs(tf.sub(bias, masters[1]!))).dataSync()[0]).toBeLessThan(1e-2);
    mp.detach();
  });

  it('skips and counts steps whose FP16 gradients overflow, backing off until they fit', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [4], kernelInitializer: 'ones', useBias: false })],
    });
    const x = tf.fill([8, 4], 30);
    const y = tf.zeros([8, 1]);
    // dL/dy = 2 * 120 / 8 = 30 per sample and dL/dw = 8 * 30 * 30 = 7200: times a scale of 2^16 far beyond
    // 65504, so steps overflow to inf until the scale has halved 13 times to 8 (8 * 7200 = 57600 fits)
    const mp = new MixedPrecisionTrainer({ model, optimizer: tf.train.sgd(1e-6) });
    const results = Array.from({ length: 16 }, () =>
      mp.step(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar),
    );
    const skipped = results.filter((r) => !r.stepped).length;
    expect(skipped).toBe(13);
    expect(results.slice(0, 13).every((r) => !r.stepped && Number.isFinite(r.loss))).toBe(true);
    expect(mp.skippedSteps).toBe(skipped);
    expect(mp.lossScaler!.skippedSteps).toBe(skipped);
    expect(results.at(-1)!.stepped).toBe(true);
    expect(mp.lossScaler!.scale).toBe(8);
    const w = model.trainableWeights[0]!.read().dataSync();
    expect(Array.from(w).every(Number.isFinite)).toBe(true);
    expect(w[0]).toBeLessThan(1);
    mp.detach();
  });

  it('with updateScale: false leaves the scale to one update per optimizer step (accumulation)', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 1, inputShape: [4], kernelInitializer: 'ones', useBias: false })],
    });
    const x = tf.fill([8, 4], 30);
    const y = tf.zeros([8, 1]);
    const scaler = new DynamicLossScaler({ growthInterval: 2 });
    const mp = new MixedPrecisionTrainer({ model, optimizer: tf.train.sgd(1e-6), lossScaler: scaler });
    const loss = () => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar;
    // Three overflowing micro-batches of one step: each is refused, but the scale stays where it was.
    const micro = [0, 1, 2].map(() => mp.step(loss, { updateScale: false }));
    expect(micro.map((r) => [r.stepped, r.scale])).toEqual([
      [false, 2 ** 16],
      [false, 2 ** 16],
      [false, 2 ** 16],
    ]);
    expect([scaler.scale, scaler.skippedSteps, scaler.growthTracker]).toEqual([2 ** 16, 0, 0]);
    scaler.update(micro.every((r) => r.stepped));
    expect([scaler.scale, scaler.skippedSteps]).toEqual([2 ** 15, 1]);
    // Finite steps: the growth interval (2) counts the update calls, not the micro-batches.
    scaler.setState({ ...scaler.getState(), scale: 4 });
    for (let i = 0; i < 3; i++) expect(mp.step(loss, { updateScale: false }).stepped).toBe(true);
    expect(scaler.growthTracker).toBe(0);
    scaler.update(true);
    expect([scaler.scale, scaler.growthTracker]).toEqual([4, 1]);
    scaler.update(true);
    expect([scaler.scale, scaler.growthTracker]).toEqual([8, 0]);
    mp.detach();
  });

  it('never writes a NaN into the model: a NaN loss is a skipped, counted step', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
    const before = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    for (const lossScaler of [false, new DynamicLossScaler()] as const) {
      const mp = new MixedPrecisionTrainer({
        model,
        optimizer: tf.train.sgd(0.1),
        lossScaler,
        activations: 'float32',
      });
      const r = mp.step(
        () => tf.mul(tf.sum(model.apply(tf.ones([1, 2])) as tf.Tensor), Number.NaN) as tf.Scalar,
      );
      expect(r.stepped).toBe(false);
      expect(r.loss).toBeNaN();
      expect(mp.skippedSteps).toBe(1);
      expect(model.trainableWeights.map((w) => Array.from(w.read().dataSync()))).toEqual(before);
    }
  });

  it('trains a small conv + batch-norm classifier with tfjs-layers and tf.train.momentum', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 1],
          filters: 4,
          kernelSize: 3,
          kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
        }),
        tf.layers.batchNormalization({}),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.flatten({}),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    // class 1 = bright left half, class 0 = bright right half
    const left = tf.concat([tf.ones([8, 6, 3, 1]), tf.zeros([8, 6, 3, 1])], 2);
    const x = tf.add(
      tf.concat([left, tf.reverse(left, 2)]),
      tf.randomNormal([16, 6, 6, 1], 0, 0.1, 'float32', 3),
    );
    const y = tf.oneHot(tf.tensor1d([...Array(8).fill(1), ...Array(8).fill(0)], 'int32'), 2);
    const mp = new MixedPrecisionTrainer({ model, optimizer: tf.train.momentum(0.05, 0.9, true) });
    const losses = Array.from({ length: 12 }, () =>
      mp.step(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      ),
    ).map((r) => r.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    expect(model.getWeights().every((w) => Array.from(w.dataSync()).every(Number.isFinite))).toBe(true);
    mp.detach();
  });

  it('works on bare variables and leaks no tensors', () => {
    const v = tf.variable(tf.tensor1d([0.1, 0.2, 0.3]), true, 'mp-bare');
    const mp = new MixedPrecisionTrainer({ variables: [v], optimizer: tf.train.sgd(0.5) });
    mp.step(() => tf.sum(tf.square(v)) as tf.Scalar);
    const before = tf.memory().numTensors;
    const r = mp.step(() => tf.sum(tf.square(v)) as tf.Scalar);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.stepped).toBe(true);
    expect(mp.steps).toBe(2);
    // two steps of w <- w - 0.5 * 2 round16(w) on FP32 masters
    const once = roundToFloat16(Float32Array.of(0.1, 0.2, 0.3)).map((h, i) => [0.1, 0.2, 0.3][i]! - h);
    const twice = roundToFloat16(once).map((h, i) => once[i]! - h);
    Array.from(v.dataSync()).forEach((got, i) => {
      expect(got).toBeCloseTo(twice[i]!, 7);
    });
  });

  it('names bad input', () => {
    const v = tf.variable(tf.scalar(1), true, 'mp-bad');
    const optimizer = tf.train.sgd(1);
    expect(() => new MixedPrecisionTrainer({ optimizer })).toThrow(/give exactly one of model or variables/);
    expect(() => new MixedPrecisionTrainer({ optimizer: {} as never, variables: [v] })).toThrow(
      /optimizer must be a tfjs Optimizer/,
    );
    expect(() => new MixedPrecisionTrainer({ optimizer, variables: [tf.scalar(1) as never] })).toThrow(
      /every master must be a float32 tf.Variable/,
    );
    expect(
      () => new MixedPrecisionTrainer({ optimizer, variables: [v], activations: 'bf16' as never }),
    ).toThrow(/activations must be 'float16' or 'float32'; got "bf16"/);
  });
});
