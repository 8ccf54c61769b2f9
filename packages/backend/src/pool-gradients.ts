import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { heapAddress, simdKernels } from './simd-kernels.js';

type PoolInfo = backend_util.Conv2DInfo;

function poolInfo({ inputs, attrs }: KernelArgs): PoolInfo | null {
  const { dy, input } = inputs;
  if (dy === undefined || input === undefined || input.shape.length !== 4) return null;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  return backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/**
 * Every window of a pool, output positions in row-major order (N, Ho, Wo): for window k, entries
 * 5k..5k+4 hold its batch index and the input rows [r0, r1) and columns [c0, c1) it covers, clipped
 * to the input. Both gradients below scatter over this list.
 */
function poolWindows(info: PoolInfo): Int32Array {
  const { batchSize, outHeight, outWidth, inHeight, inWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const windows = new Int32Array(5 * batchSize * outHeight * outWidth);
  let k = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const r0 = yR * strideHeight - top;
      for (let yC = 0; yC < outWidth; yC++) {
        const c0 = yC * strideWidth - left;
        windows[k++] = b;
        windows[k++] = Math.max(0, r0);
        windows[k++] = Math.min(inHeight, r0 + filterHeight);
        windows[k++] = Math.max(0, c0);
        windows[k++] = Math.min(inWidth, c0 + filterWidth);
      }
    }
  }
  return windows;
}

/**
 * MaxPoolGrad: each output's gradient goes to the first maximum of its window in row-major order (the
 * cpu backend's rule, ties included), found again from the input. The stock wasm kernel took 118 ms of
 * a 6.1 s ResNet-50 step (one 3x3/2 pool, batch 4); this is one pass over the windows, in
 * WebAssembly SIMD when the channels are a multiple of 4 (the JavaScript loop took 65 ms there).
 */
function maxPoolGrad(args: KernelArgs): TensorInfo | null {
  const info = poolInfo(args);
  if (info === null) return null;
  const { backend, inputs } = args;
  const input = inputs.input as TensorInfo;
  const { inHeight, inWidth, inChannels: channels } = info;
  const windows = poolWindows(info);
  const out = backend.makeOutput(input.shape, 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  const simd = channels % 4 === 0 ? simdKernels(backend) : null;
  if (simd !== null) {
    const xAt = heapAddress(backend, input);
    const dxAt = heapAddress(backend, out);
    const dyAt = heapAddress(backend, inputs.dy as TensorInfo);
    const colStride = 4 * channels;
    const rowStride = inWidth * colStride;
    for (let k = 0, w = 0; w < windows.length; k++, w += 5) {
      const b = windows[w] as number;
      const [r0, r1] = [windows[w + 1] as number, windows[w + 2] as number];
      const [c0, c1] = [windows[w + 3] as number, windows[w + 4] as number];
      const first = ((b * inHeight + r0) * inWidth + c0) * colStride;
      simd.maxPoolGradWindow(
        xAt,
        dxAt,
        first,
        r1 - r0,
        c1 - c0,
        rowStride,
        colStride,
        dyAt + k * colStride,
        colStride,
      );
    }
    return out;
  }
  const x = backend.typedArrayFromHeap(input);
  const dy = backend.typedArrayFromHeap(inputs.dy as TensorInfo);
  const dx = backend.typedArrayFromHeap(out);
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  for (let k = 0, w = 0; w < windows.length; k++, w += 5) {
    const b = windows[w] as number;
    best.fill(Number.NEGATIVE_INFINITY);
    where.fill(-1);
    for (let r = windows[w + 1] as number; r < (windows[w + 2] as number); r++) {
      for (let c = windows[w + 3] as number; c < (windows[w + 4] as number); c++) {
        const base = ((b * inHeight + r) * inWidth + c) * channels;
        for (let d = 0; d < channels; d++) {
          const v = x[base + d] as number;
          const larger = v > (best[d] as number);
          best[d] = larger ? v : (best[d] as number);
          where[d] = larger ? base + d : (where[d] as number);
        }
      }
    }
    const o = k * channels;
    for (let d = 0; d < channels; d++) {
      const at = where[d] as number;
      if (at >= 0) dx[at] = (dx[at] as number) + (dy[o + d] as number);
    }
  }
  return out;
}

/**
 * AvgPoolGrad: each output's gradient, divided by the window's full size (the cpu backend's
 * multiplier, padding included), added to every input its window covers.
 */
function avgPoolGrad(args: KernelArgs): TensorInfo | null {
  const info = poolInfo(args);
  if (info === null) return null;
  const { backend, inputs } = args;
  const { inHeight, inWidth, inChannels: channels, filterHeight, filterWidth } = info;
  const windows = poolWindows(info);
  const out = backend.makeOutput(inputs.input?.shape as number[], 'float32');
  const dy = backend.typedArrayFromHeap(inputs.dy as TensorInfo);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const scale = 1 / (filterHeight * filterWidth);
  for (let k = 0, w = 0; w < windows.length; k++, w += 5) {
    const b = windows[w] as number;
    const o = k * channels;
    for (let r = windows[w + 1] as number; r < (windows[w + 2] as number); r++) {
      for (let c = windows[w + 3] as number; c < (windows[w + 4] as number); c++) {
        const base = ((b * inHeight + r) * inWidth + c) * channels;
        for (let d = 0; d < channels; d++)
          dx[base + d] = (dx[base + d] as number) + (dy[o + d] as number) * scale;
      }
    }
  }
  return out;
}

export const maxPoolGradConfig = overrideKernel('MaxPoolGrad', maxPoolGrad);
export const avgPoolGradConfig = overrideKernel('AvgPoolGrad', avgPoolGrad);
