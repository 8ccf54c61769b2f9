import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * PyTorch's `AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False)`, the pool in ResNet-D's shortcut.
 * On an odd side the last window covers one row (or column) and averages only what it covers. Computed the
 * same way on every backend: zero-pad to even, 2x2 valid average, then rescale the edge cells by 4 / count
 * (tfjs's 'same' pooling would leave the divisor to the backend).
 */
export class AvgPool2x2Ceil extends tfl.layers.Layer {
  static className = 'BotAvgPool2x2Ceil';

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const half = (d: number | null | undefined) => (d == null ? null : Math.ceil(d / 2));
    return [s[0] ?? null, half(s[1]), half(s[2]), s[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, h, w] = x.shape;
      const padH = h % 2;
      const padW = w % 2;
      if (padH === 0 && padW === 0) return tf.avgPool(x, 2, 2, 'valid');
      const padded = tf.pad(x, [
        [0, 0],
        [0, padH],
        [0, padW],
        [0, 0],
      ]);
      const outH = (h + padH) / 2;
      const outW = (w + padW) / 2;
      const scale = new Float32Array(outH * outW);
      for (let i = 0; i < outH; i++) {
        const rows = padH && i === outH - 1 ? 1 : 2;
        for (let j = 0; j < outW; j++) {
          const cols = padW && j === outW - 1 ? 1 : 2;
          scale[i * outW + j] = 4 / (rows * cols);
        }
      }
      return tf.mul(tf.avgPool(padded, 2, 2, 'valid'), tf.tensor4d(scale, [1, outH, outW, 1]));
    });
  }
}

tf.serialization.registerClass(AvgPool2x2Ceil);
