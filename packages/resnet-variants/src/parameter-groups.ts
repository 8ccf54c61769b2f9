import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * True for conv and dense kernels (`.../kernel`, also with tfjs's `_1`-style suffix for a second model built
 * in the same process); false for biases and batch-norm gamma/beta, which "no bias decay" leaves undecayed.
 */
export function isDecayedVariable(name: string): boolean {
  return /\/(kernel|depthwise_kernel|pointwise_kernel)(_\d+)?$/.test(name);
}

export interface ParameterGroups {
  /** tf variable names of conv and dense kernels. */
  decay: string[];
  /** tf variable names of biases and BN gamma/beta. */
  noDecay: string[];
}

/** Splits a model's trainable variables (by the names the optimizer sees) into weight-decay groups. */
export function parameterGroups(model: tfl.LayersModel): ParameterGroups {
  const decay: string[] = [];
  const noDecay: string[] = [];
  for (const w of model.trainableWeights) {
    (isDecayedVariable(w.originalName) ? decay : noDecay).push(w.name);
  }
  return { decay, noDecay };
}
