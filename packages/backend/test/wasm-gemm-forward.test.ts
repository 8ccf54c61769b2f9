import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { configureWasmGemm, KernelScope, registerWasmTrainingKernels } from '../src/index.js';
import { wasmGemmForwardKernels } from '../src/register-wasm-training-kernels.js';
import { maxRelativeError, random } from './conv-cases.js';

// The forward 1x1 convolutions on the GEMM microkernels (the default path): registered only while the
// microkernels are chosen, so BOT_WASM_FMA=0 leaves tfjs' Conv2D and FusedConv2D in place. Its own file:
// the kernel registry is per file.

interface Conv {
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: 'same' | 'valid';
  bias?: boolean;
  relu?: boolean;
}

const convs: Conv[] = [
  { x: [2, 7, 5, 6], k: 1, cout: 9, stride: 1, pad: 'same' },
  { x: [1, 9, 9, 64], k: 1, cout: 130, stride: 1, pad: 'valid' },
  { x: [3, 5, 6, 13], k: 1, cout: 4, stride: 1, pad: 'same' },
  // Not taken (the stock kernel): a stride, a 3x3, bias and relu.
  { x: [2, 8, 8, 5], k: 1, cout: 6, stride: 2, pad: 'same' },
  { x: [1, 9, 8, 4], k: 3, cout: 5, stride: 1, pad: 'same' },
  { x: [2, 6, 6, 8], k: 1, cout: 8, stride: 1, pad: 'same', bias: true, relu: true },
];

function forward(c: Conv, data: { x: Float32Array; w: Float32Array; b: Float32Array }) {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.x, c.x);
    const w = tf.tensor4d(data.w, [c.k, c.k, c.x[3], c.cout]);
    const conv = tf.conv2d(x, w, c.stride, c.pad);
    const fused = tf.fused.conv2d({
      x,
      filter: w,
      strides: c.stride,
      pad: c.pad,
      ...(c.bias ? { bias: tf.tensor1d(data.b) } : {}),
      ...(c.relu ? { activation: 'relu' as const } : {}),
    });
    // The gradients through the fused op (tfjs-layers' path): dX and dW of sum(y * y).
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
      tf.sum(
        tf.square(
          tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: wi as tf.Tensor4D, strides: c.stride, pad: c.pad }),
        ),
      ),
    )([x, w]);
    return [conv, fused, dx, dw].map((t) => (t as tf.Tensor).dataSync() as Float32Array);
  });
}

describe('forward 1x1 convolutions on the GEMM microkernels', () => {
  it('with FMA off tfjs’ own Conv2D and FusedConv2D stay registered; with FMA on they match the cpu backend, and off again they give the stock results to the bit', async () => {
    registerWasmTrainingKernels({ fma: false });
    await tf.setBackend('wasm');
    const registered = () => wasmGemmForwardKernels.map((k) => tf.getKernel(k.kernelName, 'wasm') === k);
    expect(registered()).toEqual([false, false]);

    const inputs = convs.map((c) => ({
      x: random(c.x.reduce((a, b) => a * b)),
      w: random(c.k * c.k * c.x[3] * c.cout),
      b: random(c.cout),
    }));
    const stock = convs.map((c, i) => forward(c, inputs[i] as never));
    await tf.setBackend('cpu');
    const expected = convs.map((c, i) => forward(c, inputs[i] as never));
    await tf.setBackend('wasm');

    registerWasmTrainingKernels({ fma: true });
    expect(registered()).toEqual([true, true]);
    // The forward pass alone reaches the microkernel.
    KernelScope.timings = new Map();
    tf.tidy(() =>
      tf
        .conv2d(tf.ones([1, 4, 4, 8]) as tf.Tensor4D, tf.ones([1, 1, 8, 8]) as tf.Tensor4D, 1, 'same')
        .dataSync(),
    );
    expect([...KernelScope.timings.keys()]).toContain('Gemm(relaxed)');
    KernelScope.timings = undefined;
    const fma = convs.map((c, i) => forward(c, inputs[i] as never));
    configureWasmGemm('simd');
    const simd = convs.map((c, i) => forward(c, inputs[i] as never));
    configureWasmGemm(false);
    const off = convs.map((c, i) => forward(c, inputs[i] as never));

    convs.forEach((_, i) => {
      for (let j = 0; j < 4; j++) {
        const want = expected[i]?.[j] as Float32Array;
        expect(maxRelativeError(fma[i]?.[j] as Float32Array, want)).toBeLessThan(1e-5);
        expect(maxRelativeError(simd[i]?.[j] as Float32Array, want)).toBeLessThan(1e-5);
        expect(Array.from(off[i]?.[j] as Float32Array)).toEqual(Array.from(stock[i]?.[j] as Float32Array));
      }
    });
  }, 120_000);
});
