import * as tfl from '@tensorflow/tfjs-layers';
import { type ConvSpec, type ResNetPlan, resnetPlan } from './architecture.js';
import { AvgPool2x2Ceil } from './avg-pool-ceil.js';
import { BatchNorm } from './batch-norm.js';
import type { ResNetConfig } from './config.js';

type Symbolic = tfl.SymbolicTensor;
type Initializer = ReturnType<typeof tfl.initializers.glorotUniform>;

/** PyTorch's BatchNorm2d: eps 1e-5, running stats updated with 0.1 * batch (tfjs momentum 0.9). */
const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.9;

class KernelInitializers {
  private index = 0;
  constructor(private readonly config: ResNetConfig) {}

  next(): Initializer {
    const seed = this.config.seed === undefined ? undefined : layerSeed(this.config.seed, this.index);
    this.index += 1;
    const args = seed === undefined ? {} : { seed };
    return this.config.init === 'he-normal'
      ? tfl.initializers.heNormal(args)
      : tfl.initializers.glorotUniform(args);
  }
}

/** A distinct, reproducible seed per layer, so two layers of the same shape do not get the same weights. */
function layerSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

function apply(layer: tfl.layers.Layer, x: Symbolic): Symbolic {
  return layer.apply(x) as Symbolic;
}

/**
 * A conv with PyTorch's symmetric padding. tfjs 'same' pads asymmetrically (the extra row at the bottom) when
 * stride > 1, so strided convs get an explicit ZeroPadding2D and 'valid'; stride 1 'same' is symmetric already.
 */
function convLayer(x: Symbolic, spec: ConvSpec, init: KernelInitializers): Symbolic {
  let input = x;
  let padding: 'same' | 'valid' = spec.pad === 0 ? 'valid' : 'same';
  if (spec.pad > 0 && spec.stride > 1) {
    input = apply(tfl.layers.zeroPadding2d({ padding: spec.pad, name: `${spec.name}.pad` }), x);
    padding = 'valid';
  }
  const conv = tfl.layers.conv2d({
    name: spec.name,
    filters: spec.outChannels,
    kernelSize: spec.kernel,
    strides: spec.stride,
    padding,
    useBias: false,
    kernelInitializer: init.next(),
  });
  return apply(conv, input);
}

function batchNorm(x: Symbolic, name: string, zeroGamma = false): Symbolic {
  const bn = new BatchNorm({
    name,
    axis: -1,
    epsilon: BN_EPSILON,
    momentum: BN_MOMENTUM,
    ...(zeroGamma ? { gammaInitializer: 'zeros' } : {}),
  });
  return apply(bn, x);
}

function relu(x: Symbolic, name: string): Symbolic {
  return apply(tfl.layers.reLU({ name }), x);
}

function buildGraph(plan: ResNetPlan, input: Symbolic): Symbolic {
  const { config } = plan;
  const init = new KernelInitializers(config);
  let x = input;
  const { convs, bns } = plan.stem;
  convs.forEach((c, i) => {
    const bn = bns[i];
    if (!bn) throw new Error(`internal: stem conv ${c.name} has no batch norm`);
    x = convLayer(x, c, init);
    x = batchNorm(x, bn.name);
    // The deep stem's ReLUs sit at Sequential indices 2 and 5 (conv1.2, conv1.5); the last one is act1.
    x = relu(x, i === convs.length - 1 ? 'act1' : `conv1.${3 * i + 2}`);
  });
  if (plan.stem.maxPool) {
    // Zero padding equals PyTorch's -inf padding here: the input is post-ReLU, so never below 0.
    x = apply(tfl.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }), x);
    x = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }), x);
  }
  for (const block of plan.blocks) {
    const blockInput = x;
    let y = blockInput;
    block.convs.forEach((c, i) => {
      const last = i === block.convs.length - 1;
      y = convLayer(y, c, init);
      y = batchNorm(y, block.bns[i]?.name as string, last && config.zeroGamma);
      if (!last) y = relu(y, `${block.name}.act${i + 1}`);
    });
    let shortcut = blockInput;
    if (block.shortcut) {
      if (block.shortcut.avgPool) {
        shortcut = apply(new AvgPool2x2Ceil({ name: `${block.name}.downsample.0` }), shortcut);
      }
      shortcut = convLayer(shortcut, block.shortcut.conv, init);
      shortcut = batchNorm(shortcut, block.shortcut.bn.name);
    }
    const sum = tfl.layers.add({ name: `${block.name}.add` }).apply([y, shortcut]) as Symbolic;
    x = relu(sum, `${block.name}.act${block.convs.length}`);
  }
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'global_pool' }), x);
  const fc = tfl.layers.dense({
    name: plan.fc.name,
    units: plan.fc.outFeatures,
    useBias: true,
    kernelInitializer: init.next(),
    biasInitializer: 'zeros',
  });
  return apply(fc, x);
}

/**
 * Builds the ResNet a config describes as a tfjs-layers functional model: input [N, H, W, C] (NHWC), output
 * logits [N, numClasses] (no softmax). Layer names are timm's state_dict prefixes (`layer2.0.conv1`, `fc`), so
 * weights map one to one onto timm/torchvision checkpoints.
 */
export function resnet(config: Partial<ResNetConfig> = {}): tfl.LayersModel {
  const plan = resnetPlan(config);
  const { inputSize, inputChannels, depth, variant } = plan.config;
  const input = tfl.input({ shape: [inputSize, inputSize, inputChannels], name: 'input' });
  const output = buildGraph(plan, input);
  return tfl.model({ inputs: input, outputs: output, name: `resnet${depth}${variant.toLowerCase()}` });
}
