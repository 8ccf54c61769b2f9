import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';

/** The kernels this package registers on the wasm backend, replacing stock ones of the same name. */
export const wasmTrainingKernels: readonly KernelConfig[] = [conv2DBackpropFilterConfig, conv2DBackpropInputConfig];

/**
 * Registers this package's training kernels on the 'wasm' backend (idempotent). Call it before or
 * after `tf.setBackend('wasm')`; the wasm backend itself must be imported
 * (`import '@tensorflow/tfjs-backend-wasm'`) by the caller or by `selectBackend()`.
 * Returns the names of the kernels registered.
 */
export function registerWasmTrainingKernels(): string[] {
  const names: string[] = [];
  for (const config of wasmTrainingKernels) {
    if (getKernel(config.kernelName, config.backendName) === config) continue;
    if (getKernel(config.kernelName, config.backendName) !== undefined) {
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
    names.push(config.kernelName);
  }
  return names;
}
