import * as tf from '@tensorflow/tfjs';

// The shape set of the convolution-gradient tests (conv-kernels.test.ts, wasm-gemm.test.ts) and their helpers.

export type Pad = 'same' | 'valid';
export interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pad: Pad;
}

export function backpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: [number, number],
  pad: Pad,
) {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides,
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    filterShape,
  } as never) as tf.Tensor4D;
}

export function backpropInput(
  inputShape: number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  pad: Pad,
) {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
    strides,
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    inputShape,
  } as never) as tf.Tensor4D;
}

let seed = 12345;
export function random(size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = seed / 2 ** 32 - 0.5;
  }
  return out;
}

export async function onBackend<T>(name: string, body: () => T): Promise<T> {
  await tf.setBackend(name);
  return body();
}

export function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / scale);
  }
  return worst;
}

export const cases: Case[] = [
  { n: 1, h: 7, w: 7, cin: 3, cout: 4, kh: 3, kw: 3, stride: [1, 1], pad: 'same' },
  { n: 2, h: 9, w: 8, cin: 5, cout: 3, kh: 3, kw: 3, stride: [2, 2], pad: 'same' },
  { n: 1, h: 9, w: 11, cin: 4, cout: 6, kh: 3, kw: 3, stride: [2, 2], pad: 'valid' },
  { n: 2, h: 6, w: 6, cin: 4, cout: 5, kh: 3, kw: 3, stride: [1, 1], pad: 'valid' },
  { n: 1, h: 5, w: 5, cin: 6, cout: 7, kh: 1, kw: 1, stride: [1, 1], pad: 'same' },
  { n: 2, h: 7, w: 6, cin: 6, cout: 4, kh: 1, kw: 1, stride: [2, 2], pad: 'valid' },
  { n: 1, h: 8, w: 8, cin: 4, cout: 4, kh: 1, kw: 1, stride: [2, 2], pad: 'same' },
  { n: 1, h: 15, w: 13, cin: 3, cout: 4, kh: 7, kw: 7, stride: [2, 2], pad: 'same' },
  { n: 2, h: 11, w: 12, cin: 2, cout: 3, kh: 7, kw: 7, stride: [1, 1], pad: 'same' },
  { n: 1, h: 13, w: 9, cin: 3, cout: 2, kh: 7, kw: 7, stride: [2, 2], pad: 'valid' },
  { n: 1, h: 10, w: 9, cin: 3, cout: 5, kh: 3, kw: 1, stride: [1, 2], pad: 'same' },
  { n: 3, h: 5, w: 5, cin: 2, cout: 2, kh: 5, kw: 3, stride: [3, 3], pad: 'valid' },
  // Larger maps: dW takes the shifted-grid path (not im2col), over more than one 2048-row chunk.
  { n: 2, h: 40, w: 36, cin: 3, cout: 4, kh: 3, kw: 3, stride: [1, 1], pad: 'same' },
  { n: 1, h: 41, w: 40, cin: 2, cout: 3, kh: 3, kw: 3, stride: [2, 2], pad: 'same' },
  { n: 3, h: 30, w: 31, cin: 2, cout: 2, kh: 7, kw: 7, stride: [1, 1], pad: 'same' },
  // 1x1 stride 1 with Cin * Cout >= 4096: dX is one matmul with the transposed filter.
  { n: 2, h: 5, w: 6, cin: 64, cout: 72, kh: 1, kw: 1, stride: [1, 1], pad: 'same' },
  { n: 1, h: 3, w: 4, cin: 96, cout: 48, kh: 1, kw: 1, stride: [1, 1], pad: 'valid' },
  // Batch >= 32 at stride 1: dW is one forward convolution that contracts over the batch.
  { n: 32, h: 7, w: 6, cin: 3, cout: 5, kh: 3, kw: 3, stride: [1, 1], pad: 'same' },
  { n: 33, h: 6, w: 7, cin: 4, cout: 2, kh: 3, kw: 3, stride: [1, 1], pad: 'valid' },
  { n: 40, h: 9, w: 8, cin: 2, cout: 3, kh: 7, kw: 7, stride: [1, 1], pad: 'same' },
  { n: 32, h: 5, w: 6, cin: 3, cout: 4, kh: 3, kw: 1, stride: [1, 1], pad: 'same' },
  // Batch >= 32 where the shift grid fits (at most 1.2x the output): on the microkernels, dW by taps, not
  // by convolution.
  { n: 32, h: 24, w: 22, cin: 3, cout: 5, kh: 3, kw: 3, stride: [1, 1], pad: 'same' },
  // Batch >= 32 with a 1x1 filter or a stride stays on the matmul paths, in chunks of many rows.
  { n: 48, h: 9, w: 9, cin: 2, cout: 3, kh: 1, kw: 1, stride: [1, 1], pad: 'same' },
  { n: 36, h: 9, w: 10, cin: 3, cout: 2, kh: 3, kw: 3, stride: [2, 2], pad: 'same' },
  // Few positions, at least 128 channels: dX by col2im (strides, padding, odd sizes, a 7x7 and 1x1s).
  { n: 1, h: 7, w: 7, cin: 128, cout: 130, kh: 3, kw: 3, stride: [1, 1], pad: 'same' },
  { n: 2, h: 9, w: 8, cin: 128, cout: 128, kh: 3, kw: 3, stride: [2, 2], pad: 'valid' },
  { n: 1, h: 8, w: 9, cin: 130, cout: 128, kh: 3, kw: 3, stride: [2, 2], pad: 'same' },
  { n: 1, h: 6, w: 5, cin: 128, cout: 128, kh: 7, kw: 7, stride: [1, 1], pad: 'same' },
  { n: 1, h: 5, w: 5, cin: 128, cout: 160, kh: 1, kw: 1, stride: [1, 1], pad: 'same' },
  { n: 1, h: 7, w: 7, cin: 128, cout: 128, kh: 1, kw: 1, stride: [2, 2], pad: 'valid' },
  // 1x1 stride 1 widening the channels with rows * Cout >= 2^20: dW as (dy^T x)^T.
  { n: 2, h: 32, w: 33, cin: 5, cout: 512, kh: 1, kw: 1, stride: [1, 1], pad: 'same' },
];

