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

/**
 * Cast to the dtype the tensor already has (tfjs-core's Relu gradient casts its float32 mask to
 * float32): shared like Identity instead of copied.
 */
function castToSameType(args: KernelArgs) {
  const x = args.inputs.x;
  if (x === undefined || args.attrs.dtype !== x.dtype) return null;
  return identity(args);
}

export const castConfig = overrideKernel('Cast', castToSameType);
