import { findBackend } from '@tensorflow/tfjs-core';

/** The wasm32 address space: a wasm backend's tensors, and everything else on its heap, live in this. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

/**
 * The top of the address space is kept for the allocations the wasm module makes internally
 * (XNNPACK's packed weights and indirection buffers): those cannot be guarded, and one failing aborts
 * the instance. A tensor whose block would end in this region is refused instead.
 */
export const WASM_HEAP_RESERVE_BYTES = 256 * 2 ** 20;

/** Thrown instead of the wasm backend's silent null allocation (which it would then write through). */
export class WasmOutOfMemoryError extends RangeError {
  constructor(
    readonly requestedBytes: number,
    readonly heapBytes: number,
  ) {
    super(
      `The wasm backend could not allocate ${formatBytes(requestedBytes)}: its heap is at ${formatBytes(heapBytes)} ` +
        `of the ${formatBytes(WASM_HEAP_LIMIT_BYTES)} a wasm instance can address. A training step keeps every ` +
        'intermediate activation until the backward pass (about 0.75 GB per 224x224 ResNet-50 image with ' +
        "@bot/resnet-variants' BatchNorm, 1.1 GB with tfjs-layers' own), so the batch does not fit: " +
        'train on smaller micro-batches and accumulate their gradients ' +
        '(e.g. 4 micro-batches of 2 for a batch of 8, with @bot/optim GradientAccumulator), or split the batch ' +
        'over data-parallel replicas (createReplicaPool of @bot/parallel), each of which has its own heap. Tensors allocated ' +
        'before this error are still valid; dispose them and retry with the smaller batch.',
    );
    this.name = 'WasmOutOfMemoryError';
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

interface WasmModuleLike {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  [guarded]?: true;
}

const guarded = Symbol('bot.backend.memoryGuard');

/**
 * Makes the wasm backend throw a `WasmOutOfMemoryError` (with advice) when a tensor allocation
 * fails or would end in the last `WASM_HEAP_RESERVE_BYTES` of the 4 GiB, instead of writing through
 * the null pointer it gets back, or starving the module's own allocations, either of which aborts the
 * whole wasm instance ("memory access out of bounds", then "Aborted()" on every later call).
 * Call after the wasm backend is initialised (`selectBackend()` does). Returns false when there is
 * no initialised wasm backend. Idempotent.
 */
export function guardWasmMemory(): boolean {
  const backend = findBackend('wasm') as { wasm?: WasmModuleLike } | null;
  const module = backend?.wasm;
  if (module === undefined) return false;
  if (module[guarded]) return true;
  // Emscripten's `_malloc` starts as a stub that, on its first call, replaces itself on the module
  // with the raw export: a wrapper installed over the stub would be dropped by that first call.
  module._free(module._malloc(8));
  const malloc = module._malloc.bind(module);
  module._malloc = (bytes: number) => {
    const pointer = malloc(bytes);
    if (bytes === 0) return pointer;
    const end = (pointer >>> 0) + bytes;
    if (
      pointer === 0 ||
      end > module.HEAPU8.length ||
      end > WASM_HEAP_LIMIT_BYTES - WASM_HEAP_RESERVE_BYTES
    ) {
      if (pointer !== 0 && end <= module.HEAPU8.length) module._free(pointer);
      throw new WasmOutOfMemoryError(bytes, module.HEAPU8.length);
    }
    return pointer;
  };
  module[guarded] = true;
  return true;
}

/** Bytes the wasm backend's heap has grown to (0 when it is not initialised). */
export function wasmHeapBytes(): number {
  const backend = findBackend('wasm') as { wasm?: WasmModuleLike } | null;
  return backend?.wasm?.HEAPU8.length ?? 0;
}
