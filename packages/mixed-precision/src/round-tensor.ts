import { customGrad, type Tensor, tensor } from '@tensorflow/tfjs-core';
import { roundToFloat16 } from './float16.js';

/**
 * What the gradient of the rounding is:
 * - `'float16'` (default): straight through, then rounded to binary16 itself, i.e. the gradient flowing back
 *   is what an FP16 backward pass would hold. This is what makes small gradients underflow to zero, the effect
 *   loss scaling exists to prevent.
 * - `'identity'`: plain straight-through estimator, the gradient passes unchanged in float32.
 */
export type Float16Gradient = 'float16' | 'identity';

export interface RoundTensorOptions {
  gradient?: Float16Gradient;
}

/** A new float32 tensor with every element rounded to binary16; no gradient (a typed-array pass). */
export function roundTensorValuesToFloat16(x: Tensor): Tensor {
  if (x.dtype !== 'float32') {
    throw new RangeError(
      `roundTensorToFloat16: x (${x.dtype} [${x.shape.join(', ')}]) must be float32; only float tensors have an FP16 form`,
    );
  }
  return tensor(roundToFloat16(x.dataSync() as Float32Array), x.shape, 'float32');
}

const roundWithFloat16Gradient = customGrad((...inputs) => ({
  value: roundTensorValuesToFloat16(inputs[0] as Tensor),
  gradFunc: (dy: Tensor | Tensor[]) => roundTensorValuesToFloat16(dy as Tensor),
}));

const roundWithIdentityGradient = customGrad((...inputs) => ({
  value: roundTensorValuesToFloat16(inputs[0] as Tensor),
  gradFunc: (dy: Tensor | Tensor[]) => (dy as Tensor).clone(),
}));

/**
 * `x` rounded to the nearest binary16 value, held in float32: the tensor an FP16 kernel would have produced.
 * Works on every backend (it reads the values back, rounds them with exact integer arithmetic and uploads the
 * result, so on WebGL/WebGPU it is a sync point). Values beyond 65504 become +-Infinity, below 2^-25 zero.
 */
export function roundTensorToFloat16<T extends Tensor>(x: T, options: RoundTensorOptions = {}): T {
  const gradient = options.gradient ?? 'float16';
  if (gradient === 'float16') return roundWithFloat16Gradient(x) as T;
  if (gradient === 'identity') return roundWithIdentityGradient(x) as T;
  throw new RangeError(
    `roundTensorToFloat16: gradient must be 'float16' or 'identity'; got ${JSON.stringify(gradient)}`,
  );
}
