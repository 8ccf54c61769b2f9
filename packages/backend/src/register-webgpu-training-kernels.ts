import type { KernelConfig } from '@tensorflow/tfjs-core';
import { registerReplacing } from './kernel-registry.js';
import { addNWebGPUConfig } from './webgpu-add-n.js';
import { meanWebGPUConfig, sumWebGPUConfig } from './webgpu-column-sum.js';
import { conv2DBackpropFilterWebGPUConfig } from './webgpu-conv2d-backprop-filter.js';
import { roundToFloat16WebGPUConfig } from './webgpu-round-float16.js';

/** The kernels this package registers on the webgpu backend: ones tfjs lacks, or replacements of stock ones. */
export const webgpuTrainingKernels: readonly KernelConfig[] = [
  roundToFloat16WebGPUConfig,
  conv2DBackpropFilterWebGPUConfig,
  addNWebGPUConfig,
  sumWebGPUConfig,
  meanWebGPUConfig,
];

const stockKernels = new Map<string, KernelConfig>();

/** Registers this package's kernels on the 'webgpu' backend (idempotent); returns the names registered. */
export function registerWebGPUTrainingKernels(): string[] {
  return registerReplacing(webgpuTrainingKernels, stockKernels);
}
