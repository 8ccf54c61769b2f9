import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { addNWebGPUConfig } from './webgpu-add-n.js';
import { conv2DBackpropFilterWebGPUConfig } from './webgpu-conv2d-backprop-filter.js';
import { roundToFloat16WebGPUConfig } from './webgpu-round-float16.js';

/** The kernels this package registers on the webgpu backend: ones tfjs lacks, or replacements of stock ones. */
export const webgpuTrainingKernels: readonly KernelConfig[] = [
  roundToFloat16WebGPUConfig,
  conv2DBackpropFilterWebGPUConfig,
  addNWebGPUConfig,
];

/** Registers this package's kernels on the 'webgpu' backend (idempotent); returns the names registered. */
export function registerWebGPUTrainingKernels(): string[] {
  const names: string[] = [];
  for (const config of webgpuTrainingKernels) {
    const current = getKernel(config.kernelName, config.backendName);
    if (current === config) continue;
    if (current !== undefined) {
      (config as { bindStock?: (stock: KernelConfig) => void }).bindStock?.(current);
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
    names.push(config.kernelName);
  }
  return names;
}
