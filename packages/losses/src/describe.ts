import type { Tensor } from '@tensorflow/tfjs-core';

/** `float32 [4, 10]`: how error messages name a tensor's dtype and shape. */
export function describeTensor(t: Tensor): string {
  return `${t.dtype} [${t.shape.join(', ')}]`;
}
