import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';

// FALLBACK until @bot/resnet-variants lands: a plain basic-block ResNet that follows the ResNetConfig shape.
export interface ResNetConfig {
  depth: 18 | 34 | 50 | 101 | 152;
  variant: 'A' | 'B' | 'C' | 'D';
  numClasses: number;
  inputSize: number;
  inputChannels: number;
  stem: 'imagenet' | 'cifar';
  width: number;
  zeroGamma: boolean;
  init: 'xavier-uniform' | 'he-normal';
  seed?: number;
}

export function resnetConfigOf(
  config: Pick<TrainConfig, 'depth' | 'variant' | 'width' | 'stem' | 'inputSize' | 'zeroGamma' | 'init' | 'seed'>,
  numClasses: number,
  inputChannels: number,
): ResNetConfig {
  return {
    depth: config.depth,
    variant: config.variant,
    numClasses,
    inputSize: config.inputSize,
    inputChannels,
    stem: config.stem,
    width: config.width,
    zeroGamma: config.zeroGamma,
    init: config.init,
    seed: config.seed,
  };
}

export function buildResNet(c: ResNetConfig): tf.LayersModel {
  const base = Math.max(1, Math.round(64 * c.width));
  const input = tf.input({ shape: [c.inputSize, c.inputSize, c.inputChannels] });
  const conv = (x: tf.SymbolicTensor, filters: number, k: number, s: number) =>
    tf.layers.conv2d({ filters, kernelSize: k, strides: s, padding: 'same', useBias: false, kernelInitializer: 'glorotUniform' }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, zero = false) =>
    tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, gammaInitializer: zero ? 'zeros' : 'ones' }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  let x = relu(bn(conv(input, base, 3, c.stem === 'cifar' ? 1 : 2)));
  let channels = base;
  [0, 1, 2, 3].forEach((stage) => {
    const filters = base * 2 ** stage;
    for (let b = 0; b < 2; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, stride)));
      y = bn(conv(y, filters, 3, 1), c.zeroGamma);
      let shortcut = x;
      if (stride !== 1 || channels !== filters) shortcut = bn(conv(x, filters, 1, stride));
      x = relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
      channels = filters;
    }
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: c.numClasses, kernelInitializer: 'glorotUniform' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

export function isDecayedVariable(name: string): boolean {
  return /kernel/.test(name);
}

export function profileResNet(c: ResNetConfig): { params: number; macs: number } {
  const m = buildResNet(c);
  const params = m.countParams();
  m.dispose();
  return { params, macs: Number.NaN };
}

export function toSafetensors(model: tf.LayersModel, _config: ResNetConfig): Uint8Array {
  void model;
  throw new Error('safetensors export needs @bot/resnet-variants');
}

export function loadSafetensors(model: tf.LayersModel, _config: ResNetConfig, _bytes: Uint8Array): void {
  void model;
  throw new Error('safetensors import needs @bot/resnet-variants');
}
