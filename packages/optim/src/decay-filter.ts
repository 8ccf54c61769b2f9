const NOT_DECAYED = new Set(['bias', 'gamma', 'beta', 'moving_mean', 'moving_variance']);

/**
 * The paper's "no bias decay": weight decay on convolution and dense weights only, not on biases nor on
 * batch-norm gamma and beta. Looks at the last segment of a tfjs variable name (`'fc/bias'`,
 * `'layer1.0.bn1/gamma'`, `'conv1/kernel'`), ignoring the `_N` suffix tfjs-layers appends to repeated names.
 */
export function noBiasDecay(variableName: string): boolean {
  const leaf = variableName.split(/[/.]/).pop() ?? variableName;
  return !NOT_DECAYED.has(leaf.replace(/_\d+$/, ''));
}

/** Weight decay on every variable (what PyTorch's SGD does with a single parameter group). */
export function decayAll(_variableName: string): boolean {
  return true;
}
