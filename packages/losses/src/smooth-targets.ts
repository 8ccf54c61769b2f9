import { add, cast, mul, oneHot, type Tensor, type Tensor2D, tensor1d, tidy } from '@tensorflow/tfjs-core';
import { describeTensor } from './describe.js';

/**
 * How label smoothing spreads the mass `eps` taken from the targets.
 * - `'uniform'` (GluonCV, timm, Keras, PyTorch): q = (1 - eps) t + eps / K, so the true class of a hard
 *   label gets 1 - eps + eps / K and every other class eps / K.
 * - `'paper'` (He et al. 2019, section 5.2): q = (1 - eps) t + eps (1 - t) / (K - 1), so the true class gets
 *   exactly 1 - eps and every other class eps / (K - 1).
 */
export type SmoothingForm = 'uniform' | 'paper';

export const SMOOTHING_FORMS: readonly SmoothingForm[] = ['uniform', 'paper'];

export function checkSmoothing(fn: string, eps: number, form: string, numClasses: number): void {
  if (!Number.isFinite(eps) || eps < 0 || eps >= 1) {
    throw new RangeError(`${fn}: labelSmoothing must be a number in [0, 1); got ${eps}`);
  }
  if (!SMOOTHING_FORMS.includes(form as SmoothingForm)) {
    throw new RangeError(`${fn}: smoothing must be one of 'uniform', 'paper'; got ${JSON.stringify(form)}`);
  }
  if (form === 'paper' && eps > 0 && numClasses < 2) {
    throw new RangeError(
      `${fn}: smoothing 'paper' needs at least 2 classes (it divides by K - 1); got K = ${numClasses}`,
    );
  }
}

/**
 * Reads integer labels back (they are small and usually came from the CPU) and checks each is a class index.
 * Returns them as an int32 array.
 */
export function checkLabels(fn: string, labels: Tensor, batch: number, numClasses: number): Int32Array {
  if (labels.rank !== 1 || labels.shape[0] !== batch) {
    throw new RangeError(
      `${fn}: labels (${describeTensor(labels)}) must have shape [${batch}] to match the logits' batch of ${batch}`,
    );
  }
  if (labels.dtype !== 'int32' && labels.dtype !== 'float32') {
    throw new RangeError(`${fn}: labels (${describeTensor(labels)}) must be int32 class indices`);
  }
  const values = labels.dataSync();
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new RangeError(
        `${fn}: labels (${describeTensor(labels)}) has value ${v} at index ${i}; allowed: integers in [0, ${numClasses - 1}] (K = ${numClasses})`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * The target distribution [N, K] for integer labels [N] or soft targets [N, K] (e.g. mixup's), smoothed with
 * `eps` in the given form. With eps = 0 it returns one-hot labels or the soft targets unchanged.
 */
export function smoothTargets(
  labelsOrSoft: Tensor,
  numClasses: number,
  eps = 0,
  form: SmoothingForm = 'uniform',
): Tensor2D {
  return targetDistribution('smoothTargets', labelsOrSoft, numClasses, eps, form);
}

/** smoothTargets with the calling function's name in its error messages. */
export function targetDistribution(
  fn: string,
  labelsOrSoft: Tensor,
  numClasses: number,
  eps: number,
  form: SmoothingForm,
): Tensor2D {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${fn}: numClasses must be an integer >= 1; got ${numClasses}`);
  }
  checkSmoothing(fn, eps, form, numClasses);
  let soft: Tensor2D;
  if (labelsOrSoft.rank === 1) {
    const labels = checkLabels(fn, labelsOrSoft, labelsOrSoft.shape[0] as number, numClasses);
    // One-hot as int32, then cast: tfjs-backend-wasm 4.22's OneHot ignores its dtype argument and would
    // hand back int32 bits labelled float32.
    soft = tidy(() => cast(oneHot(tensor1d(labels, 'int32'), numClasses), 'float32')) as Tensor2D;
  } else if (
    labelsOrSoft.rank === 2 &&
    labelsOrSoft.shape[1] === numClasses &&
    labelsOrSoft.dtype === 'float32'
  ) {
    soft = labelsOrSoft as Tensor2D;
  } else {
    throw new RangeError(
      `${fn}: targets (${describeTensor(labelsOrSoft)}) must be int32 labels [N] or float32 soft targets [N, ${numClasses}]`,
    );
  }
  if (eps === 0) return soft === labelsOrSoft ? (soft.clone() as Tensor2D) : soft;
  return tidy(() => {
    // uniform: (1 - eps) t + eps / K;  paper: (1 - eps) t + eps (1 - t) / (K - 1) = (1 - eps K/(K-1)) t + eps/(K-1)
    const scale = form === 'uniform' ? 1 - eps : 1 - (eps * numClasses) / (numClasses - 1);
    const offset = form === 'uniform' ? eps / numClasses : eps / (numClasses - 1);
    const out = add(mul(soft, scale), offset) as Tensor2D;
    if (soft !== labelsOrSoft) soft.dispose();
    return out;
  });
}
