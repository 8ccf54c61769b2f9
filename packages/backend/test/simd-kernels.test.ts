import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../src/index.js';
import { simdKernels } from '../src/simd-kernels.js';
import { simdKernelsWasm } from '../src/simd-kernels-wasm.js';
import type { WasmBackendLike } from '../src/wasm-kernel-scope.js';
// @ts-expect-error: a plain .mjs build script, without types
import { compile } from '../tools/build-simd-kernels.mjs';

describe('SIMD kernels', () => {
  it('the committed module is what tools/build-simd-kernels.mjs compiles from its templates', async () => {
    const bytes = (await compile()) as Uint8Array;
    expect(Buffer.from(bytes).toString('base64')).toBe(simdKernelsWasm);
  });

  it('instantiate on the wasm backend in Node (so the tests of Sum, Mean and the broadcasts cover them)', async () => {
    await tf.setBackend('wasm');
    const kernels = simdKernels(tf.backend() as unknown as WasmBackendLike);
    expect(kernels).not.toBeNull();
    expect(typeof kernels?.sumRows).toBe('function');
  });

  it('see the heap after it grows, and sum in float64', async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as WasmBackendLike;
    const before = backend.typedArrayFromHeap(tf.zeros([1]) as never).buffer.byteLength;
    // Large enough to grow the heap past its first size; 1e8 + 1 + 1 - 1e8 needs more than float32.
    const rows = 1 << 20;
    const x = tf.tidy(() => tf.concat([tf.fill([1, 4], 1e8), tf.ones([rows - 2, 4]), tf.fill([1, 4], -1e8)]));
    expect(backend.typedArrayFromHeap(x as never).buffer.byteLength).toBeGreaterThan(before);
    const sums = tf.sum(x, 0);
    expect(Array.from(await sums.data())).toEqual([rows - 2, rows - 2, rows - 2, rows - 2]);
    tf.dispose([x, sums]);
  });
});
