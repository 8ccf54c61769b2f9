import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, NesterovSGD } from '../src/index.js';
import { useCpu } from './helpers.js';

beforeAll(useCpu);

let made: tf.Tensor[] = [];
function v(name: string, values: number[], shape?: number[]) {
  const variable = tf.variable(tf.tensor(values, shape), true, name);
  made.push(variable);
  return variable;
}
afterEach(() => {
  tf.dispose(made);
  made = [];
});

describe('bad input', () => {
  it('constructor options: RangeError naming the parameter and value', () => {
    expect(() => new NesterovSGD({ learningRate: -1 })).toThrow(
      /learningRate must be a finite number >= 0, got -1/,
    );
    expect(() => new NesterovSGD({ learningRate: Number.NaN })).toThrow(RangeError);
    expect(() => new NesterovSGD({ learningRate: 0.1, momentum: -0.5 })).toThrow(/momentum .* got -0.5/);
    expect(() => new NesterovSGD({ learningRate: 0.1, weightDecay: Number.POSITIVE_INFINITY })).toThrow(
      /weightDecay/,
    );
    expect(() => new NesterovSGD({ learningRate: 0.1, momentum: 0 })).toThrow(
      /nesterov: true needs momentum > 0/,
    );
    expect(() => new NesterovSGD({ learningRate: 0.1, dampening: 0.1 })).toThrow(/dampening = 0/);
    expect(() => new NesterovSGD({ learningRate: 0.1, maxGradNorm: 0 })).toThrow(
      /maxGradNorm must be a finite number > 0/,
    );
    expect(() => new NesterovSGD({ learningRate: 0.1, momentum: 0, nesterov: false })).not.toThrow();
  });

  it('a schedule value that is not a finite number >= 0 names the step', () => {
    const w = v('sched/w', [1, 2]);
    const optimizer = new NesterovSGD({ learningRate: (step) => (step === 1 ? Number.NaN : 0.1) });
    const g = { [w.name]: tf.ones([2]) };
    optimizer.applyGradients(g);
    expect(() => optimizer.applyGradients(g)).toThrow(/learningRate\(1\).*got NaN/);
    tf.dispose(Object.values(g));
    optimizer.dispose();
  });

  it('unknown variable, shape mismatch and duplicate names are errors naming the variable and shapes', () => {
    const w = v('bad/w', [1, 2, 3, 4], [2, 2]);
    const optimizer = new NesterovSGD({ learningRate: 0.1 });
    const unknown = { 'bad/nope': tf.zeros([2, 2]) };
    expect(() => optimizer.applyGradients(unknown)).toThrow(
      /no variable named 'bad\/nope'.*gradient shape \[2, 2\]/,
    );
    const wrong = { [w.name]: tf.zeros([4]) };
    expect(() => optimizer.applyGradients(wrong)).toThrow(
      /'bad\/w' has shape \[4\], but the variable has shape \[2, 2\]/,
    );
    const g = tf.zeros([2, 2]);
    expect(() =>
      optimizer.applyGradients([
        { name: w.name, tensor: g },
        { name: w.name, tensor: g },
      ]),
    ).toThrow(/'bad\/w' has more than one gradient/);
    expect(Array.from(w.dataSync())).toEqual([1, 2, 3, 4]);
    expect(optimizer.iterations).toBe(0);
    tf.dispose([unknown['bad/nope'], wrong[w.name] as tf.Tensor, g]);
    optimizer.dispose();
  });
});

describe('non-finite gradients', () => {
  it('skipNonFinite: a NaN or inf gradient skips the whole update, counts it, and returns false', () => {
    const a = v('skip/a/kernel', [1, 2]);
    const b = v('skip/b/kernel', [3]);
    const optimizer = new NesterovSGD({ learningRate: 0.1, weightDecay: 0.1, skipNonFinite: true });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const grads = { [a.name]: tf.tensor([0.5, 0.5]), [b.name]: tf.tensor([bad]) };
      expect(optimizer.applyGradients(grads)).toBe(false);
      tf.dispose(Object.values(grads));
    }
    expect(optimizer.skippedSteps).toBe(3);
    expect(optimizer.iterations).toBe(0);
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    expect(Array.from(b.dataSync())).toEqual([3]);
    const good = { [a.name]: tf.tensor([0.5, 0.5]), [b.name]: tf.tensor([1]) };
    expect(optimizer.applyGradients(good)).toBe(true);
    expect(optimizer.iterations).toBe(1);
    // First step on a: d = g + wd*w; w -= lr * (d + 0.9 d).
    expect(a.dataSync()[0]).toBeCloseTo(1 - 0.1 * 1.9 * (0.5 + 0.1), 6);
    tf.dispose(Object.values(good));
    optimizer.dispose();
  });

  it('without skipNonFinite the NaN reaches the weights (the documented default, like PyTorch)', () => {
    const a = v('noskip/a', [1]);
    const optimizer = new NesterovSGD({ learningRate: 0.1 });
    const grads = { [a.name]: tf.tensor([Number.NaN]) };
    expect(optimizer.applyGradients(grads)).toBe(true);
    expect(Number.isNaN(a.dataSync()[0])).toBe(true);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
  });
});

describe('maxGradNorm and memory', () => {
  it('maxGradNorm equals clipByGlobalNorm followed by an unclipped update', () => {
    const a = v('clip/a/kernel', [1, -2, 3]);
    const b = v('clip/b/kernel', [1, -2, 3]);
    const grads = [tf.tensor([30, 40, 0]), tf.tensor([0, 0, 120])];
    const clipped = new NesterovSGD({ learningRate: 0.1, weightDecay: 0.01, maxGradNorm: 2 });
    clipped.applyGradients({ [a.name]: grads[0] as tf.Tensor });
    const manual = new NesterovSGD({ learningRate: 0.1, weightDecay: 0.01 });
    const { grads: c, norm } = clipByGlobalNorm({ [b.name]: grads[0] as tf.Tensor }, 2);
    manual.applyGradients(c);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(norm.dataSync()[0]).toBeCloseTo(50, 4);
    tf.dispose([...grads, ...Object.values(c), norm]);
    for (const o of [clipped, manual]) o.dispose();
  });

  it('leaks no tensors per step; dispose releases the buffers', () => {
    const a = v('mem/a/kernel', [1, 2, 3, 4], [2, 2]);
    const b = v('mem/b/bias', [1, 2]);
    const optimizer = new NesterovSGD({
      learningRate: 0.1,
      weightDecay: 1e-4,
      maxGradNorm: 1,
      skipNonFinite: true,
    });
    const grads = { [a.name]: tf.ones([2, 2]), [b.name]: tf.ones([2]) };
    optimizer.applyGradients(grads);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) optimizer.applyGradients(grads);
    expect(tf.memory().numTensors).toBe(afterFirst);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(afterFirst - 2);
    tf.dispose(Object.values(grads));
  });
});
