import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { NesterovSGD, type NesterovSGDOptions } from '../src/index.js';
import { maxRelativeError, Values } from './helpers.js';

const CONFIGS: [string, Omit<NesterovSGDOptions, 'learningRate'>][] = [
  ['nesterov + decay filter', { weightDecay: 0.05 }],
  ['nesterov + clipping', { weightDecay: 0.05, maxGradNorm: 0.5 }],
  ['heavy ball + dampening', { nesterov: false, dampening: 0.1, weightDecay: 0.05 }],
  ['plain SGD', { momentum: 0, nesterov: false, weightDecay: 0.05 }],
];

/** Runs 4 updates with `fusedKernel` on or off; returns the weights' and buffers' bits. */
async function trajectory(prefix: string, options: NesterovSGDOptions): Promise<number[][]> {
  const values = new Values(3);
  const shapes: [string, number[]][] = [
    ['conv/kernel', [3, 3, 2, 4]],
    ['conv/bias', [4]],
    ['bn/gamma', [4]],
  ];
  const vars = shapes.map(([name, shape]) =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => values.normal()),
        shape,
      ),
      true,
      `${prefix}/${name}`,
    ),
  );
  const optimizer = new NesterovSGD(options);
  for (let step = 0; step < 4; step++) {
    const grads: tf.NamedTensorMap = {};
    for (const v of vars)
      grads[v.name] = tf.tensor(
        Float32Array.from({ length: v.size }, () => values.normal()),
        v.shape,
      );
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const state = await optimizer.getState();
  const bits = [...vars.map((v) => v.dataSync().slice()), ...state.buffers.map((b) => b.data)].map((a) =>
    Array.from(new Uint32Array(Float32Array.from(a).buffer)),
  );
  optimizer.dispose();
  tf.dispose(vars);
  return bits;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('fused update on the cpu backend', () => {
  it.each(CONFIGS)('%s: bitwise equal to the op-by-op path, on cpu and on wasm', async (label, config) => {
    const learningRate = (step: number) => 0.1 / (step + 1);
    const tag = label.replace(/\W+/g, '-');
    expect(await tf.setBackend('cpu')).toBe(true);
    const fused = await trajectory(`${tag}-fused`, { learningRate, ...config });
    expect(tf.getKernel('BotFusedSGDUpdate', 'cpu')).toBeDefined();
    const ops = await trajectory(`${tag}-ops`, { learningRate, ...config, fusedKernel: false });
    expect(fused).toEqual(ops);
    expect(fused.length).toBe(config.momentum === 0 ? 3 : 6);
    // wasm runs the op-by-op path (its SIMD ops beat a JavaScript loop) and rounds elementwise ops the same
    // way; only the clipping norm, a reduction summed in another order, may differ in the last bits.
    expect(await tf.setBackend('wasm')).toBe(true);
    const wasm = await trajectory(`${tag}-wasm`, { learningRate, ...config });
    expect(tf.getKernel('BotFusedSGDUpdate', 'wasm')).toBeUndefined();
    if (config.maxGradNorm === undefined) {
      expect(wasm).toEqual(fused);
    } else {
      const asFloats = (bits: number[][]) =>
        bits.map((b) => Array.from(new Float32Array(Uint32Array.from(b).buffer)));
      asFloats(fused).forEach((values, i) => {
        expect(maxRelativeError(asFloats(wasm)[i] ?? [], values)).toBeLessThan(1e-6);
      });
    }
  });
});
