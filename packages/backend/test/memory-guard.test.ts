import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { guardWasmMemory, WasmOutOfMemoryError, wasmHeapBytes } from '../src/index.js';

describe('guardWasmMemory', () => {
  it('turns a failed wasm allocation into an error that suggests gradient accumulation, and the heap survives', async () => {
    await tf.setBackend('wasm');
    expect(guardWasmMemory()).toBe(true);
    expect(guardWasmMemory()).toBe(true);
    const module = (tf.backend() as unknown as { wasm: { _malloc(n: number): number } }).wasm;
    // All but 16 bytes of the 4 GiB address space: never free once the heap holds anything.
    const request = 2 ** 32 - 16;
    let error: unknown;
    try {
      module._malloc(request);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmOutOfMemoryError);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as WasmOutOfMemoryError).requestedBytes).toBe(request);
    expect((error as Error).message).toMatch(/could not allocate 4\.00 GiB/);
    expect((error as Error).message).toMatch(/accumulate their gradients/);
    expect(wasmHeapBytes()).toBeGreaterThan(0);
    // Through tfjs, and again: the guard must outlive the module's first allocations.
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => tf.fill([2 ** 30 - 4], 0)).toThrow(WasmOutOfMemoryError);
      expect(tf.tensor1d([1, 2]).dataSync()[1]).toBe(2);
    }
    const after = tf.add(tf.ones([4]), 1);
    expect(Array.from(after.dataSync())).toEqual([2, 2, 2, 2]);
  });
});
