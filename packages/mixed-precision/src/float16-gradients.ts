import {
  clone,
  dispose,
  type NamedTensorMap,
  type Scalar,
  type Tensor,
  tidy,
  type Variable,
  variableGrads,
} from '@tensorflow/tfjs-core';
import type { DynamicLossScaler } from './loss-scaler.js';
import { roundTensorValuesToFloat16 } from './round-tensor.js';

export interface Float16Gradients {
  /** The loss `lossFn` returned, scaled by the loss scaler if one was given (the caller disposes it). */
  value: Scalar;
  /** The gradients of the scaled loss, rounded to binary16, keyed by variable name (the caller disposes them). */
  grads: NamedTensorMap;
}

/**
 * The FP16 forward and backward pass of Micikevicius et al. (2018) on float32 variables that hold the FP32
 * masters: assigns each variable its binary16-rounded working copy, takes the gradients of
 * `lossScaler.scaleLoss(lossFn())` (or of `lossFn()` without a scaler), puts the masters back (whatever happens) and rounds the gradients to binary16. It
 * neither unscales nor applies anything: pair it with `DynamicLossScaler.unscaleAndCheck` and `update`,
 * and any optimizer.
 */
export function float16Gradients(
  variables: Variable[],
  lossFn: () => Scalar,
  lossScaler?: Pick<DynamicLossScaler, 'scaleLoss'>,
): Float16Gradients {
  const masters = variables.map((v) => clone(v));
  let value: Scalar;
  let grads: NamedTensorMap;
  try {
    for (const v of variables) tidy(() => v.assign(roundTensorValuesToFloat16(v)));
    ({ value, grads } = variableGrads(
      () => (lossScaler ? lossScaler.scaleLoss(lossFn()) : lossFn()),
      variables,
    ));
  } finally {
    variables.forEach((v, i) => {
      v.assign(masters[i] as Tensor);
    });
    dispose(masters);
  }
  const half: NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) half[name] = roundTensorValuesToFloat16(g);
  dispose(Object.values(grads));
  return { value, grads: half };
}