export function describeCase(c: Case): string {
  return `x [${c.n},${c.h},${c.w},${c.cin}] k ${c.kh}x${c.kw} -> ${c.cout}, stride ${c.stride.join('x')}, ${c.pad}`;
}

/**
 * Random x, filter and dy for a case (drawn in this order from the shared generator), and a function that
 * computes dW and dX (and dX's shape) from them on a backend.
 */
export async function caseGradients(c: Case) {
  const xShape: [number, number, number, number] = [c.n, c.h, c.w, c.cin];
  const wShape: [number, number, number, number] = [c.kh, c.kw, c.cin, c.cout];
  const xData = random(xShape.reduce((a, b) => a * b));
  const wData = random(wShape.reduce((a, b) => a * b));
  const outShape = await onBackend(
    'cpu',
    () => tf.conv2d(tf.tensor4d(xData, xShape), tf.tensor4d(wData, wShape), c.stride, c.pad).shape,
  );
  const dyData = random(outShape.reduce((a, b) => a * b));
  return (backend: string) =>
    onBackend(backend, () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xData, xShape);
        const w = tf.tensor4d(wData, wShape);
        const dy = tf.tensor4d(dyData, outShape as [number, number, number, number]);
        const dW = backpropFilter(x, dy, wShape, c.stride, c.pad);
        const dX = backpropInput(xShape, dy, w, c.stride, c.pad);
        return { dW: dW.dataSync() as Float32Array, dX: dX.dataSync() as Float32Array, dXShape: dX.shape };
      }),
    );
}
