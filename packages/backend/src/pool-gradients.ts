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

/** The input rows (or columns) [start, end) that output row o's window covers, clipped to the input. */
function windowSpan(o: number, stride: number, pad: number, size: number, extent: number): [number, number] {
  const first = o * stride - pad;
  return [Math.max(0, first), Math.min(extent, first + size)];
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
  const { batchSize, outHeight, outWidth, inHeight, inWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, inChannels: channels } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput(inputs.input?.shape as number[], 'float32');
  const x = backend.typedArrayFromHeap(inputs.input as TensorInfo);
  const dy = backend.typedArrayFromHeap(inputs.dy as TensorInfo);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const simd = channels % 4 === 0 ? simdKernels(backend) : null;
  if (simd !== null) {
    const xAt = heapAddress(backend, inputs.input as TensorInfo);
    const dxAt = heapAddress(backend, out);
    const dyAt = heapAddress(backend, inputs.dy as TensorInfo);
    const colStride = 4 * channels;
    const rowStride = inWidth * colStride;
    for (let b = 0; b < batchSize; b++) {
      for (let yR = 0; yR < outHeight; yR++) {
        const [r0, r1] = windowSpan(yR, strideHeight, top, filterHeight, inHeight);
        for (let yC = 0; yC < outWidth; yC++) {
          const [c0, c1] = windowSpan(yC, strideWidth, left, filterWidth, inWidth);
          const first = ((b * inHeight + r0) * inWidth + c0) * colStride;
          const o = ((b * outHeight + yR) * outWidth + yC) * colStride;
          simd.maxPoolGradWindow(
            xAt,
            dxAt,
            first,
            r1 - r0,
            c1 - c0,
            rowStride,
            colStride,
            dyAt + o,
            colStride,
          );
        }
      }
    }
    return out;
  }
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const [r0, r1] = windowSpan(yR, strideHeight, top, filterHeight, inHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const [c0, c1] = windowSpan(yC, strideWidth, left, filterWidth, inWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) {
            const base = ((b * inHeight + r) * inWidth + c) * channels;
            for (let d = 0; d < channels; d++) {
              const v = x[base + d] as number;
              const larger = v > (best[d] as number);
              best[d] = larger ? v : (best[d] as number);
              where[d] = larger ? base + d : (where[d] as number);
            }
          }
        }
        const o = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let d = 0; d < channels; d++) {
          const at = where[d] as number;
          if (at >= 0) dx[at] = (dx[at] as number) + (dy[o + d] as number);
        }
      }
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
  const { batchSize, outHeight, outWidth, inHeight, inWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, inChannels: channels } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput(inputs.input?.shape as number[], 'float32');
  const dy = backend.typedArrayFromHeap(inputs.dy as TensorInfo);
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const scale = 1 / (filterHeight * filterWidth);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const [r0, r1] = windowSpan(yR, strideHeight, top, filterHeight, inHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const [c0, c1] = windowSpan(yC, strideWidth, left, filterWidth, inWidth);
        const o = ((b * outHeight + yR) * outWidth + yC) * channels;
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) {
            const base = ((b * inHeight + r) * inWidth + c) * channels;
            for (let d = 0; d < channels; d++)
              dx[base + d] = (dx[base + d] as number) + (dy[o + d] as number) * scale;
          }
        }
      }
    }
  }
  return out;
}

export const maxPoolGradConfig = overrideKernel('MaxPoolGrad', maxPoolGrad);
export const avgPoolGradConfig = overrideKernel('AvgPoolGrad', avgPoolGrad);
