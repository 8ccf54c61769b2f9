import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
  unregisterKernel,
} from '@tensorflow/tfjs-core';

/** A kernel that wraps the stock one it replaces (and falls back to it): handed that kernel on registration. */
export interface WrappingKernelConfig extends KernelConfig {
  bindStock?(stock: KernelConfig): void;
}

/** The stock kernel a wrapping kernel replaced (throws when none was bound). */
export type StockKernel = () => KernelConfig;

/** A wrapping kernel's function: the kernel's arguments, and the stock kernel to hand a case to. */
export type WrappingKernelFunc = (
  args: Parameters<KernelFunc>[0],
  stock: StockKernel,
) => TensorInfo | TensorInfo[];

/**
 * A kernel for `kernelName` on `backendName` that hands some cases to the stock kernel it replaces, which
 * `registerReplacing` binds when it registers this one.
 */
export function wrappingStock(
  kernelName: string,
  backendName: string,
  kernelFunc: WrappingKernelFunc,
): WrappingKernelConfig {
  let bound: KernelConfig | undefined;
  const stock: StockKernel = () => {
    if (bound === undefined) throw new Error(`${kernelName}: the stock ${backendName} kernel was not bound`);
    return bound;
  };
  return {
    kernelName,
    backendName,
    kernelFunc: (args) => kernelFunc(args, stock),
    bindStock(config) {
      bound = config;
    },
  };
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
