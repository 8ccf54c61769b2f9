import * as tf from '@tensorflow/tfjs';
import type { Batch } from './integrations/data.js';

export interface Accuracy {
  readonly top1: number;
  readonly top5: number;
  /** Mean cross-entropy against the hard labels. */
  readonly loss: number;
  readonly count: number;
}

/** Top-1/top-5 accuracy and mean loss of a model in inference mode over batches. */
export async function evaluate(
  model: tf.LayersModel,
  batches: AsyncIterable<Batch>,
  numClasses: number,
): Promise<Accuracy> {
  const k = Math.min(5, numClasses);
  let top1 = 0;
  let top5 = 0;
  let lossSum = 0;
  let count = 0;
  for await (const batch of batches) {
    const [hit1, hitK, loss] = tf.tidy(() => {
      const x = tf.tensor4d(batch.images, batch.shape);
      const labels = tf.tensor1d(batch.labels, 'int32');
      const logits = model.predict(x) as tf.Tensor2D;
      const { indices } = tf.topk(logits, k);
      const hits = tf.cast(tf.equal(indices, tf.expandDims(labels, 1)), 'float32');
      const oneHot = tf.oneHot(labels, numClasses);
      const nll = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits))));
      return [tf.sum(tf.slice(hits, [0, 0], [-1, 1])), tf.sum(hits), nll];
    });
    top1 += (await hit1.data())[0]!;
    top5 += (await hitK.data())[0]!;
    lossSum += (await loss.data())[0]!;
    count += batch.labels.length;
    tf.dispose([hit1, hitK, loss]);
  }
  if (count === 0) return { top1: Number.NaN, top5: Number.NaN, loss: Number.NaN, count };
  return { top1: top1 / count, top5: top5 / count, loss: lossSum / count, count };
}
