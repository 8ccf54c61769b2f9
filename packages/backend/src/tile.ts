import { util } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';

/**
 * Tile by block copies: each dimension's tiled block is built once and then duplicated with
 * copyWithin (the stock wasm kernel computes a source index per element). The batch norm gradient
 * of tfjs-core tiles a per-channel vector to the full activation shape in every layer.
 */
function tile({ inputs, backend, attrs }: KernelArgs) {
  const x = inputs.x;
  if (x === undefined || (x.dtype !== 'float32' && x.dtype !== 'int32')) return null;
  const reps = attrs.reps as number[];
  const rank = x.shape.length;
  if (rank === 0) return null;
  const inShape = x.shape;
  const outShape = inShape.map((s, i) => s * (reps[i] as number));
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  // outBlock[d]: elements of the tiled output below dimension d (exclusive); inBlock likewise.
  const outBlock = new Array<number>(rank + 1).fill(1);
  const inBlock = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) {
    outBlock[d] = (outBlock[d + 1] as number) * (outShape[d] as number);
    inBlock[d] = (inBlock[d + 1] as number) * (inShape[d] as number);
  }
  const fill = (d: number, srcOffset: number, dstOffset: number): void => {
    const n = inShape[d] as number;
    const step = outBlock[d + 1] as number;
    if (d === rank - 1) {
      dst.set(src.subarray(srcOffset, srcOffset + n), dstOffset);
    } else {
      for (let i = 0; i < n; i++)
        fill(d + 1, srcOffset + i * (inBlock[d + 1] as number), dstOffset + i * step);
    }
    // Duplicate the filled block [dstOffset, dstOffset + n*step) reps[d] - 1 times, doubling.
    const block = n * step;
    const total = block * (reps[d] as number);
    for (let done = block; done < total; done *= 2) {
      dst.copyWithin(dstOffset + done, dstOffset, dstOffset + Math.min(done, total - done));
    }
  };
  fill(0, 0, 0);
  return out;
}

export const tileConfig = overrideKernel('Tile', tile);
