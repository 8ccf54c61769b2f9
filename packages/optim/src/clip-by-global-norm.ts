import type { NamedTensorMap, Scalar, Tensor } from '@tensorflow/tfjs-core';
import { add, div, minimum, mul, norm, scalar, stack, tidy } from '@tensorflow/tfjs-core';
import { checkNumber } from './check.js';
import { type Gradients, gradientEntries } from './named-gradients.js';

export interface ClippedGradients {
  /** New gradient tensors (the caller disposes them); entries whose gradient was null are left out. */
  grads: NamedTensorMap;
  /** The global L2 norm of the gradients before clipping. */
  norm: Scalar;
}

/**
 * PyTorch's `torch.nn.utils.clip_grad_norm_`: the global norm is the L2 norm of the per-tensor L2 norms, and
 * every gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`. The inputs are not modified or disposed.
 * A NaN or infinite gradient gives a non-finite norm (and non-finite clipped gradients), as in PyTorch.
 */
export function clipByGlobalNorm(gradients: Gradients, maxNorm: number): ClippedGradients {
  checkNumber('maxNorm', maxNorm, 0, true);
  const entries = gradientEntries(gradients).filter((entry): entry is [string, Tensor] => entry[1] !== null);
  return tidy(() => {
    if (entries.length === 0) return { grads: {}, norm: scalar(0) };
    const total = norm(stack(entries.map(([, gradient]) => norm(gradient)))) as Scalar;
    const coefficient = minimum(div(scalar(maxNorm), add(total, scalar(1e-6))), scalar(1));
    const grads: NamedTensorMap = {};
    for (const [name, gradient] of entries) grads[name] = mul(gradient, coefficient);
    return { grads, norm: total };
  });
}
