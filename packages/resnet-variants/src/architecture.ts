import { blockKind, convOutSize, type ResNetConfig, resolveResNetConfig, STAGE_BLOCKS } from './config.js';

/** A bias-free convolution with PyTorch's symmetric zero padding. `name` is its timm state_dict prefix. */
export interface ConvSpec {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  inSize: number;
  outSize: number;
}

export interface BatchNormSpec {
  name: string;
  channels: number;
}

export interface ShortcutPlan {
  /** D only: a 2x2 stride-2 average pool (ceil mode, padding excluded) before the stride-1 1x1 conv. */
  avgPool: { inSize: number; outSize: number } | null;
  conv: ConvSpec;
  bn: BatchNormSpec;
}

export interface BlockPlan {
  /** timm prefix, e.g. `layer2.0`. */
  name: string;
  kind: 'basic' | 'bottleneck';
  stride: number;
  inSize: number;
  outSize: number;
  /** conv1, conv2 (and conv3 for bottlenecks), each followed by the BN of the same index. */
  convs: ConvSpec[];
  bns: BatchNormSpec[];
  shortcut: ShortcutPlan | null;
}

export interface StemPlan {
  /** One 7x7 (A/B) or three 3x3 convs (C/D), each followed by the BN at the same index. */
  convs: ConvSpec[];
  bns: BatchNormSpec[];
  maxPool: { inSize: number; outSize: number } | null;
}

/**
 * The whole network as plain data: every conv with its channels, stride, padding and spatial sizes, named with
 * timm's state_dict keys. `profile`, the tfjs builder and the safetensors mapping all read this one plan.
 */
export interface ResNetPlan {
  config: ResNetConfig;
  stem: StemPlan;
  blocks: BlockPlan[];
  fc: { name: 'fc'; inFeatures: number; outFeatures: number };
  /** Spatial size of the last feature map, before global average pooling. */
  featureSize: number;
}

