import { BatchNorm } from '@bot/resnet-variants';
import * as tf from '@tensorflow/tfjs';

/**
 * ResNet-50-D (He et al. 2019, figure 2c) in tfjs-layers, laid out as @bot/resnet-variants lays it out
 * (strided convs as ZeroPadding2D + 'valid' for PyTorch's symmetric padding; an average-pool shortcut),
 * built locally so that this benchmark does not depend on that package's state.
 */
export interface ConvCost {
  name: string;
  macs: number;
}

export function resnet50d(
  inputSize: number,
  numClasses: number,
): { model: tf.LayersModel; convs: ConvCost[] } {
  const convs: ConvCost[] = [];
  let counter = 0;
  const input = tf.input({ shape: [inputSize, inputSize, 3] });

  const conv = (x: tf.SymbolicTensor, filters: number, kernel: number, stride: number): tf.SymbolicTensor => {
    const name = `conv${counter++}`;
    let inputTensor = x;
    const pad = (kernel - 1) / 2;
    if (stride > 1 && pad > 0) {
      inputTensor = tf.layers
        .zeroPadding2d({ padding: pad, name: `${name}_pad` })
        .apply(x) as tf.SymbolicTensor;
    }
    const y = tf.layers
      .conv2d({
        name,
        filters,
        kernelSize: kernel,
        strides: stride,
        padding: stride > 1 ? 'valid' : 'same',
        useBias: false,
      })
      .apply(inputTensor) as tf.SymbolicTensor;
    const [, h, w, cout] = y.shape as number[];
    const cin = x.shape[3] as number;
    convs.push({ name, macs: (h as number) * (w as number) * (cout as number) * cin * kernel * kernel });
    return y;
  };
  // @bot/resnet-variants' BatchNorm (the fused training gradient), or with BENCH_STOCK_BN=1 tfjs-layers' own.
  const bn = (x: tf.SymbolicTensor, zeroGamma = false): tf.SymbolicTensor => {
    const args = {
      axis: -1,
      epsilon: 1e-5,
      momentum: 0.9,
      ...(zeroGamma ? { gammaInitializer: 'zeros' as const } : {}),
    };
    const layer =
      process.env.BENCH_STOCK_BN === '1' ? tf.layers.batchNormalization(args) : new BatchNorm(args);
    return layer.apply(x) as tf.SymbolicTensor;
  };
  const relu = (x: tf.SymbolicTensor): tf.SymbolicTensor => tf.layers.reLU().apply(x) as tf.SymbolicTensor;

  let x = relu(bn(conv(input, 32, 3, 2)));
  x = relu(bn(conv(x, 32, 3, 1)));
  x = relu(bn(conv(x, 64, 3, 1)));
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;

  const stages: [number, number][] = [
    [64, 3],
    [128, 4],
    [256, 6],
    [512, 3],
  ];
  stages.forEach(([width, blocks], stage) => {
    for (let b = 0; b < blocks; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      let y = relu(bn(conv(x, width, 1, 1)));
      y = relu(bn(conv(y, width, 3, stride)));
      y = bn(conv(y, width * 4, 1, 1), true);
      let shortcut = x;
      if (b === 0) {
        if (stride > 1) {
          shortcut = tf.layers
            .averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' })
            .apply(x) as tf.SymbolicTensor;
        }
        shortcut = bn(conv(shortcut, width * 4, 1, 1));
      }
      x = relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
    }
  });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: numClasses }).apply(pooled) as tf.SymbolicTensor;
  convs.push({ name: 'fc', macs: 2048 * numClasses });
  return { model: tf.model({ inputs: input, outputs: logits }), convs };
}
