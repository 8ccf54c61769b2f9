import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../src/index.js';

/** A tiny ResNet-D-like net: strided conv stem with explicit padding, BN, ReLU, max pool, a
 * bottleneck with an average-pool shortcut, global pooling and a dense head. */
function tinyNet(): tf.LayersModel {
  const input = tf.input({ shape: [13, 13, 3] });
  const conv = (x: tf.SymbolicTensor, filters: number, kernel: number, stride: number) =>
    tf.layers
      .conv2d({
        filters,
        kernelSize: kernel,
        strides: stride,
        padding: stride > 1 ? 'valid' : 'same',
        useBias: false,
        kernelInitializer: tf.initializers.glorotUniform({ seed: filters * 7 + kernel }),
      })
      .apply(x) as tf.SymbolicTensor;
  const bnRelu = (x: tf.SymbolicTensor) =>
    tf.layers
      .reLU()
      .apply(tf.layers.batchNormalization({ axis: -1 }).apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
  let x = tf.layers.zeroPadding2d({ padding: 1 }).apply(input) as tf.SymbolicTensor;
  x = bnRelu(conv(x, 6, 3, 2));
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  let y = bnRelu(conv(x, 4, 1, 1));
  y = bnRelu(conv(y, 4, 3, 1));
  y = conv(y, 8, 1, 1);
  const shortcut = conv(
    tf.layers.averagePooling2d({ poolSize: 1, strides: 1 }).apply(x) as tf.SymbolicTensor,
    8,
    1,
    1,
  );
  x = tf.layers.reLU().apply(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(x);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

describe('a whole training step on wasm', () => {
  beforeAll(() => {
    registerWasmTrainingKernels();
  });

  it('gives the same loss and gradients as the cpu backend for a small conv net with batch norm', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const images = Array.from({ length: 3 * 13 * 13 * 3 }, (_, i) => Math.sin(i * 0.91));
    const labels = [0, 3, 4];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(images, [3, 13, 13, 3]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
        const { value, grads } = tf.variableGrads(
          () =>
            tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        );
        return {
          loss: value.dataSync()[0] as number,
          grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())])),
        };
      });
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThan(1e-5);
    expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    expect(Object.keys(cpu.grads).length).toBeGreaterThan(10);
    for (const [name, expected] of Object.entries(cpu.grads)) {
      const actual = wasm.grads[name] as number[];
      const scale = Math.max(1e-3, ...expected.map(Math.abs));
      for (let i = 0; i < expected.length; i++) {
        expect(
          Math.abs((actual[i] as number) - (expected[i] as number)) / scale,
          `${name}[${i}]`,
        ).toBeLessThan(1e-4);
      }
    }
  });
});
