import { type TensorInfo, util } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { heapAddress, type SimdKernels, simdKernels } from './simd-kernels.js';
import { withKernelScope } from './wasm-kernel-scope.js';

type ChannelOp = (full: number, small: number, out: number, rows: number, cols: number) => void;

/** Below this many output elements the stock kernel's broadcast is cheap enough. */
const minElements = 4096;

/**
 * A float32 binary op where one operand broadcasts along leading axes only ([N, H, W, C] with [C] or
 * [1, 1, 1, C]: a batch norm's per-channel scale and shift). The stock wasm kernels run such a
 * broadcast about 7x slower than the same op on equal shapes. Where the broadcast block holds a multiple
 * of 4 values, a SIMD kernel does it in one pass; otherwise the small operand is first tiled to the full
 * shape (block copies) and the stock kernel runs on equal shapes.
 */
function broadcastLeading(
  args: KernelArgs,
  stock: (args: KernelArgs) => TensorInfo,
  simdOp?: { fullFirst: keyof SimdKernels; smallFirst: keyof SimdKernels },
): TensorInfo | null {
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
  const cols = util.sizeFromShape(full.shape.slice(first));
  const simd = simdOp !== undefined && cols % 4 === 0 ? simdKernels(args.backend) : null;
  if (simd !== null && simdOp !== undefined) {
    const { backend } = args;
    const out = backend.makeOutput(full.shape, 'float32');
    const kernel = simd[small === b ? simdOp.fullFirst : simdOp.smallFirst] as ChannelOp;
    const rows = util.sizeFromShape(full.shape) / cols;
    kernel(heapAddress(backend, full), heapAddress(backend, small), heapAddress(backend, out), rows, cols);
    return out;
  }
  return withKernelScope(args.backend, 'wasm', (scope) => {
    const reps = full.shape.map((d, i) => (i < first ? d : 1));
    const tiled = scope.run('Tile', { x: scope.reshape(small, padded) }, { reps });
    return stock({ ...args, inputs: small === a ? { a: tiled, b } : { a, b: tiled } });
  });
}

const withSimd =
  (fullFirst: keyof SimdKernels, smallFirst: keyof SimdKernels) =>
  (args: KernelArgs, stock: (args: KernelArgs) => TensorInfo) =>
    broadcastLeading(args, stock, { fullFirst, smallFirst });

export const multiplyConfig = overrideKernel('Multiply', withSimd('mulChannels', 'mulChannels'));
export const addConfig = overrideKernel('Add', withSimd('addChannels', 'addChannels'));
export const subConfig = overrideKernel('Sub', withSimd('subChannels', 'subFromChannels'));
export const realDivConfig = overrideKernel('RealDiv', withSimd('divChannels', 'divIntoChannels'));
export const squaredDifferenceConfig = overrideKernel('SquaredDifference', broadcastLeading);
