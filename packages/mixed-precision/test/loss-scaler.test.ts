import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamicLossScaler } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DynamicLossScaler', () => {
  it("has PyTorch GradScaler's defaults", () => {
    const s = new DynamicLossScaler();
    expect([s.scale, s.growthFactor, s.backoffFactor, s.growthInterval]).toEqual([2 ** 16, 2, 0.5, 2000]);
  });

  it('grows x2 after exactly 2000 consecutive finite steps and backs off x0.5 on inf/NaN, counting the skip', () => {
    const s = new DynamicLossScaler();
    for (let i = 0; i < 1999; i++) s.update(true);
    expect([s.scale, s.growthTracker]).toEqual([2 ** 16, 1999]);
    s.update(true);
    expect([s.scale, s.growthTracker]).toEqual([2 ** 17, 0]);
    for (let i = 0; i < 1500; i++) s.update(true);
    s.update(false);
    expect([s.scale, s.growthTracker, s.skippedSteps]).toEqual([2 ** 16, 0, 1]);
    for (let i = 0; i < 1999; i++) s.update(true);
    expect(s.scale).toBe(2 ** 16); // the tracker restarted at the skip
    s.update(true);
    expect(s.scale).toBe(2 ** 17);
  });

  it('follows a hand-computed sequence with a short interval', () => {
    const s = new DynamicLossScaler({
      initScale: 8,
      growthInterval: 3,
      growthFactor: 4,
      backoffFactor: 0.25,
    });
    const seen = [true, true, false, true, true, true, false, false, true].map((finite) => {
      s.update(finite);
      return s.scale;
    });
    expect(seen).toEqual([8, 8, 2, 2, 2, 8, 2, 0.5, 0.5]);
    expect(s.skippedSteps).toBe(3);
  });

  it('does not grow past the float32 range', () => {
    const s = new DynamicLossScaler({ initScale: 2 ** 127, growthInterval: 1 });
    s.update(true);
    expect(s.scale).toBe(2 ** 127);
    expect(s.growthTracker).toBe(0);
  });

  it('scales the loss, unscales the gradients and flags non-finite ones', () => {
    const s = new DynamicLossScaler({ initScale: 1024 });
    expect(s.scaleLoss(tf.scalar(0.5)).dataSync()[0]).toBe(512);
    const ok = s.unscaleAndCheck({ a: tf.tensor1d([1024, -2048]), b: tf.tensor2d([[3]]) });
    expect(ok.finite).toBe(true);
    expect(Array.from(ok.grads['a']!.dataSync())).toEqual([1, -2]);
    expect(ok.grads['b']!.shape).toEqual([1, 1]);
    expect(s.unscaleAndCheck({ a: tf.tensor1d([1, Number.POSITIVE_INFINITY]) }).finite).toBe(false);
    expect(s.unscaleAndCheck({ a: tf.tensor1d([1]), b: tf.tensor1d([Number.NaN]) }).finite).toBe(false);
  });

  it('skips the optimizer step on an inf gradient and takes it otherwise', () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'scaler-step-v');
    const opt = tf.train.sgd(0.5);
    const s = new DynamicLossScaler({ initScale: 4 });
    expect(s.step(opt, { 'scaler-step-v': tf.tensor1d([Number.POSITIVE_INFINITY, 4]) })).toBe(false);
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    expect([s.scale, s.skippedSteps]).toEqual([2, 1]);
    expect(s.step(opt, { 'scaler-step-v': tf.tensor1d([2, 4]) })).toBe(true);
    expect(Array.from(v.dataSync())).toEqual([0.5, 1]); // grads / 2 = [1, 2], lr 0.5
  });

  it('minimize gives the plain float32 SGD update (power-of-two scales are exact)', () => {
    const x = tf.tensor2d([
      [0.3, -1.2],
      [2.0, 0.7],
    ]);
    const y = tf.tensor1d([1, -1]);
    const a = tf.variable(tf.tensor1d([0.1, 0.2]), true, 'scaler-min-a');
    const b = tf.variable(tf.tensor1d([0.1, 0.2]), true, 'scaler-min-b');
    const loss = (w: tf.Variable) => () =>
      tf.mean(tf.square(tf.sub(tf.squeeze(tf.matMul(x, w.expandDims(1))), y))) as tf.Scalar;
    const s = new DynamicLossScaler();
    const [optA, optB] = [tf.train.sgd(0.1), tf.train.sgd(0.1)];
    const before = tf.memory().numTensors;
    const out = s.minimize(optA, loss(a), [a]);
    optB.minimize(loss(b), false, [b]);
    expect(tf.memory().numTensors).toBe(before);
    expect(out.stepped).toBe(true);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(out.loss).toBeCloseTo(((0.03 - 0.24 - 1) ** 2 + (0.2 + 0.14 + 1) ** 2) / 2, 5);
  });

  it('saves and restores its state exactly through JSON', () => {
    const s = new DynamicLossScaler({ growthInterval: 5 });
    for (const f of [true, false, true, true]) s.update(f);
    const restored = DynamicLossScaler.fromState(JSON.parse(JSON.stringify(s.getState())));
    expect(restored.getState()).toEqual(s.getState());
    for (const f of [true, true, true, false, true]) {
      s.update(f);
      restored.update(f);
      expect(restored.getState()).toEqual(s.getState());
    }
    const other = new DynamicLossScaler();
    other.setState(s.getState());
    expect(other.getState()).toEqual(s.getState());
  });

  it('names bad options and states', () => {
    expect(() => new DynamicLossScaler({ initScale: 0 })).toThrow(
      /initScale must be a finite number > 0; got 0/,
    );
    expect(() => new DynamicLossScaler({ growthFactor: 1 })).toThrow(
      /growthFactor must be a finite number > 1; got 1/,
    );
    expect(() => new DynamicLossScaler({ backoffFactor: 1.5 })).toThrow(
      /backoffFactor must be a number in \(0, 1\); got 1.5/,
    );
    expect(() => new DynamicLossScaler({ growthInterval: 2.5 })).toThrow(
      /growthInterval must be an integer >= 1; got 2.5/,
    );
    const state = { ...new DynamicLossScaler().getState(), growthTracker: 2000 };
    expect(() => DynamicLossScaler.fromState(state)).toThrow(
      /growthTracker must be an integer in \[0, growthInterval = 2000\); got 2000/,
    );
  });
});
