import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { configureWasmGemm, KernelScope, registerWasmTrainingKernels } from '../src/index.js';
import { wasmGemmForwardKernels } from '../src/register-wasm-training-kernels.js';
import { maxRelativeError, random } from './conv-cases.js';

// The forward convolutions on the GEMM microkernels: registered only while the microkernels are the GEMM
// path, so BOT_WASM_FMA=0 leaves tfjs' Conv2D and FusedConv2D in place. Its own file: the kernel registry
// is per file.

type ExplicitPad = [[0, 0], [number, number], [number, number], [0, 0]];
interface Conv {
  x: [number, number, number, number];
  kh: number;
  kw: number;
  cout: number;
  stride: [number, number];
  pad: 'same' | 'valid' | ExplicitPad;
  bias?: boolean;
  relu?: boolean;
  /** Whether the forward convolution runs on the microkernels (else the stock kernel). */
  gemm: boolean;
}

const explicit = (top: number, bottom: number, left: number, right: number): ExplicitPad => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];

const convs: Conv[] = [
  { x: [2, 7, 5, 6], kh: 1, kw: 1, cout: 9, stride: [1, 1], pad: 'same', gemm: true },
  { x: [1, 9, 9, 64], kh: 1, kw: 1, cout: 130, stride: [1, 1], pad: 'valid', gemm: true },
  { x: [3, 5, 6, 13], kh: 1, kw: 1, cout: 4, stride: [1, 1], pad: 'same', gemm: true },
  // KxK stride 1 (one GEMM per tap row, kw*Cin >= 9): odd sizes, every padding, edge tiles in rows and columns.
  { x: [1, 9, 8, 4], kh: 3, kw: 3, cout: 5, stride: [1, 1], pad: 'same', gemm: true },
  { x: [2, 7, 11, 3], kh: 3, kw: 3, cout: 17, stride: [1, 1], pad: 'valid', gemm: true },
  {
    x: [3, 10, 9, 5],
    kh: 3,
    kw: 3,
    cout: 8,
    stride: [1, 1],
    pad: explicit(2, 0, 0, 1),
    gemm: true,
  },
  { x: [1, 12, 13, 2], kh: 7, kw: 7, cout: 6, stride: [1, 1], pad: 'same', gemm: true },
  { x: [2, 6, 7, 9], kh: 3, kw: 1, cout: 4, stride: [1, 1], pad: 'same', gemm: true },
  // Deeper than one 256-row panel (3 x 96 channels), wider than one 128-column block of panels.
  { x: [1, 6, 5, 96], kh: 3, kw: 3, cout: 136, stride: [1, 1], pad: 'same', gemm: true },
  // Strided (A's rows sw*Cin floats apart): 3x3s, a 7x7 with explicit padding on 3 channels (the
  // 3-channel stems), uneven strides, a 1x1.
  { x: [2, 9, 8, 64], kh: 3, kw: 3, cout: 12, stride: [2, 2], pad: 'same', gemm: true },
  { x: [1, 11, 10, 6], kh: 3, kw: 3, cout: 9, stride: [2, 2], pad: 'valid', gemm: true },
  { x: [2, 9, 9, 3], kh: 3, kw: 3, cout: 8, stride: [2, 2], pad: 'same', gemm: true },
  {
    x: [1, 13, 11, 3],
    kh: 7,
    kw: 7,
    cout: 5,
    stride: [2, 2],
    pad: explicit(3, 2, 1, 3),
    gemm: true,
  },
  { x: [2, 7, 9, 65], kh: 3, kw: 2, cout: 3, stride: [3, 2], pad: 'same', gemm: true },
  { x: [2, 8, 8, 64], kh: 1, kw: 1, cout: 6, stride: [2, 2], pad: 'same', gemm: true },
  // Stride 2 along rows only: each tap row is still one GEMM.
  { x: [1, 9, 7, 4], kh: 3, kw: 3, cout: 5, stride: [2, 1], pad: 'same', gemm: true },
  // Not taken (the stock kernel): tap rows less than 9 floats deep, bias, relu.
  { x: [2, 6, 7, 3], kh: 3, kw: 1, cout: 4, stride: [1, 1], pad: 'same', gemm: false },
  { x: [2, 8, 8, 5], kh: 1, kw: 1, cout: 6, stride: [2, 2], pad: 'same', gemm: false },
  {
    x: [1, 6, 6, 8],
    kh: 1,
    kw: 1,
    cout: 8,
    stride: [1, 1],
    pad: 'same',
    bias: true,
    relu: true,
    gemm: false,
  },
  { x: [1, 6, 6, 8], kh: 3, kw: 3, cout: 8, stride: [1, 1], pad: 'same', bias: true, gemm: false },
];

