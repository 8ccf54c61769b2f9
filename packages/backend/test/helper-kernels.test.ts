import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../src/index.js';

function randomTensor(shape: number[], seed: number): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  let s = seed;
  return Array.from({ length: size }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

async function onBoth(body: () => tf.Tensor): Promise<{ wasm: number[]; cpu: number[]; shape: number[] }> {
  await tf.setBackend('cpu');
  const cpuOut = body();
  const cpu = Array.from(cpuOut.dataSync());
  cpuOut.dispose();
  await tf.setBackend('wasm');
  const wasmOut = body();
  const wasm = Array.from(wasmOut.dataSync());
  const shape = wasmOut.shape;
  wasmOut.dispose();
  return { wasm, cpu, shape };
}

function expectClose(actual: number[], expected: number[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs((actual[i] as number) - (expected[i] as number))).toBeLessThan(1e-5);
  }
}

describe('Identity shares data on wasm', () => {
  it('a clone keeps its values after the original is disposed, and frees them when it is disposed', async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    const buffers = () => (tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers;
    const before = buffers();
    const original = tf.tensor([1, 2, 3, 4], [2, 2]);
    const copy = tf.clone(original);
    expect(buffers()).toBe(before + 1);
    original.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4]);
    const sum = tf.add(copy, copy);
    expect(Array.from(sum.dataSync())).toEqual([2, 4, 6, 8]);
    tf.dispose([copy, sum]);
    expect(buffers()).toBe(before);
  });
});

describe('Tile, Sum and Mean overrides match the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  const tileCases: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [2, 3, 4, 1],
    ],
    [
      [2, 3],
      [3, 2],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 5, 2],
    ],
    [
      [2, 2, 2, 2],
      [1, 1, 1, 1],
    ],
  ];
  for (const [shape, reps] of tileCases) {
    it(`Tile [${shape}] by [${reps}] (float32 and int32)`, async () => {
      const values = randomTensor(shape, 7);
      const floats = await onBoth(() => tf.tile(tf.tensor(values, shape), reps));
      expectClose(floats.wasm, floats.cpu);
      const ints = await onBoth(() =>
        tf.tile(
          tf.tensor(
            values.map((v) => Math.round(v * 100)),
            shape,
            'int32',
          ),
          reps,
        ),
      );
      expect(ints.wasm).toEqual(ints.cpu);
    });
  }

  const reduceCases: [number[], number[], boolean][] = [
    [[2, 3, 4, 5], [0, 1, 2], false],
    [[2, 3, 4, 5], [0, 1, 2], true],
    [[6, 7], [0], false],
    [[3, 4, 5], [1, 0], true],
    [[3, 4, 5], [2], false],
    [[3, 4, 5], [0, 2], false],
    [[3, 4, 5], [0, 1, 2], false],
  ];
  for (const [shape, axes, keepDims] of reduceCases) {
    it(`Sum and Mean of [${shape}] over [${axes}], keepDims ${keepDims}`, async () => {
      const values = randomTensor(shape, 11);
      const sums = await onBoth(() => tf.sum(tf.tensor(values, shape), axes, keepDims));
      expectClose(sums.wasm, sums.cpu);
      const means = await onBoth(() => tf.mean(tf.tensor(values, shape), axes, keepDims));
      expectClose(means.wasm, means.cpu);
      const expectedShape = tf.tidy(() => tf.sum(tf.zeros(shape), axes, keepDims).shape);
      expect(sums.shape).toEqual(expectedShape);
    });
  }
});