export function scaleChannels(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

function conv(
  name: string,
  inChannels: number,
  outChannels: number,
  kernel: number,
  stride: number,
  inSize: number,
): ConvSpec {
  const pad = (kernel - 1) / 2;
  return {
    name,
    inChannels,
    outChannels,
    kernel,
    stride,
    pad,
    inSize,
    outSize: convOutSize(inSize, kernel, stride, pad),
  };
}

function buildStem(config: ResNetConfig): { stem: StemPlan; channels: number; size: number } {
  const stride = config.stem === 'imagenet' ? 2 : 1;
  const inplanes = scaleChannels(64, config.width);
  const convs: ConvSpec[] = [];
  const bns: BatchNormSpec[] = [];
  let size = config.inputSize;
  if (config.variant === 'C' || config.variant === 'D') {
    const stemWidth = scaleChannels(32, config.width);
    const widths = [stemWidth, stemWidth, inplanes];
    // timm's deep stem Sequential: conv(0) bn(1) relu(2) conv(3) bn(4) relu(5) conv(6), then the model's bn1.
    const convNames = ['conv1.0', 'conv1.3', 'conv1.6'];
    const bnNames = ['conv1.1', 'conv1.4', 'bn1'];
    let channels = config.inputChannels;
    widths.forEach((w, i) => {
      const c = conv(convNames[i] as string, channels, w, 3, i === 0 ? stride : 1, size);
      convs.push(c);
      bns.push({ name: bnNames[i] as string, channels: w });
      channels = w;
      size = c.outSize;
    });
  } else {
    const kernel = config.stem === 'imagenet' ? 7 : 3;
    const c = conv('conv1', config.inputChannels, inplanes, kernel, stride, size);
    convs.push(c);
    bns.push({ name: 'bn1', channels: inplanes });
    size = c.outSize;
  }
  let maxPool: StemPlan['maxPool'] = null;
  if (config.stem === 'imagenet') {
    const out = convOutSize(size, 3, 2, 1);
    maxPool = { inSize: size, outSize: out };
    size = out;
  }
  return { stem: { convs, bns, maxPool }, channels: inplanes, size };
}

function buildBlock(
  config: ResNetConfig,
  name: string,
  inChannels: number,
  planes: number,
  stride: number,
  inSize: number,
): BlockPlan {
  const kind = blockKind(config.depth);
  const convs: ConvSpec[] = [];
  let outChannels: number;
  if (kind === 'basic') {
    outChannels = planes;
    convs.push(conv(`${name}.conv1`, inChannels, planes, 3, stride, inSize));
    convs.push(conv(`${name}.conv2`, planes, planes, 3, 1, (convs[0] as ConvSpec).outSize));
  } else {
    outChannels = planes * 4;
    // Variant A (original v1) strides the first 1x1; B, C and D stride the 3x3.
    const strideOn1x1 = config.variant === 'A';
    const c1 = conv(`${name}.conv1`, inChannels, planes, 1, strideOn1x1 ? stride : 1, inSize);
    const c2 = conv(`${name}.conv2`, planes, planes, 3, strideOn1x1 ? 1 : stride, c1.outSize);
    const c3 = conv(`${name}.conv3`, planes, outChannels, 1, 1, c2.outSize);
    convs.push(c1, c2, c3);
  }
  const bns = convs.map((c, i) => ({ name: `${name}.bn${i + 1}`, channels: c.outChannels }));
  const outSize = (convs[convs.length - 1] as ConvSpec).outSize;
  let shortcut: ShortcutPlan | null = null;
  if (stride !== 1 || inChannels !== outChannels) {
    if (config.variant === 'D') {
      // timm avg_down: index 0 is the pool (an Identity when stride is 1), so conv and BN are .1 and .2.
      const avgPool = stride === 1 ? null : { inSize, outSize: convOutSize(inSize, 2, stride, 0, true) };
      const c = conv(
        `${name}.downsample.1`,
        inChannels,
        outChannels,
        1,
        1,
        avgPool ? avgPool.outSize : inSize,
      );
      shortcut = { avgPool, conv: c, bn: { name: `${name}.downsample.2`, channels: outChannels } };
    } else {
      const c = conv(`${name}.downsample.0`, inChannels, outChannels, 1, stride, inSize);
      shortcut = { avgPool: null, conv: c, bn: { name: `${name}.downsample.1`, channels: outChannels } };
    }
    if (shortcut.conv.outSize !== outSize) {
      throw new Error(`internal: shortcut of ${name} gives ${shortcut.conv.outSize}, main path ${outSize}`);
    }
  }
  return { name, kind, stride, inSize, outSize, convs, bns, shortcut };
}

/** The network a config describes, as plain data; nothing is built or allocated. */
export function resnetPlan(partial: Partial<ResNetConfig>): ResNetPlan {
  const config = resolveResNetConfig(partial);
  const { stem, channels: stemChannels, size: stemSize } = buildStem(config);
  const blocks: BlockPlan[] = [];
  let channels = stemChannels;
  let size = stemSize;
  STAGE_BLOCKS[config.depth].forEach((count, stage) => {
    const planes = scaleChannels(64 * 2 ** stage, config.width);
    for (let i = 0; i < count; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const block = buildBlock(config, `layer${stage + 1}.${i}`, channels, planes, stride, size);
      blocks.push(block);
      channels = block.bns[block.bns.length - 1]?.channels as number;
      size = block.outSize;
    }
  });
  return {
    config,
    stem,
    blocks,
    fc: { name: 'fc', inFeatures: channels, outFeatures: config.numClasses },
    featureSize: size,
  };
}

/** Every conv of the plan in forward order (stem, then per block: main path, then shortcut). */
export function planConvs(plan: ResNetPlan): ConvSpec[] {
  const out = [...plan.stem.convs];
  for (const b of plan.blocks) {
    out.push(...b.convs);
    if (b.shortcut) out.push(b.shortcut.conv);
  }
  return out;
}

/** Every batch norm of the plan in forward order. */
export function planBatchNorms(plan: ResNetPlan): BatchNormSpec[] {
  const out = [...plan.stem.bns];
  for (const b of plan.blocks) {
    out.push(...b.bns);
    if (b.shortcut) out.push(b.shortcut.bn);
  }
  return out;
}