type Data = { x: Float32Array; w: Float32Array; b: Float32Array };

/** The case's fused convolution, with its bias and activation, of x and w (by default the case's data). */
function fused(c: Conv, data: Data, x = tf.tensor4d(data.x, c.x), w = filterOf(c, data)) {
  return tf.fused.conv2d({
    x,
    filter: w,
    strides: c.stride,
    pad: c.pad,
    ...(c.bias ? { bias: tf.tensor1d(data.b) } : {}),
    ...(c.relu ? { activation: 'relu' as const } : {}),
  });
}

const filterOf = (c: Conv, data: Data) => tf.tensor4d(data.w, [c.kh, c.kw, c.x[3], c.cout]);

function forward(c: Conv, data: Data) {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.x, c.x);
    const w = filterOf(c, data);
    const conv = tf.conv2d(x, w, c.stride, c.pad);
    // The gradients through the fused op (tfjs-layers' path) without bias: dX and dW of sum(y * y).
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
      tf.sum(
        tf.square(fused({ ...c, bias: false, relu: false }, data, xi as tf.Tensor4D, wi as tf.Tensor4D)),
      ),
    )([x, w]);
    return [conv, fused(c, data, x, w), dx, dw].map((t) => (t as tf.Tensor).dataSync() as Float32Array);
  });
}

/** Whether the case's forward convolution alone reached the microkernels. */
function reachesGemm(c: Conv, data: Data): boolean {
  KernelScope.timings = new Map();
  try {
    tf.tidy(() => fused(c, data).dataSync());
    return [...KernelScope.timings.keys()].some((name) => name.startsWith('Gemm('));
  } finally {
    KernelScope.timings = undefined;
  }
}

describe('forward convolutions on the GEMM microkernels', () => {
  it('with BOT_WASM_FMA=0 tfjs’ own Conv2D and FusedConv2D stay registered; on the microkernels (FMA and not) they match the cpu backend, each case on its route, and off again they give the stock results to the bit', async () => {
    registerWasmTrainingKernels({ fma: false });
    await tf.setBackend('wasm');
    const registered = () => wasmGemmForwardKernels.map((k) => tf.getKernel(k.kernelName, 'wasm') === k);
    expect(registered()).toEqual([false, false]);

    const inputs = convs.map((c) => ({
      x: random(c.x.reduce((a, b) => a * b)),
      w: random(c.kh * c.kw * c.x[3] * c.cout),
      b: random(c.cout),
    }));
    const stock = convs.map((c, i) => forward(c, inputs[i] as never));
    await tf.setBackend('cpu');
    const expected = convs.map((c, i) => forward(c, inputs[i] as never));
    await tf.setBackend('wasm');

    registerWasmTrainingKernels({ fma: true });
    expect(registered()).toEqual([true, true]);
    expect(convs.map((c, i) => reachesGemm(c, inputs[i] as never))).toEqual(convs.map((c) => c.gemm));
    const fma = convs.map((c, i) => forward(c, inputs[i] as never));
    configureWasmGemm('simd');
    const simd = convs.map((c, i) => forward(c, inputs[i] as never));
    configureWasmGemm(false);
    expect(convs.map((c, i) => reachesGemm(c, inputs[i] as never))).toEqual(convs.map(() => false));
    const off = convs.map((c, i) => forward(c, inputs[i] as never));

    convs.forEach((_, i) => {
      for (let j = 0; j < 4; j++) {
        const want = expected[i]?.[j] as Float32Array;
        expect(maxRelativeError(fma[i]?.[j] as Float32Array, want)).toBeLessThan(1e-5);
        expect(maxRelativeError(simd[i]?.[j] as Float32Array, want)).toBeLessThan(1e-5);
        expect(Array.from(off[i]?.[j] as Float32Array)).toEqual(Array.from(stock[i]?.[j] as Float32Array));
      }
    });
  }, 300_000);
});
