import { BACKEND_ORDER } from '@bot/backend';
import { RESNET_DEPTHS, RESNET_VARIANTS, type ResNetDepth, type ResNetVariant } from '@bot/resnet-variants';
import { z } from 'zod';

const depth = z.number().refine((d): d is ResNetDepth => (RESNET_DEPTHS as readonly number[]).includes(d), {
  error: `must be one of ${RESNET_DEPTHS.join(', ')}`,
}) as unknown as z.ZodType<ResNetDepth>;
const variant = z.enum(RESNET_VARIANTS as readonly ResNetVariant[] as [ResNetVariant, ...ResNetVariant[]]);

/** The backends a run can ask for: 'auto', then @bot/backend's Node candidates in its order. */
export const BACKENDS = ['auto', ...BACKEND_ORDER] as const as readonly [string, ...string[]];

/** The augmentation recipes of --aug: 'auto' picks imagenet for images over 64 px, small otherwise. */
export const AUGMENTATIONS = ['auto', 'imagenet', 'small', 'none'] as const;

/**
 * Where the training images are augmented (--augment-on): 'host' decodes and augments each image on the CPU
 * with sharp; 'device' only decodes (and resizes to one stored size) there, and augments whole batches on the
 * training backend with @bot/augment/tensor.
 */
export const AUGMENT_ON = ['host', 'device'] as const;

const range = (low: z.ZodNumber, high: z.ZodNumber) =>
  z.tuple([low, high]).refine(([a, b]) => a <= b, { error: 'must be [min, max] with min <= max' });

/**
 * The whole description of a run. Flat, so that every field is also a CLI flag and an error can name it.
 * `batchSize` is the batch the optimizer sees; `accumulate` splits it into micro-batches of
 * `batchSize / accumulate` images when memory needs it.
 */
export const trainConfigSchema = z
  .object({
    preset: z.string(),
    data: z.string().min(1),
    trainLimit: z.number().int().positive().nullable(),
    valLimit: z.number().int().positive().nullable(),
    syntheticClasses: z.number().int().min(2).max(1000),
    syntheticPerClass: z.number().int().positive(),
    syntheticSize: z.number().int().min(8).max(1024),

    depth,
    variant,
    width: z.number().positive().max(8),
    stem: z.enum(['imagenet', 'cifar']),
    inputSize: z.number().int().min(8).max(1024),
    zeroGamma: z.boolean(),
    init: z.enum(['xavier-uniform', 'he-normal']),
    initialCheckpoint: z.string().min(1).nullable(),

    aug: z.enum(AUGMENTATIONS),
    scale: range(z.number().gt(0).max(1), z.number().gt(0).max(1)),
    ratio: range(z.number().positive(), z.number().positive()),
    hflip: z.number().min(0).max(1),
    colorJitter: z.number().min(0).max(1),
    pcaNoise: z.number().min(0),
    interpolation: z.enum(['bilinear', 'bilinear-pil']),
    augmentOn: z.enum(AUGMENT_ON),

    epochs: z.number().int().positive().max(10000),
    batchSize: z.number().int().positive().max(65536),
    accumulate: z.number().int().positive(),
    lr: z.number().positive().max(100),
    lrBase: z.number().positive().max(100).nullable(),
    momentum: z.number().min(0).lt(1),
    nesterov: z.boolean(),
    weightDecay: z.number().min(0).max(1),
    noBiasDecay: z.boolean(),
    clipGrad: z.number().positive().nullable(),
    schedule: z.enum(['step', 'cosine']),
    milestones: z.array(z.number().int().nonnegative()),
    stepGamma: z.number().positive().max(1),
    warmupEpochs: z.number().min(0),

    labelSmoothing: z.number().min(0).lt(1),
    smoothingForm: z.enum(['uniform', 'paper']),
    mixupAlpha: z.number().min(0),
    cutmixAlpha: z.number().min(0),
    mixupOffEpochs: z.number().int().min(0),
    teacher: z.string().min(1).nullable(),
    teacherDepth: depth,
    teacherVariant: variant,
    teacherWidth: z.number().positive().max(8),
    distillTemperature: z.number().positive(),
    distillWeight: z.number().min(0).max(1),
    distillForm: z.enum(['paper', 'gluoncv']),
    fp16: z.boolean(),
    initLossScale: z.number().positive(),

    seed: z.number().int().nonnegative(),
    workers: z.number().int().positive().max(64),
    replicas: z.number().int().positive().max(64),
    backend: z.enum(BACKENDS),
    logEvery: z.number().int().positive(),
    runsDir: z.string().min(1),
    runName: z
      .string()
      .regex(/^[\w.+-]+$/, 'letters, digits, and . _ + - only')
      .nullable(),
    export: z.boolean(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: keyof typeof c, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message, input: c[path] });
    if (c.batchSize % c.accumulate !== 0)
      issue('accumulate', `must divide batchSize (${c.batchSize}) exactly`);
    if (c.milestones.some((m, i) => i > 0 && m <= (c.milestones[i - 1] ?? 0))) {
      issue('milestones', 'must be strictly increasing epochs');
    }
    if (c.warmupEpochs >= c.epochs) {
      issue(
        'warmupEpochs',
        `must be less than epochs (${c.epochs}); lower --warmup-epochs or raise --epochs`,
      );
    }
    if (c.augmentOn === 'device' && c.interpolation === 'bilinear-pil') {
      issue(
        'interpolation',
        "PIL's filter runs on the host only: --augment-on device resamples with bilinear crop-and-resize; use --interpolation bilinear or --augment-on host",
      );
    }
    if (c.mixupOffEpochs > c.epochs) {
      issue(
        'mixupOffEpochs',
        `must be at most epochs (${c.epochs}); lower --mixup-off-epochs or raise --epochs`,
      );
    }
  });

