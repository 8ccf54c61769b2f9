import { clone, customGrad, type Tensor, zerosLike } from '@tensorflow/tfjs-core';

const blockGradient = customGrad((...inputs) => ({
  value: clone(inputs[0] as Tensor),
  gradFunc: (dy: Tensor | Tensor[]) => zerosLike(dy as Tensor),
}));

/** The identity in the forward pass; passes a zero gradient back (tfjs has no `tf.stopGradient`). */
export function stopGradient<T extends Tensor>(x: T): T {
  return blockGradient(x) as T;
}
