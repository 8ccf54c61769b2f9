import { util } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { heapAddress, simdKernels } from './simd-kernels.js';

/**
 * Sum and Mean over the leading axes of a float32 tensor (a batch norm's per-channel reductions over
 * N, H, W). The stock wasm kernels transpose the whole input first to bring those axes innermost;
 * this accumulates rows in place instead, in float64: with WebAssembly SIMD when the kept axes hold a
 * multiple of 4 values, in JavaScript otherwise.
 */
function reduceLeadingAxes(args: KernelArgs, mean: boolean) {
  const { inputs, backend, attrs } = args;
  const x = inputs.x;
  if (x === undefined || x.dtype !== 'float32') return null;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  if (axes.length === 0 || axes.length === rank || axes.some((a, i) => a !== i)) return null;
  const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = util.sizeFromShape(x.shape.slice(axes.length));
  const keptShape = x.shape.slice(axes.length);
  const outShape = attrs.keepDims === true ? [...axes.map(() => 1), ...keptShape] : keptShape;
  const out = backend.makeOutput(outShape, 'float32');
  const scale = mean ? 1 / rows : 1;
  const simd = cols % 4 === 0 ? simdKernels(backend) : null;
  if (simd !== null) {
    const acc = backend.makeOutput([2 * cols], 'float32');
    simd.sumRows(heapAddress(backend, x), rows, cols, heapAddress(backend, acc));
    const sums = backend.typedArrayFromHeap(acc);
    const totals = new Float64Array(sums.buffer, sums.byteOffset, cols);
    const dst = backend.typedArrayFromHeap(out);
    for (let c = 0; c < cols; c++) dst[c] = (totals[c] as number) * scale;
    backend.disposeData(acc.dataId);
    return out;
  }
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const acc = new Float64Array(cols);
  // Four rows per pass: a quarter of the accumulator loads and stores.
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const i = o + c;
      acc[c] =
        (acc[c] as number) +
        ((src[i] as number) +
          (src[i + cols] as number) +
          (src[i + 2 * cols] as number) +
          (src[i + 3 * cols] as number));
    }
  }
  for (; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (src[o + c] as number);
  }
  for (let c = 0; c < cols; c++) dst[c] = (acc[c] as number) * scale;
  return out;
}

export const sumConfig = overrideKernel('Sum', (args) => reduceLeadingAxes(args, false));
export const meanConfig = overrideKernel('Mean', (args) => reduceLeadingAxes(args, true));
