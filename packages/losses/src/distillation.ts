import { add, div, mul, type Scalar, softmax, type Tensor, tidy } from '@tensorflow/tfjs-core';
import {
  checkLogits,
  crossEntropyWith,
  type Reduction,
  reduce,
  softCrossEntropyPerSample,
} from './cross-entropy.js';
import { describeTensor } from './describe.js';
import type { SmoothingForm } from './smooth-targets.js';
import { stopGradient } from './stop-gradient.js';

export type DistillationForm = 'paper' | 'gluoncv';

export interface DistillationOptions {
  /**
   * 'paper' (default): CE(z, p) + T^2 CE(z / T, softmax(r / T)), the formula of He et al. 2019, section 5.3.
   * 'gluoncv': (1 - w) T^2 CE(z / T, softmax(r / T)) + w CE(z, p), GluonCV's training script.
   * With w = 0.5 the GluonCV loss is exactly half the paper's.
   */
  form?: DistillationForm;
  /** Softmax temperature T > 0; default 20 (the paper's). */
  temperature?: number;
  /** w in [0, 1], the weight of the hard-label term in form 'gluoncv' (default 0.5); the paper's form has none and ignores it. */
  weight?: number;
  /** Label smoothing of the true-label term p (the paper's final recipe combines it with distillation). */
  labelSmoothing?: number;
  smoothing?: SmoothingForm;
  reduction?: Reduction;
}

/**
 * Knowledge distillation loss for student logits z [N, K], teacher logits r [N, K] and targets p (int32
 * labels [N] or soft targets [N, K], e.g. mixup's). The teacher's logits never receive a gradient.
 */
export function distillationLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor,
  targets: Tensor,
  options: DistillationOptions = {},
): Scalar {
  const fn = 'distillationLoss';
  const { form = 'paper', temperature = 20, weight, reduction = 'mean' } = options;
  const [n, k] = checkLogits(fn, studentLogits);
  if (teacherLogits.rank !== 2 || teacherLogits.shape[0] !== n || teacherLogits.shape[1] !== k) {
    throw new RangeError(
      `${fn}: teacherLogits (${describeTensor(teacherLogits)}) must have the student logits' shape [${n}, ${k}]`,
    );
  }
  if (form !== 'paper' && form !== 'gluoncv') {
    throw new RangeError(`${fn}: form must be 'paper' or 'gluoncv'; got ${JSON.stringify(form)}`);
  }
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new RangeError(`${fn}: temperature must be a finite number > 0; got ${temperature}`);
  }
  const w = weight ?? 0.5;
  if (!Number.isFinite(w) || w < 0 || w > 1) {
    throw new RangeError(`${fn}: weight must be a number in [0, 1]; got ${w}`);
  }
  const hard = crossEntropyWith(fn, studentLogits, targets, {
    labelSmoothing: options.labelSmoothing ?? 0,
    smoothing: options.smoothing ?? 'uniform',
    reduction: 'none',
  });
  return tidy(() => {
    const teacherProbs = softmax(div(stopGradient(teacherLogits), temperature));
    const soft = mul(
      softCrossEntropyPerSample(div(studentLogits, temperature), teacherProbs),
      temperature ** 2,
    );
    const perSample = form === 'paper' ? add(hard, soft) : add(mul(soft, 1 - w), mul(hard, w));
    hard.dispose();
    return reduce(fn, perSample, reduction);
  }) as Scalar;
}
