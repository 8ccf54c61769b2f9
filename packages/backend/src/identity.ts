import { type KernelArgs, overrideKernel } from './override.js';

/**
 * Identity by sharing the data (reference counted), as the cpu backend does; the stock wasm kernel
 * copies it, and a training step calls Identity some 1,600 times (gradient bookkeeping, variable reads).
 * No tfjs kernel writes into an existing buffer, so sharing is safe.
 */
function identity({ inputs, backend }: KernelArgs) {
  const x = inputs.x;
  if (x === undefined) return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig = overrideKernel('Identity', identity);
