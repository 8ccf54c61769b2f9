import { type TensorInfo, util } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { withKernelScope } from './wasm-kernel-scope.js';

/** Below this many output elements the stock kernel's broadcast is cheap enough. */
const minElements = 4096;

/**
 * A float32 binary op where one operand broadcasts along leading axes only ([N, H, W, C] with [C] or
 * [1, 1, 1, C]: a batch norm's per-channel scale and shift). The stock wasm kernels run such a
 * broadcast about 7x slower than the same op on equal shapes, so the small operand is first tiled to
 * the full shape (block copies) and the stock kernel runs on equal shapes.
 */
function broadcastLeading(args: KernelArgs, stock: (args: KernelArgs) => TensorInfo): TensorInfo | null {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const sizeA = util.sizeFromShape(a.shape);
  const sizeB = util.sizeFromShape(b.shape);
  if (sizeA === sizeB) return null;
  const [full, small] = sizeA > sizeB ? [a, b] : [b, a];
  if (Math.max(sizeA, sizeB) < minElements || Math.min(sizeA, sizeB) <= 1) return null;
  if (small.shape.length > full.shape.length) return null;
  const rank = full.shape.length;
  const padded = [...new Array<number>(rank - small.shape.length).fill(1), ...small.shape];
  // The first axis the small operand spans; it must span every axis after it too.
  let first = rank;
  while (first > 0 && padded[first - 1] === full.shape[first - 1]) first--;
  if (first === rank || padded.slice(0, first).some((d) => d !== 1)) return null;
  return withKernelScope(args.backend, 'wasm', (scope) => {
    const reps = full.shape.map((d, i) => (i < first ? d : 1));
    const tiled = scope.run('Tile', { x: scope.reshape(small, padded) }, { reps });
    return stock({ ...args, inputs: small === a ? { a: tiled, b } : { a, b: tiled } });
  });
}

export const multiplyConfig = overrideKernel('Multiply', broadcastLeading);
export const addConfig = overrideKernel('Add', broadcastLeading);
export const subConfig = overrideKernel('Sub', broadcastLeading);
export const realDivConfig = overrideKernel('RealDiv', broadcastLeading);
export const squaredDifferenceConfig = overrideKernel('SquaredDifference', broadcastLeading);
