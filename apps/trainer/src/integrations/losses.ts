import * as tf from '@tensorflow/tfjs';

// FALLBACK until @bot/losses lands.
export interface CrossEntropyOptions {
  labelSmoothing?: number;
  smoothing?: 'uniform' | 'paper';
}

export function smoothTargets(targets: tf.Tensor, numClasses: number, eps: number, form: 'uniform' | 'paper'): tf.Tensor2D {
  return tf.tidy(() => {
    const soft = targets.rank === 1 ? tf.oneHot(targets as tf.Tensor1D, numClasses).toFloat() : targets;
    if (eps === 0) return soft as tf.Tensor2D;
    const off = form === 'uniform' ? eps / numClasses : eps / (numClasses - 1);
    const on = form === 'uniform' ? 1 - eps + eps / numClasses : 1 - eps;
    return tf.add(tf.mul(soft, on - off), off) as tf.Tensor2D;
  });
}

export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const q = smoothTargets(targets, logits.shape[1], options.labelSmoothing ?? 0, options.smoothing ?? 'uniform');
    return tf.neg(tf.mean(tf.sum(tf.mul(q, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  });
}

export function distillationLoss(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  targets: tf.Tensor,
  options: { form?: 'paper' | 'gluoncv'; temperature?: number; weight?: number; labelSmoothing?: number; smoothing?: 'uniform' | 'paper' },
): tf.Scalar {
  return tf.tidy(() => {
    const T = options.temperature ?? 20;
    const w = options.weight ?? 0.5;
    const hard = crossEntropy(student, targets, options);
    const softTargets = tf.softmax(tf.div(teacher, T));
    const soft = tf.neg(tf.mean(tf.sum(tf.mul(softTargets, tf.logSoftmax(tf.div(student, T))), -1)));
    if (options.form === 'gluoncv') return tf.add(tf.mul(soft, (1 - w) * T * T), tf.mul(hard, w)) as tf.Scalar;
    return tf.add(hard, tf.mul(soft, T * T)) as tf.Scalar;
  });
}
