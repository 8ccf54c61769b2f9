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

/** The representative layer: ResNet-50's layer1 3x3 conv, 56x56, 64 -> 64 channels. */
export function layerGradient(n: number) {
  const x = tf.randomNormal([n, 56, 56, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
  const dy = tf.randomNormal([n, 56, 56, 64]) as tf.Tensor4D;
  const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'), dy)),
  );
  const flops = 3 * 2 * n * 56 * 56 * 64 * 64 * 9;
  return { run: () => grads([x, w]), flops, dispose: () => tf.dispose([x, w, dy]) };
}
