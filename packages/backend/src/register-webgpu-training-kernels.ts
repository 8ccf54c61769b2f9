import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { roundToFloat16WebGPUConfig } from './webgpu-round-float16.js';

/** The kernels this package registers on the webgpu backend: ones tfjs lacks, or replacements of stock ones. */
export const webgpuTrainingKernels: readonly KernelConfig[] = [roundToFloat16WebGPUConfig];

/** Registers this package's kernels on the 'webgpu' backend (idempotent); returns the names registered. */
export function registerWebGPUTrainingKernels(): string[] {
  const names: string[] = [];
  for (const config of webgpuTrainingKernels) {
    if (getKernel(config.kernelName, config.backendName) === config) continue;
    if (getKernel(config.kernelName, config.backendName) !== undefined) {
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
    names.push(config.kernelName);
  }
  return names;
}
