import { z } from 'zod';

const DEPTHS = 'one of 18, 34, 50, 101, 152';
const depth = z.union([z.literal(18), z.literal(34), z.literal(50), z.literal(101), z.literal(152)], {
  error: `must be ${DEPTHS}`,
});

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

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
    variant: z.enum(['A', 'B', 'C', 'D']),
    width: z.number().positive().max(8),
    stem: z.enum(['imagenet', 'cifar']),
    inputSize: z.number().int().min(8).max(1024),
    zeroGamma: z.boolean(),
    init: z.enum(['xavier-uniform', 'he-normal']),

    epochs: z.number().int().positive().max(10000),
    batchSize: z.number().int().positive().max(65536),
    accumulate: z.number().int().positive(),
    lr: z.number().positive().max(100),
    momentum: z.number().min(0).lt(1),
    nesterov: z.boolean(),
    weightDecay: z.number().min(0).max(1),
    noBiasDecay: z.boolean(),
    schedule: z.enum(['step', 'cosine']),
    milestones: z.array(z.number().int().nonnegative()),
    stepGamma: z.number().positive().max(1),
    warmupEpochs: z.number().min(0),

    labelSmoothing: z.number().min(0).lt(1),
    smoothing: z.enum(['uniform', 'paper']),
    mixupAlpha: z.number().min(0),
    mixupOffEpochs: z.number().int().min(0),
    teacher: z.string().min(1).nullable(),
    teacherDepth: depth,
    teacherVariant: z.enum(['A', 'B', 'C', 'D']),
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
    if (c.batchSize % c.accumulate !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['accumulate'],
        message: `must divide batchSize (${c.batchSize}) exactly`,
        input: c.accumulate,
      });
    }
    for (let i = 1; i < c.milestones.length; i++) {
      if ((c.milestones[i] ?? 0) <= (c.milestones[i - 1] ?? 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['milestones'],
          message: 'must be strictly increasing epochs',
          input: c.milestones,
        });
        break;
      }
    }
    if (c.warmupEpochs >= c.epochs) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmupEpochs'],
        message: `must be less than epochs (${c.epochs})`,
        input: c.warmupEpochs,
      });
    }
    if (c.replicas > 1 && c.fp16) {
      ctx.addIssue({
        code: 'custom',
        path: ['replicas'],
        message: 'must be 1 with fp16 (the FP16 emulation trains in one process)',
        input: c.replicas,
      });
    }
    if (c.mixupOffEpochs > c.epochs) {
      ctx.addIssue({
        code: 'custom',
        path: ['mixupOffEpochs'],
        message: `must be at most epochs (${c.epochs})`,
        input: c.mixupOffEpochs,
      });
    }
  });

export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** A partial config: what a preset, a config file or the flags set. */
export type ConfigPatch = Partial<TrainConfig>;

/** One line per field for `--help` and the README. */
export const FIELD_HELP: Record<keyof TrainConfig, string> = {
  preset: 'the recipe to start from (see `bot-train recipes`)',
  data: "'fashion-mnist', 'synthetic', or an ImageFolder root holding train/ and val/",
  trainLimit: 'use N training samples, spread evenly over the set (quick runs)',
  valLimit: 'use N validation samples, spread evenly over the set',
  syntheticClasses: 'classes of the synthetic data set',
  syntheticPerClass: 'images per class and split of the synthetic data set',
  syntheticSize: 'side in pixels of the synthetic images',
  depth: 'ResNet depth: 18, 34, 50, 101 or 152',
  variant: 'ResNet variant A, B, C or D (paper section 4)',
  width: 'width multiplier (1 = 64 base channels)',
  stem: "'imagenet' (stride-4 stem) or 'cifar' (stride-1 stem for small images)",
  inputSize: 'side of the square network input in pixels',
  zeroGamma: 'zero the last BN gamma of every residual block',
  init: "'xavier-uniform' (paper) or 'he-normal' (GluonCV script)",
  epochs: 'training epochs',
  batchSize: 'images per optimizer step',
  accumulate: 'micro-batches per step (batchSize / accumulate images each)',
  lr: 'peak learning rate',
  momentum: 'momentum',
  nesterov: 'Nesterov accelerated gradient',
  weightDecay: 'L2 weight decay',
  noBiasDecay: 'no weight decay on biases and BN gamma/beta',
  schedule: "'step' (divide by 1/stepGamma at milestones) or 'cosine'",
  milestones: 'epochs at which the step schedule decays',
  stepGamma: 'factor of each step decay',
  warmupEpochs: 'epochs of linear warmup from 0',
  labelSmoothing: 'label smoothing epsilon (0 = off)',
  smoothing: "'uniform' (eps/K, what GluonCV/timm/PyTorch do) or 'paper' (eps/(K-1))",
  mixupAlpha: 'mixup Beta(alpha, alpha) (0 = off)',
  mixupOffEpochs: 'turn mixup off for the last N epochs',
  teacher: 'teacher checkpoint (.ckpt) or .safetensors for distillation (null = off)',
  teacherDepth: 'teacher depth when the teacher is a .safetensors file',
  teacherVariant: 'teacher variant when the teacher is a .safetensors file',
  teacherWidth: 'teacher width when the teacher is a .safetensors file',
  distillTemperature: 'distillation temperature T',
  distillWeight: 'weight of the hard-label term in the gluoncv form',
  distillForm: "'paper' or 'gluoncv' distillation loss",
  fp16: 'FP16 emulation: FP16 working weights and activations, FP32 masters, dynamic loss scaling',
  initLossScale: 'initial loss scale for FP16',
  seed: 'seed of every random choice',
  workers: 'images decoded and augmented concurrently',
  replicas: 'data-parallel replicas in worker threads (one core each on wasm); 1 = train in this thread',
  backend: "tfjs backend: 'auto' picks the fastest available (also env BOT_BACKEND)",
  logEvery: 'write a metrics line every N steps',
  runsDir: 'where run folders are created',
  runName: 'run folder name (default: preset and time)',
  export: 'export the final model as a tfjs LayersModel folder and safetensors',
};
