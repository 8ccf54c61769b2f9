import type { ReplicaBatch, ReplicaSpec } from '@bot/parallel';
import * as tf from '@tensorflow/tfjs';
import { resnet50d } from './resnet50d.js';

/** The benchmark's replica: ResNet-50-D, softmax cross-entropy, SGD with Nesterov momentum. */
export function createReplica(options: { size: number; numClasses: number }): ReplicaSpec {
  const { model } = resnet50d(options.size, options.numClasses);
  return {
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    optimizer: tf.train.momentum(0.1, 0.9, true),
    loss(batch: ReplicaBatch) {
      return tf.tidy(() => {
        const images = tf.tensor4d(batch.images, batch.shape);
        const logits = model.apply(images, { training: true }) as tf.Tensor2D;
        const labels = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), options.numClasses);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      });
    },
  };
}
