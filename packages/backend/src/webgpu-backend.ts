import { findBackend, findBackendFactory, registerBackend, removeBackend } from '@tensorflow/tfjs-core';
import { type AdapterLike, describeAdapter, type GpuAdapterReport } from './gpu-adapter.js';
import type { GpuLike } from './navigator-gpu.js';
import {
  guardWebGPUMemory,
  type WebGPUBackendLike,
  type WebGPUMemoryGuardOptions,
} from './webgpu-memory-guard.js';

interface AdapterWithDevice extends AdapterLike {
  readonly features: ReadonlySet<string>;
  readonly limits: AdapterLike['limits'] & Record<string, number>;
  requestDevice(descriptor: object): Promise<unknown>;
}

type WebGPUBackendClass = new (device: unknown, adapterInfo?: unknown) => WebGPUBackendLike;

/** The adapter tfjs would use: the high-performance one, described, or null when there is none. */
export async function requestAdapter(
  gpu: GpuLike,
): Promise<{ adapter: AdapterWithDevice; report: GpuAdapterReport } | null> {
  const adapter = (await gpu.requestAdapter({
    powerPreference: 'high-performance',
  })) as AdapterWithDevice | null;
  return adapter === null ? null : { adapter, report: describeAdapter(adapter) };
}

/**
 * Registers tfjs' 'webgpu' backend on this adapter, replacing the stock factory (which asks for an adapter of
 * its own, and registers only if navigator.gpu existed when its module loaded). The device gets the adapter's
 * full limits, and the memory guard. A webgpu backend that is already initialised is kept (re-registering
 * would dispose its tensors).
 */
export function registerWebGPUBackend(
  adapter: AdapterWithDevice,
  report: GpuAdapterReport,
  WebGPUBackend: WebGPUBackendClass,
  guard: WebGPUMemoryGuardOptions = {},
): void {
  if (findBackend('webgpu') !== null) return;
  if (findBackendFactory('webgpu') !== null) removeBackend('webgpu');
  registerBackend(
    'webgpu',
    async () => {
      const limits = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        },
      });
      const backend = new WebGPUBackend(device, adapter.info);
      guardWebGPUMemory(backend, report, guard);
      explainSyncReads(backend as unknown as { readSync(dataId: object): unknown });
      return backend as never;
    },
    3,
  );
}

/** Thrown by `dataSync()` and friends on WebGPU where a synchronous read-back is impossible (Node). */
export class WebGPUSyncReadError extends Error {
  override name = 'WebGPUSyncReadError';
}

/**
 * tfjs reads GPU data synchronously through an OffscreenCanvas, which only browsers have: in Node the read
 * fails with "OffscreenCanvas is not defined". Say what to do instead.
 */
function explainSyncReads(backend: { readSync(dataId: object): unknown }): void {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (error) {
      if (!(error instanceof ReferenceError) || !/OffscreenCanvas/.test(error.message)) throw error;
      throw new WebGPUSyncReadError(
        'a synchronous read (dataSync, arraySync) of a tensor on the GPU is not possible with WebGPU in Node: use await tensor.data()',
      );
    }
  };
}
