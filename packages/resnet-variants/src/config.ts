export type ResNetDepth = 18 | 34 | 50 | 101 | 152;
export type ResNetVariant = 'A' | 'B' | 'C' | 'D';
export type ResNetStem = 'imagenet' | 'cifar';
export type ResNetInit = 'xavier-uniform' | 'he-normal';

/** A fully specified ResNet. `resolveResNetConfig` fills the defaults and validates a partial one. */
export interface ResNetConfig {
  depth: ResNetDepth;
  /** 'A' original v1 (stride on the first 1x1), 'B' stride on the 3x3, 'C' B + deep stem, 'D' C + avg-pool shortcut. */
  variant: ResNetVariant;
  numClasses: number;
  /** Height and width of the (square) input image in pixels. */
  inputSize: number;
  /** Image channels: 3 for RGB, 1 for greyscale such as Fashion-MNIST. */
  inputChannels: number;
  /** 'imagenet': stride-2 stem and 3x3/2 max pool. 'cifar': stride-1 stem, no max pool (28-64 px images). */
  stem: ResNetStem;
  /** Channel multiplier: 1 gives the standard 64-128-256-512 stage widths (times 4 for bottlenecks). */
  width: number;
  /** Start the last BN of every residual block at gamma = 0, so each block begins as the identity. */
  zeroGamma: boolean;
  /** Conv and dense kernel initialisation: the paper's Xavier uniform or GluonCV's He (MSRA) normal. */
  init: ResNetInit;
  /** Seed for the initial weights; omitted, they are drawn from an unseeded generator. */
  seed?: number;
}

export const RESNET_DEPTHS: readonly ResNetDepth[] = [18, 34, 50, 101, 152];
export const RESNET_VARIANTS: readonly ResNetVariant[] = ['A', 'B', 'C', 'D'];

export const DEFAULT_RESNET_CONFIG: Readonly<Omit<ResNetConfig, 'seed'>> = {
  depth: 50,
  variant: 'D',
  numClasses: 1000,
  inputSize: 224,
  inputChannels: 3,
  stem: 'imagenet',
  width: 1,
  zeroGamma: false,
  init: 'xavier-uniform',
};

/** Blocks per stage and block kind for each depth (He et al. 2016, Table 1). */
export const STAGE_BLOCKS: Readonly<Record<ResNetDepth, readonly [number, number, number, number]>> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
  152: [3, 8, 36, 3],
};

export function blockKind(depth: ResNetDepth): 'basic' | 'bottleneck' {
  return depth < 50 ? 'basic' : 'bottleneck';
}

function oneOf<T>(field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(
      `ResNetConfig.${field} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`ResNetConfig.${field} must be an integer >= 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Fills defaults (ResNet-50-D, 1000 classes, 224 px, RGB, imagenet stem, width 1) and validates every field. */
export function resolveResNetConfig(partial: Partial<ResNetConfig> = {}): ResNetConfig {
  const merged = { ...DEFAULT_RESNET_CONFIG, ...stripUndefined(partial) };
  const depth = oneOf('depth', merged.depth, RESNET_DEPTHS);
  const variant = oneOf('variant', merged.variant, RESNET_VARIANTS);
  const stem = oneOf('stem', merged.stem, ['imagenet', 'cifar'] as const);
  const init = oneOf('init', merged.init, ['xavier-uniform', 'he-normal'] as const);
  const numClasses = positiveInteger('numClasses', merged.numClasses);
  const inputSize = positiveInteger('inputSize', merged.inputSize);
  const inputChannels = positiveInteger('inputChannels', merged.inputChannels);
  const width = merged.width;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0 || Math.round(32 * width) < 1) {
    throw new RangeError(
      `ResNetConfig.width must be a finite number >= 1/64 (the channel multiplier; 1 = 64 base channels), got ${JSON.stringify(width)}`,
    );
  }
  if (typeof merged.zeroGamma !== 'boolean') {
    throw new RangeError(`ResNetConfig.zeroGamma must be a boolean, got ${JSON.stringify(merged.zeroGamma)}`);
  }
  const seed = merged.seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw new RangeError(`ResNetConfig.seed must be an integer, got ${JSON.stringify(seed)}`);
  }
  const config: ResNetConfig = {
    depth,
    variant,
    numClasses,
    inputSize,
    inputChannels,
    stem,
    width,
    zeroGamma: merged.zeroGamma,
    init,
    ...(seed === undefined ? {} : { seed }),
  };
  const min = minInputSize(stem);
  if (inputSize < min) {
    throw new RangeError(
      `ResNetConfig.inputSize ${inputSize} is too small for the downsampling of stem '${stem}': the last stride-2 stage would see a 1x1 map; inputSize must be >= ${min}`,
    );
  }
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Output size of a PyTorch conv/pool along one axis (floor mode unless `ceil`). */
export function convOutSize(size: number, kernel: number, stride: number, pad: number, ceil = false): number {
  const span = size + 2 * pad - kernel;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch's ceil mode drops a last window that would start entirely in the padding.
  if (ceil && (out - 1) * stride >= size + pad) out -= 1;
  return out;
}

/** Spatial size entering layer4 (the last stride-2 stage) for an input size and stem. */
function sizeBeforeLastStage(inputSize: number, stem: ResNetStem): number {
  let s = inputSize;
  if (stem === 'imagenet') {
    s = convOutSize(s, 3, 2, 1); // stem stride 2 (7x7 pad 3 and 3x3 pad 1 give the same size)
    s = convOutSize(s, 3, 2, 1); // max pool
  }
  s = convOutSize(s, 3, 2, 1); // layer2
  s = convOutSize(s, 3, 2, 1); // layer3
  return s;
}

/** The smallest input size for which every stride-2 stage still receives at least a 2x2 map. */
export function minInputSize(stem: ResNetStem): number {
  let size = 1;
  while (sizeBeforeLastStage(size, stem) < 2) size += 1;
  return size;
}
