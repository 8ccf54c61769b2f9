import * as tf from '@tensorflow/tfjs-core';

export interface BatchNormTrainingResult {
  /** gamma * (x - mean) / sqrt(variance + epsilon) + beta */
  y: tf.Tensor;
  /** Per-channel batch mean [C] (kept: the caller disposes it). */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance [C], as tfjs-layers uses for its moving average (kept). */
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch normalization over every axis but the last, with one fused gradient.
 *
 * tfjs-layers composes it from `moments` and `batchNorm`, whose gradients are built from a dozen
 * activation-sized ops (the mean's and the variance's paths back to x each tile, multiply and sum).
 * Here the backward pass is the closed form
 *   dbeta = sum(dy), dgamma = sum(dy * xhat),
 *   dx = gamma / sigma * (dy - dbeta / M - xhat * dgamma / M),
 * written as dx = a * dy + b * (x - mean) + c with per-channel a, b, c: four activation-sized
 * passes, and only `x - mean` kept from the forward pass.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainingResult {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const count = x.size / (x.shape[x.rank - 1] as number);
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const normalize = tf.customGrad((input, scale, offset, save) => {
    const xIn = input as tf.Tensor;
    const batchMean = tf.mean(xIn, axes) as tf.Tensor1D;
    const centered = tf.sub(xIn, batchMean);
    const batchVariance = tf.mean(tf.square(centered), axes) as tf.Tensor1D;
    const invStd = tf.rsqrt(tf.add(batchVariance, epsilon)) as tf.Tensor1D;
    mean = tf.keep(batchMean);
    variance = tf.keep(batchVariance);
    (save as tf.GradSaveFunc)([centered, invStd, scale as tf.Tensor]);
    const value = tf.add(tf.mul(centered, tf.mul(scale as tf.Tensor, invStd)), offset as tf.Tensor);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedCentered, savedInvStd, savedScale] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
      const dBeta = tf.sum(dy, axes) as tf.Tensor1D;
      const dyCentered = tf.sum(tf.mul(dy, savedCentered), axes) as tf.Tensor1D;
      const dGamma = tf.mul(dyCentered, savedInvStd);
      const a = tf.mul(savedScale, savedInvStd);
      const b = tf.neg(tf.div(tf.mul(a, tf.mul(dGamma, savedInvStd)), count));
      const c = tf.neg(tf.div(tf.mul(a, dBeta), count));
      const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(savedCentered, b)), c);
      return [dx, dGamma, dBeta];
    };
    return { value, gradFunc };
  });
  const y = normalize(x, gamma, beta);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
