import * as tf from '@tensorflow/tfjs';

/** One SGD step with Nesterov momentum on softmax cross-entropy: forward, loss, backward, update. */
export function makeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): (images: tf.Tensor4D, labels: tf.Tensor1D) => number {
  const numClasses = (model.outputs[0] as tf.SymbolicTensor).shape[1] as number;
  return (images, labels) => {
    const cost = optimizer.minimize(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits) as tf.Scalar;
    }, true) as tf.Scalar;
    const loss = cost.dataSync()[0] as number;
    cost.dispose();
    return loss;
  };
}

export function randomBatch(batch: number, size: number, numClasses: number, seed: number) {
  return tf.tidy(() => ({
    images: tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D,
    labels: tf.randomUniform([batch], 0, numClasses, 'int32', seed + 1) as tf.Tensor1D,
  }));
}

/**
 * The same step for GPU backends: nothing is read back synchronously (WebGPU in Node cannot), and awaiting
 * the loss waits for the GPU to finish the step.
 */
export function makeAsyncTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): (images: tf.Tensor4D, labels: tf.Tensor1D) => Promise<number> {
  const numClasses = (model.outputs[0] as tf.SymbolicTensor).shape[1] as number;
  return async (images, labels) => {
    const cost = optimizer.minimize(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor2D;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits) as tf.Scalar;
    }, true) as tf.Scalar;
    const loss = (await cost.data())[0] as number;
    cost.dispose();
    return loss;
  };
}

/** The median of `values` (the upper one of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
