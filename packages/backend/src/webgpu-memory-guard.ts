import type { GpuAdapterReport } from './gpu-adapter.js';
import { formatAdapter } from './gpu-adapter.js';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const ADVICE =
  'use a smaller batch, or keep the batch and split it into micro-batches with gradient accumulation (bot-train --accumulate)';

/** A tensor, or the whole working set, did not fit the GPU: the message names the memory and what to do. */
export class WebGPUOutOfMemoryError extends Error {
  override name = 'WebGPUOutOfMemoryError';
}

/** The WebGPU device failed (lost, or an error the backend did not catch); later work on it is undefined. */
export class WebGPUDeviceError extends Error {
  override name = 'WebGPUDeviceError';
}

interface BufferManagerLike {
  numBytesAllocated: number;
  numBytesUsed: number;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): unknown;
}

/** The parts of tfjs' WebGPUBackend the guard wraps. */
export interface WebGPUBackendLike {
  device: {
    addEventListener(
      type: 'uncapturederror',
      listener: (event: { error: { message: string } }) => void,
    ): void;
    lost: Promise<{ reason: string; message: string }>;
  };
  bufferManager: BufferManagerLike;
  read(dataId: object): Promise<unknown>;
}

export interface WebGPUMemoryGuardOptions {
  /** Bytes of GPU buffers the backend may hold at once (WebGPU does not tell a device's memory). */
  readonly budgetBytes?: number;
}

const guarded = new WeakSet<object>();

/**
 * Turns WebGPU's silent failures into errors at the next allocation or read: a tensor larger than the
 * adapter's storage-binding limit, a working set over the budget, a device error (out of memory) or a lost
 * device. Without it an oversized buffer is only a validation message, and the step goes on with garbage.
 */
export function guardWebGPUMemory(
  backend: WebGPUBackendLike,
  adapter: GpuAdapterReport,
  options: WebGPUMemoryGuardOptions = {},
): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  let failure: Error | null = null;
  backend.device.addEventListener('uncapturederror', (event) => {
    const message = event.error.message.split('\n')[0] ?? '';
    failure ??= /out of memory|OOM|allocat/i.test(message)
      ? new WebGPUOutOfMemoryError(
          `the GPU ran out of memory (${message}) with ${gib(backend.bufferManager.numBytesAllocated)} allocated by tfjs: ${ADVICE}`,
        )
      : new WebGPUDeviceError(`WebGPU device error: ${message}`);
  });
  backend.device.lost.then((info) => {
    failure ??= new WebGPUDeviceError(
      `the WebGPU device was lost (${info.reason || 'unknown'}: ${info.message}); restart the process`,
    );
  });
  const throwIfFailed = () => {
    if (failure) throw failure;
  };
  const manager = backend.bufferManager;
  const acquire = manager.acquireBuffer.bind(manager);
  const budget = options.budgetBytes ?? Number.POSITIVE_INFINITY;
  manager.acquireBuffer = (size, usage, mappedAtCreation, reuse) => {
    throwIfFailed();
    if (size > adapter.maxStorageBufferBindingSize) {
      throw new WebGPUOutOfMemoryError(
        `the webgpu backend could not allocate ${gib(size)} for one tensor: the adapter (${formatAdapter(adapter)}) binds at most ${gib(adapter.maxStorageBufferBindingSize)} per buffer; ${ADVICE}`,
      );
    }
    if (manager.numBytesUsed + size > budget) {
      throw new WebGPUOutOfMemoryError(
        `the webgpu backend could not allocate ${gib(size)}: ${gib(manager.numBytesUsed)} of its ${gib(budget)} budget are in use; ${ADVICE}`,
      );
    }
    return acquire(size, usage, mappedAtCreation, reuse);
  };
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    const value = await read(dataId);
    throwIfFailed();
    return value;
  };
}