export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** A partial config: what a preset, a config file or the flags set. */
export type ConfigPatch = Partial<TrainConfig>;

/** The sections of `--help`, in order. */
export const GROUPS = [
  'Data',
  'Model',
  'Augmentation',
  'Optimization',
  'Regularization and distillation',
  'Precision',
  'Run',
] as const;

type Group = (typeof GROUPS)[number];

/** One line of help and the `--help` section of every field. */
export const FIELDS: Record<keyof TrainConfig, { help: string; group: Group }> = {
  preset: { group: 'Run', help: 'the recipe to start from (see `bot-train recipes`)' },
  data: {
    group: 'Data',
    help: "'fashion-mnist', 'synthetic', or an ImageFolder root holding train/ and val/",
  },
  trainLimit: { group: 'Data', help: 'use N training samples, spread evenly over the set (quick runs)' },
  valLimit: { group: 'Data', help: 'use N validation samples, spread evenly over the set' },
  syntheticClasses: { group: 'Data', help: 'classes of the synthetic data set' },
  syntheticPerClass: { group: 'Data', help: 'images per class and split of the synthetic data set' },
  syntheticSize: { group: 'Data', help: 'side in pixels of the synthetic images' },
  depth: { group: 'Model', help: `ResNet depth: ${RESNET_DEPTHS.join(', ')}` },
  variant: { group: 'Model', help: `ResNet variant ${RESNET_VARIANTS.join(', ')} (paper section 4)` },
  width: { group: 'Model', help: 'width multiplier (1 = 64 base channels)' },
  stem: { group: 'Model', help: "'imagenet' (stride-4 stem) or 'cifar' (stride-1 stem for small images)" },
  inputSize: { group: 'Model', help: 'side of the square network input in pixels' },
  zeroGamma: { group: 'Model', help: 'zero the last BN gamma of every residual block' },
  init: { group: 'Model', help: "'xavier-uniform' (paper) or 'he-normal' (GluonCV script)" },
  initialCheckpoint: {
    group: 'Model',
    help: 'start from these weights: a timm/torchvision .safetensors or a bot-train .ckpt (classifier re-initialised when the classes differ)',
  },
  aug: {
    group: 'Augmentation',
    help: "'imagenet' (RandomResizedCrop, flip, jitter, lighting), 'small' (pad-and-crop + flip), 'none'; 'auto': small for images of 64 px or less",
  },
  scale: { group: 'Augmentation', help: 'RandomResizedCrop area range min,max (imagenet aug)' },
  ratio: { group: 'Augmentation', help: 'RandomResizedCrop aspect-ratio range min,max (imagenet aug)' },
  hflip: { group: 'Augmentation', help: 'horizontal flip probability' },
  colorJitter: {
    group: 'Augmentation',
    help: 'brightness/contrast/saturation jitter strength (imagenet aug)',
  },
  pcaNoise: { group: 'Augmentation', help: 'PCA lighting noise std (imagenet aug)' },
  interpolation: {
    group: 'Augmentation',
    help: "'bilinear' (libvips shrink, PIL enlarge) or 'bilinear-pil' (PIL's filter on every axis)",
  },
  augmentOn: {
    group: 'Augmentation',
    help: "'host': decode and augment each image on the CPU (sharp); 'device': decode on the CPU, augment whole batches on the training backend (tensors; GPU runs)",
  },
  epochs: { group: 'Optimization', help: 'training epochs' },
  batchSize: { group: 'Optimization', help: 'images per optimizer step' },
  accumulate: { group: 'Optimization', help: 'micro-batches per step (batchSize / accumulate images each)' },
  lr: { group: 'Optimization', help: 'peak learning rate' },
  lrBase: {
    group: 'Optimization',
    help: 'learning rate per 256 images: lr = lrBase x batchSize / 256 (linear scaling; overrides the preset lr)',
  },
  momentum: { group: 'Optimization', help: 'momentum' },
  nesterov: { group: 'Optimization', help: 'Nesterov accelerated gradient' },
  weightDecay: { group: 'Optimization', help: 'L2 weight decay' },
  noBiasDecay: { group: 'Optimization', help: 'no weight decay on biases and BN gamma/beta' },
  clipGrad: { group: 'Optimization', help: 'clip gradients to this global L2 norm (null = off)' },
  schedule: { group: 'Optimization', help: "'step' (divide by 1/stepGamma at milestones) or 'cosine'" },
  milestones: { group: 'Optimization', help: 'epochs at which the step schedule decays' },
  stepGamma: { group: 'Optimization', help: 'factor of each step decay' },
  warmupEpochs: { group: 'Optimization', help: 'epochs of linear warmup from 0' },
  labelSmoothing: { group: 'Regularization and distillation', help: 'label smoothing epsilon (0 = off)' },
  smoothingForm: {
    group: 'Regularization and distillation',
    help: "'uniform' (eps/K, what GluonCV/timm/PyTorch do) or 'paper' (eps/(K-1))",
  },
  mixupAlpha: { group: 'Regularization and distillation', help: 'mixup Beta(alpha, alpha) (0 = off)' },
  cutmixAlpha: {
    group: 'Regularization and distillation',
    help: 'cutmix Beta(alpha, alpha) (0 = off); with mixup too, each batch picks one at random',
  },
  mixupOffEpochs: {
    group: 'Regularization and distillation',
    help: "turn mixup/cutmix off for the last N epochs (follows --epochs when not set: the preset's share)",
  },
  teacher: {
    group: 'Regularization and distillation',
    help: 'teacher checkpoint (.ckpt) or .safetensors for distillation (null = off)',
  },
  teacherDepth: {
    group: 'Regularization and distillation',
    help: 'teacher depth when the teacher is a .safetensors file',
  },
  teacherVariant: {
    group: 'Regularization and distillation',
    help: 'teacher variant when the teacher is a .safetensors file',
  },
  teacherWidth: {
    group: 'Regularization and distillation',
    help: 'teacher width when the teacher is a .safetensors file',
  },
  distillTemperature: { group: 'Regularization and distillation', help: 'distillation temperature T' },
  distillWeight: {
    group: 'Regularization and distillation',
    help: 'weight of the hard-label term in the gluoncv form',
  },
  distillForm: { group: 'Regularization and distillation', help: "'paper' or 'gluoncv' distillation loss" },
  fp16: {
    group: 'Precision',
    help: 'FP16 emulation: FP16 working weights and activations, FP32 masters, dynamic loss scaling',
  },
  initLossScale: { group: 'Precision', help: 'initial loss scale for FP16' },
  seed: { group: 'Run', help: 'seed of every random choice' },
  workers: { group: 'Run', help: 'images decoded and augmented concurrently' },
  replicas: {
    group: 'Run',
    help: 'data-parallel replicas in worker threads (one core each on wasm; not on GPU backends or tfjs-node); 1 = train in this thread',
  },
  backend: { group: 'Run', help: "tfjs backend: 'auto' picks the fastest available (also env BOT_BACKEND)" },
  logEvery: { group: 'Run', help: 'write a metrics line every N steps' },
  runsDir: { group: 'Run', help: 'where run folders are created' },
  runName: { group: 'Run', help: 'run folder name (default: preset, time and a unique suffix)' },
  export: { group: 'Run', help: 'export the final model as a tfjs LayersModel folder and safetensors' },
};

/** One line per field for `--help` and the README. */
export const FIELD_HELP: Record<keyof TrainConfig, string> = Object.fromEntries(
  Object.entries(FIELDS).map(([k, v]) => [k, v.help]),
) as Record<keyof TrainConfig, string>;
