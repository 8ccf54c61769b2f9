import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../src/index.js';
import {
  backpropFilter,
  backpropInput,
  caseGradients,
  cases,
  describeCase,
  maxRelativeError,
  random,
} from './conv-cases.js';

describe('wasm training kernels match the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  // The cpu backend's reference for the 128-channel cases takes seconds (6.07 s seen with both cores busy,
  // over vitest's 5 s default): an explicit timeout with headroom, so a busy machine does not fail a case.
  for (const c of cases) {
    it(`Conv2DBackpropFilter and Conv2DBackpropInput: ${describeCase(c)}`, async () => {
      const xShape = [c.n, c.h, c.w, c.cin];
      const grads = await caseGradients(c);
      const expected = await grads('cpu');
      const actual = await grads('wasm');
      expect(actual.dXShape).toEqual(xShape);
      expect(actual.dW.length).toBe(expected.dW.length);
      expect(maxRelativeError(actual.dW, expected.dW)).toBeLessThan(1e-5);
      expect(maxRelativeError(actual.dX, expected.dX)).toBeLessThan(1e-5);
    }, 120_000);
  }

  it('frees every temporary it allocates', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(random(2 * 9 * 9 * 3), [2, 9, 9, 3]);
    const w = tf.tensor4d(random(3 * 3 * 3 * 4), [3, 3, 3, 4]);
    const dy = tf.conv2d(x, w, 2, 'same');
    const before = tf.memory().numBytes;
    const dW = backpropFilter(x, dy, [3, 3, 3, 4], [2, 2], 'same');
    const dX = backpropInput([2, 9, 9, 3], dy, w, [2, 2], 'same');
    expect(tf.memory().numBytes).toBe(before + (dW.size + dX.size) * 4);
    tf.dispose([x, w, dy, dW, dX]);
  });
});
