import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm-kernel-scope.js';

export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/**
 * A wasm kernel that handles the cases `fast` knows (returning its output) and hands the rest
 * (returning null) to the stock kernel it replaces, looked up when the override is registered.
 * `fast` may also call the stock kernel itself, on inputs it prepared.
 */
export function overrideKernel(
  kernelName: string,
  fast: (args: KernelArgs, stock: (args: KernelArgs) => TensorInfo) => TensorInfo | null,
): KernelConfig & { bindStock(stock: KernelConfig | undefined): void } {
  let stock: KernelConfig | undefined;
  const runStock = (args: KernelArgs): TensorInfo => {
    const fallback = stock ?? getKernel(kernelName, 'wasm');
    if (fallback === undefined || fallback.kernelFunc === undefined) {
      throw new Error(`No stock wasm kernel '${kernelName}' to handle this case`);
    }
    return fallback.kernelFunc(args as never) as TensorInfo;
  };
  return {
    kernelName,
    backendName: 'wasm',
    bindStock(config) {
      stock = config;
    },
    // The stock kernel binds its C++ entry point here; it must still work for the delegated cases.
    setupFunc: (backend: Parameters<NonNullable<KernelConfig['setupFunc']>>[0]) => {
      stock?.setupFunc?.(backend);
    },
    kernelFunc: ((args: KernelArgs) => fast(args, runStock) ?? runStock(args)) as unknown as KernelFunc,
  };
}
