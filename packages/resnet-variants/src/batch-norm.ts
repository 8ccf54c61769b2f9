import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTraining } from './batch-norm-training.js';

type StockBatchNormalization = ReturnType<typeof tfl.layers.batchNormalization>;
type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type Kwargs = Parameters<StockBatchNormalization['call']>[1];

/** The stock layer's state, private in its typings. */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/** tfjs-layers exports the factory, not the class; the serialization registry holds the class. */
function stockBatchNormalization(): new (args?: BatchNormArgs) => StockBatchNormalization {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
  if (entry === undefined) throw new Error('internal: tfjs-layers registered no BatchNormalization class');
  return entry[0] as unknown as new (
    args?: BatchNormArgs,
  ) => StockBatchNormalization;
}

/**
 * tfjs-layers' BatchNormalization with the fused training-mode gradient of `batchNormTraining`
 * (same outputs and moving averages; far fewer activation-sized ops in the backward pass). It
 * serializes as the stock `BatchNormalization`, so a saved model loads in plain tfjs.
 */
export class BatchNorm extends stockBatchNormalization() {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const state = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    const lastAxis = state.axis === -1 || state.axis === x.rank - 1;
    if (kwargs.training !== true || !lastAxis || !state.center || !state.scale) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(
        x,
        state.gamma.read() as tf.Tensor1D,
        state.beta.read() as tf.Tensor1D,
        state.epsilon,
      );
      // The stock layer's update, op for op: moving -= (moving - batch) * (1 - momentum).
      for (const [moving, batch] of [
        [state.movingMean, mean],
        [state.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = moving.read();
          moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - state.momentum)));
        });
        batch.dispose();
      }
      return y;
    });
  }
}
