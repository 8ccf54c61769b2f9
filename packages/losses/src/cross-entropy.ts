import {
  customGrad,
  equal,
  exp,
  expandDims,
  type GradSaveFunc,
  logSoftmax,
  mean,
  mul,
  neg,
  type Scalar,
  sub,
  sum,
  type Tensor,
  type Tensor1D,
  tidy,
  where,
  zerosLike,
} from '@tensorflow/tfjs-core';
import { describeTensor } from './describe.js';
import { type SmoothingForm, targetDistribution } from './smooth-targets.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** Mass taken from the targets and spread over the classes, in [0, 1). Default 0. */
  labelSmoothing?: number;
  /** How the mass is spread: 'uniform' (default; what PyTorch, timm, GluonCV, Keras do) or 'paper'. */
  smoothing?: SmoothingForm;
  /** 'mean' over the batch (default, like PyTorch), 'sum', or 'none' for the per-sample losses [N]. */
  reduction?: Reduction;
}

export function checkLogits(fn: string, logits: Tensor): [number, number] {
  if (logits.rank !== 2 || logits.dtype !== 'float32') {
    throw new RangeError(`${fn}: logits (${describeTensor(logits)}) must be float32 [N, K]`);
  }
  return [logits.shape[0] as number, logits.shape[1] as number];
}

export function reduce(fn: string, perSample: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return perSample;
  if (reduction === 'mean') return mean(perSample);
  if (reduction === 'sum') return sum(perSample);
  throw new RangeError(
    `${fn}: reduction must be one of 'mean', 'sum', 'none'; got ${JSON.stringify(reduction)}`,
  );
}

/**
 * -sum_k q_k log softmax(z)_k per sample, with its gradient written out: d/dz = sum(q) softmax(z) - q and
 * d/dq = -log softmax(z). A class with zero target mass contributes exactly 0 even where its log-probability
 * is -Infinity (a masked logit), so no 0 * -Infinity NaN reaches the loss or the logits' gradient. Written as
 * one custom op because the zero-mass mask (an `equal`) has no gradient in tfjs, which breaks backprop
 * whenever q itself depends on a differentiated tensor (a teacher's softmax).
 */
const softCrossEntropy = customGrad((...inputs) => {
  const [logits, q, save] = inputs as [Tensor, Tensor, GradSaveFunc];
  const logp = logSoftmax(logits, -1);
  save([logp, q]);
  return {
    value: neg(sum(where(equal(q, 0), zerosLike(logp), mul(q, logp)), 1)),
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
      const [savedLogp, savedQ] = saved as [Tensor, Tensor];
      const dyColumn = expandDims(dy as Tensor, 1);
      const dLogits = mul(dyColumn, sub(mul(sum(savedQ, 1, true), exp(savedLogp)), savedQ));
      return [dLogits, mul(dyColumn, neg(savedLogp))];
    },
  };
});

export function softCrossEntropyPerSample(logits: Tensor, q: Tensor): Tensor1D {
  return softCrossEntropy(logits, q) as Tensor1D;
}

/**
 * Cross entropy between logits [N, K] and targets: int32 labels [N] or float32 soft targets [N, K] (mixup,
 * cutmix, a teacher's softmax), computed from log-softmax so logits of 1e4 stay finite. Returns the mean
 * over the batch (a scalar) unless `reduction` says otherwise. Equals PyTorch's
 * `F.cross_entropy(logits, target, label_smoothing=eps)` for both target kinds with `smoothing: 'uniform'`.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Scalar {
  return crossEntropyWith('crossEntropy', logits, targets, options) as Scalar;
}

export function crossEntropyWith(
  fn: string,
  logits: Tensor,
  targets: Tensor,
  { labelSmoothing = 0, smoothing = 'uniform', reduction = 'mean' }: CrossEntropyOptions,
): Tensor {
  const [n, k] = checkLogits(fn, logits);
  if (targets.rank === 2 && (targets.shape[0] !== n || targets.shape[1] !== k)) {
    throw new RangeError(
      `${fn}: soft targets (${describeTensor(targets)}) must have the logits' shape [${n}, ${k}]`,
    );
  }
  if (targets.rank === 1 && targets.shape[0] !== n) {
    throw new RangeError(
      `${fn}: labels (${describeTensor(targets)}) must have shape [${n}] to match logits [${n}, ${k}]`,
    );
  }
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(
      `${fn}: reduction must be one of 'mean', 'sum', 'none'; got ${JSON.stringify(reduction)}`,
    );
  }
  const q = targetDistribution(fn, targets, k, labelSmoothing, smoothing);
  return tidy(() => {
    const perSample = softCrossEntropyPerSample(logits, q);
    q.dispose();
    return reduce(fn, perSample, reduction);
  });
}
