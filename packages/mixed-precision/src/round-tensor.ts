import { customGrad, engine, getBackend, getKernel, type Tensor, tensor } from '@tensorflow/tfjs-core';
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

/**
 * The kernel a backend may register to round on the device (@bot/backend does for webgpu); the name is a
 * convention shared with it, since neither package depends on the other.
 */
export const ROUND_TO_FLOAT16_KERNEL = 'RoundToFloat16';

/**
 * A new float32 tensor with every element rounded to binary16; no gradient. Runs the backend's
 * `RoundToFloat16` kernel where one is registered, else a typed-array pass on the CPU.
 */
export function roundTensorValuesToFloat16(x: Tensor): Tensor {
  if (x.dtype !== 'float32') {
    throw new RangeError(
      `roundTensorToFloat16: x (${x.dtype} [${x.shape.join(', ')}]) must be float32; only float tensors have an FP16 form`,
    );
  }
  if (getKernel(ROUND_TO_FLOAT16_KERNEL, getBackend()) !== undefined) {
    return engine().runKernel(ROUND_TO_FLOAT16_KERNEL, { x }) as Tensor;
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
 * Works on every backend: on the device where the backend registers `RoundToFloat16` (webgpu, with
 * @bot/backend), else by reading the values back, rounding them with exact integer arithmetic and uploading
 * the result (a sync point on WebGL). Values beyond 65504 become +-Infinity, below 2^-25 zero.
 */
export function roundTensorToFloat16<T extends Tensor>(x: T, options: RoundTensorOptions = {}): T {
  const gradient = options.gradient ?? 'float16';
  if (gradient === 'float16') return roundWithFloat16Gradient(x) as T;
  if (gradient === 'identity') return roundWithIdentityGradient(x) as T;
  throw new RangeError(
    `roundTensorToFloat16: gradient must be 'float16' or 'identity'; got ${JSON.stringify(gradient)}`,
  );
}
