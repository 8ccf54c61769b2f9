import type { NamedTensorMap, Scalar, Tensor } from '@tensorflow/tfjs-core';
import { add, addN, div, minimum, mul, scalar, sqrt, square, sum, tidy } from '@tensorflow/tfjs-core';
import { checkNumber } from './check.js';
import { type Gradients, gradientEntries } from './named-gradients.js';

export interface ClippedGradients {
  /** New gradient tensors (the caller disposes them); entries whose gradient was null are left out. */
  grads: NamedTensorMap;
  /** The global L2 norm of the gradients before clipping. */
  norm: Scalar;
}

/** Sum of the squares of every element of every gradient (the squared global L2 norm), one scalar. */
export function globalSquaredNorm(gradients: Tensor[]): Scalar {
  return tidy(() => {
    if (gradients.length === 0) return scalar(0);
    const perTensor = gradients.map((g) => sum(square(g)));
    return (perTensor.length === 1 ? perTensor[0] : addN(perTensor)) as Scalar;
  });
}

/** The factor `min(1, maxNorm / (norm + 1e-6))` of `clip_grad_norm_`, from the squared global norm. */
export function clipCoefficient(squaredNorm: Scalar, maxNorm: number): Scalar {
  return tidy(() => minimum(div(scalar(maxNorm), add(sqrt(squaredNorm), scalar(1e-6))), scalar(1)));
}

/**
 * PyTorch's `torch.nn.utils.clip_grad_norm_`: the global norm is the L2 norm of all gradients together, and
 * every gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`. The inputs are not modified or disposed.
 * A NaN or infinite gradient gives a non-finite norm (and non-finite clipped gradients), as in PyTorch.
 */
export function clipByGlobalNorm(gradients: Gradients, maxNorm: number): ClippedGradients {
  checkNumber('maxNorm', maxNorm, 0, true);
  const entries = gradientEntries(gradients).filter((entry): entry is [string, Tensor] => entry[1] !== null);
  return tidy(() => {
    if (entries.length === 0) return { grads: {}, norm: scalar(0) };
    const squared = globalSquaredNorm(entries.map(([, gradient]) => gradient));
    const total = sqrt(squared) as Scalar;
    const coefficient = clipCoefficient(squared, maxNorm);
    const grads: NamedTensorMap = {};
    for (const [name, gradient] of entries) grads[name] = mul(gradient, coefficient);
    return { grads, norm: total };
  });
}
