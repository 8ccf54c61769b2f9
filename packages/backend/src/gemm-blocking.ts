import type { TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope, type WasmBackendLike } from './wasm-kernel-scope.js';

/** Depth of one packed panel of B: kc x 8 floats = 8 KiB, in L1 while a block of A's rows streams past it. */
export const GEMM_KC = 256;
/** Rows of A per call: an MC x KC block of A (128 KiB) stays in L2 across the panels. */
export const GEMM_MC = 128;

/**
 * Adds the milliseconds since `start` to the profile (`KernelScope.timings`, when set) under the name the
 * microkernels' time is reported by, `Gemm(flavour)`.
 */
export function recordGemmTime(flavour: 'relaxed' | 'simd', start: number): void {
  const timings = KernelScope.timings;
  if (timings === undefined) return;
  const name = `Gemm(${flavour})`;
  timings.set(name, (timings.get(name) ?? 0) + performance.now() - start);
}

/**
 * A buffer for `floats` of packed B panels followed by the microkernel's scratch for edge tiles (one 4 x 8
 * tile), adopted by `scope`. The scratch starts `floats * 4` bytes after the buffer's heap address; read that
 * address after the last allocation (the heap may grow and move).
 */
export function allocatePackedB(scope: KernelScope<WasmBackendLike>, floats: number): TensorInfo {
  return scope.adopt(scope.backend.makeOutput([floats + 32], 'float32'));
}
