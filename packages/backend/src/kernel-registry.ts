import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';

/** A kernel that wraps the stock one it replaces (and falls back to it): handed that kernel on registration. */
export interface WrappingKernelConfig extends KernelConfig {
  bindStock?(stock: KernelConfig): void;
}

/**
 * Registers `configs` (idempotent), replacing registered kernels of the same name and backend; each replaced
 * kernel is handed to its wrapper's `bindStock` and remembered in `stock`. Returns the names registered.
 */
export function registerReplacing(
  configs: readonly WrappingKernelConfig[],
  stock: Map<string, KernelConfig>,
): string[] {
  const names: string[] = [];
  for (const config of configs) {
    const current = getKernel(config.kernelName, config.backendName);
    if (current === config) continue;
    if (current !== undefined) {
      stock.set(config.kernelName, current);
      config.bindStock?.(current);
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
    names.push(config.kernelName);
  }
  return names;
}
